package io.mdocker.internal.image.registry;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An exclusive lock on a lock file of the image store (a blob's, a layer's, the tags'), held
 * across threads and JVMs: the file's in-JVM lock first ({@link KeyedLocks}: a second
 * {@code FileChannel.lock} of one file in one JVM would throw
 * {@link java.nio.channels.OverlappingFileLockException} instead of waiting), then
 * {@code FileChannel.lock} for other processes. Every part of mdocker that locks a store file
 * goes through here, the registry client and the image store alike. {@link #close()} releases
 * both; the file stays, as the store's contract says.
 */
public final class StoreLock implements AutoCloseable {
    private static final KeyedLocks<Path> LOCAL = new KeyedLocks<>();

    private final KeyedLocks.Held local;
    private final FileChannel channel;
    private final FileLock lock;

    private StoreLock(KeyedLocks.Held local, FileChannel channel, FileLock lock) {
        this.local = local;
        this.channel = channel;
        this.lock = lock;
    }

    /** Waits for the lock on {@code file} (created if absent). */
    public static StoreLock acquire(Path file) throws IOException {
        KeyedLocks.Held local;
        try {
            local = LOCAL.lock(file.toAbsolutePath().normalize());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for " + file);
        }
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                return new StoreLock(local, ch, lock(ch, file));
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            local.close();
            throw e;
        }
    }

    /** The lock on {@code file} (created if absent) if nobody holds it now; null otherwise. */
    public static StoreLock tryAcquire(Path file) throws IOException {
        Optional<KeyedLocks.Held> local = LOCAL.tryLock(file.toAbsolutePath().normalize());
        if (local.isEmpty()) {
            return null;
        }
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException heldElsewhereInThisJvm) {
                l = null;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (l == null) {
                ch.close();
                local.get().close();
                return null;
            }
            return new StoreLock(local.get(), ch, l);
        } catch (IOException | RuntimeException e) {
            local.get().close();
            throw e;
        }
    }

    /**
     * Waits for the file lock. The kernel owns fcntl locks per process, not per thread: while
     * this JVM holds one lock and waits for another held by a second JVM that waits for the first,
     * it reports a deadlock that is none (different threads), EDEADLK. Then this waits a little
     * and tries again; the other side's work ends meanwhile. The same when code of this JVM that
     * does not go through this class holds the file's lock (OverlappingFileLockException).
     */
    private static FileLock lock(FileChannel ch, Path file) throws IOException {
        while (true) {
            try {
                return ch.lock();
            } catch (java.nio.channels.OverlappingFileLockException heldElsewhereInThisJvm) {
                // waited out below
            } catch (IOException e) {
                if (e.getMessage() == null || !e.getMessage().contains("deadlock")) {
                    throw e;
                }
            }
            try {
                Thread.sleep(10 + ThreadLocalRandom.current().nextInt(40));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted waiting for " + file);
            }
        }
    }

    @Override
    public void close() throws IOException {
        try {
            lock.release();
            channel.close();
        } finally {
            local.close();
        }
    }
}
