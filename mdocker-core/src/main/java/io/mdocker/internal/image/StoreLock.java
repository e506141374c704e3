package io.mdocker.internal.image;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a lock file of the image store, held across threads and JVMs: a
 * {@link ReentrantLock} per file within this JVM (a second {@code FileChannel.lock} of one file
 * in one JVM would throw {@link java.nio.channels.OverlappingFileLockException}), then
 * {@code FileChannel.lock} for other JVMs. {@link #close()} releases both. The registry client
 * ({@code registry.BlobStore}) locks the same blob lock files with in-JVM locks of its own; the
 * two wait for each other (see {@link #lock}).
 */
final class StoreLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL = new ConcurrentHashMap<>();

    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    private StoreLock(ReentrantLock local, FileChannel channel, FileLock lock) {
        this.local = local;
        this.channel = channel;
        this.lock = lock;
    }

    /** Waits for the lock on {@code file} (created if absent). */
    static StoreLock acquire(Path file) throws IOException {
        ReentrantLock local = LOCAL.computeIfAbsent(file.toAbsolutePath().normalize(), p -> new ReentrantLock());
        local.lock();
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                return new StoreLock(local, ch, lock(ch));
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            local.unlock();
            throw e;
        }
    }

    /** The lock on {@code file} (created if absent) if nobody holds it now; null otherwise. */
    static StoreLock tryAcquire(Path file) throws IOException {
        ReentrantLock local = LOCAL.computeIfAbsent(file.toAbsolutePath().normalize(), p -> new ReentrantLock());
        if (!local.tryLock()) {
            return null;
        }
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException heldInThisJvm) {
                l = null; // the registry client's blob lock, taken through its own in-JVM locks
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (l == null) {
                ch.close();
                local.unlock();
                return null;
            }
            return new StoreLock(local, ch, l);
        } catch (IOException | RuntimeException e) {
            if (local.isHeldByCurrentThread()) {
                local.unlock();
            }
            throw e;
        }
    }

    /**
     * Waits for the file lock. Two cases are waited out and tried again: this JVM's registry
     * client holding the same file through its own in-JVM locks (OverlappingFileLockException),
     * and the kernel's EDEADLK, which it reports when two JVMs each hold one lock and wait for the
     * other's on different threads (fcntl locks belong to the process, not the thread).
     */
    private static FileLock lock(FileChannel ch) throws IOException {
        while (true) {
            try {
                return ch.lock();
            } catch (java.nio.channels.OverlappingFileLockException heldInThisJvm) {
                pause();
            } catch (IOException e) {
                if (e.getMessage() == null || !e.getMessage().contains("deadlock")) {
                    throw e;
                }
                pause();
            }
        }
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted waiting for a lock of the image store");
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
            channel.close();
        } finally {
            local.unlock();
        }
    }
}
