package io.mdocker.internal.image.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The content store's blobs, shaped as an OCI image layout's {@code blobs} directory:
 * {@code <algorithm>/<hex>}, each written whole and verified to a temporary file in {@code tmp/}
 * and renamed into place, so a blob that is present is complete and verified.
 *
 * <p>Whoever writes a blob holds its lock: an in-JVM lock for this JVM's threads, then
 * {@code FileChannel.lock} on {@code <algorithm>/<hex>.lock} for other processes. A second pull of
 * a blob waits for the first and then finds it present: it is downloaded once. The holder removes
 * the lock file before releasing it, so nothing stays behind. After a success that is safe: the
 * blob is present, and whoever gets a lock (the removed file's or a new one) looks first and finds
 * it. After a failure a waiter on the removed file and a newcomer on a new one may both download:
 * twice, never wrongly, as each writes a temporary file of its own, verified before the rename.
 */
public final class BlobStore {
    private static final KeyedLocks<Path> JVM_LOCKS = new KeyedLocks<>();

    private final Path root;

    /** A store on a {@code blobs} directory (made when first written to). */
    public BlobStore(Path blobsRoot) {
        this.root = blobsRoot.toAbsolutePath();
    }

    /** What writes a blob's verified content into a temporary file (and throws if it cannot). */
    @FunctionalInterface
    interface Writer {
        void writeTo(Path tmp) throws IOException;
    }

    /** Whether {@link #ensure} found the blob present or wrote it. */
    enum Outcome { PRESENT, WRITTEN }

    public Path root() {
        return root;
    }

    /** Where a blob is (or would be). */
    public Path path(Digest d) {
        return d.pathUnder(root);
    }

    public boolean has(Digest d) {
        return Files.isRegularFile(path(d));
    }

    /**
     * Makes sure a blob is present: if it is not, takes its locks and, if it is still not there,
     * has {@code writer} fill a temporary file and renames that into place. On any failure the
     * temporary file is removed and nothing is left for the blob.
     */
    Outcome ensure(Digest d, Writer writer) throws IOException, InterruptedException {
        Path blob = path(d);
        if (Files.isRegularFile(blob)) {
            return Outcome.PRESENT;
        }
        Files.createDirectories(blob.getParent());
        Files.createDirectories(tmpDir());
        try (KeyedLocks.Held held = JVM_LOCKS.lock(blob); LockFile lock = LockFile.take(lockPath(d))) {
            if (Files.isRegularFile(blob)) {
                return Outcome.PRESENT;
            }
            Path tmp = tmpDir().resolve(d.hex() + "." + ProcessHandle.current().pid() + "."
                    + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".partial");
            try {
                writer.writeTo(tmp);
                try {
                    Files.move(tmp, blob, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    throw new IOException("blobs " + root + ": tmp/ and " + d.algorithm() + "/ are on different file systems", e);
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
            return Outcome.WRITTEN;
        }
    }

    /** Stores bytes already in memory (a manifest, an index) after checking them against their digest. */
    Outcome put(Digest d, byte[] bytes) throws IOException, InterruptedException {
        var hasher = d.newHasher();
        if (!d.matches(hasher.digest(bytes))) {
            throw new IllegalArgumentException("blob " + d + ": the bytes do not match the digest");
        }
        return ensure(d, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(bytes));
                ch.force(true);
            }
        });
    }

    Path tmpDir() {
        return root.resolve("tmp");
    }

    private Path lockPath(Digest d) {
        return root.resolve(d.algorithm()).resolve(d.hex() + ".lock");
    }

    /**
     * Removes temporary files of writers that are gone: the file names the writer's pid, and a
     * pid that no longer runs cannot finish it. (A pid reused since then keeps its file until the
     * next clean-up after that process.)
     */
    public void removeAbandonedTemporaries() {
        Path tmp = tmpDir();
        if (!Files.isDirectory(tmp)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(tmp, "*.partial")) {
            for (Path p : s) {
                String[] parts = p.getFileName().toString().split("\\.");
                if (parts.length == 4) {
                    try {
                        long pid = Long.parseLong(parts[1]);
                        if (ProcessHandle.of(pid).isEmpty()) {
                            Files.deleteIfExists(p);
                        }
                    } catch (NumberFormatException notOurs) {
                        // a name this store did not make: left alone
                    }
                }
            }
        } catch (NoSuchFileException gone) {
            // removed meanwhile
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A held lock file, removed and released by close(). */
    private record LockFile(Path path, FileChannel channel, FileLock lock) implements AutoCloseable {

        static LockFile take(Path path) throws IOException {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                return new LockFile(path, ch, ch.lock());
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                Files.deleteIfExists(path);
            } finally {
                try {
                    lock.release();
                } finally {
                    channel.close();
                }
            }
        }
    }
}
