package io.mdocker.internal.image.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
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
 * <p>Whoever writes a blob holds its lock ({@link StoreLock}: an in-JVM lock for this JVM's threads,
 * then {@code FileChannel.lock} on {@code <algorithm>/<hex>.lock} for other processes (the store's
 * contract, see {@code io.mdocker.internal.image}: the lock file is never removed while the store
 * is in use, so every writer locks the same file). A second pull of a blob waits for the first and
 * then finds it present: it is downloaded once. A temporary file whose blob's lock no one holds is
 * a leftover of a writer that died, and is removed.
 */
public final class BlobStore {
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
        try (StoreLock lock = StoreLock.acquire(lockPath(d))) {
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
     * Removes the temporary files of writers that are gone: a temporary file is named after its
     * blob ({@code <hex>.<pid>.<random>.partial}), and one whose blob's lock is free has no writer.
     */
    public void removeAbandonedTemporaries() {
        Path tmp = tmpDir();
        if (!Files.isDirectory(tmp)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(tmp, "*.partial")) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                Digest d;
                try {
                    d = new Digest(name.length() > 128 && name.charAt(128) == '.' ? "sha512" : "sha256",
                            name.substring(0, name.indexOf('.')));
                } catch (IllegalArgumentException | IndexOutOfBoundsException notOurs) {
                    continue; // a name this store did not make: left alone
                }
                Path lockPath = lockPath(d);
                if (!Files.exists(lockPath)) {
                    Files.deleteIfExists(p); // a lock file is made before any temporary file
                    continue;
                }
                try (StoreLock lock = StoreLock.tryAcquire(lockPath)) {
                    if (lock != null) { // free: its writer is gone
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (NoSuchFileException gone) {
            // removed meanwhile
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
