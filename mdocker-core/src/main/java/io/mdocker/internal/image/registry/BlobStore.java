package io.mdocker.internal.image.registry;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The image store's blobs ({@code images/blobs}), shaped as an OCI image layout's {@code blobs}
 * directory: {@code <algorithm>/<hex>}. Every blob that comes in, pulled, loaded or imported,
 * is written through {@link #ensure}: under its lock, into a temporary file in {@code tmp/},
 * hashed and counted by the store as it is written, checked against its digest and size, fsynced
 * and renamed into place. So a blob that is present is complete and verified, and this is the
 * one place where that is done.
 *
 * <p>Whoever writes a blob holds its lock ({@link StoreLock} on {@code <algorithm>/<hex>.lock},
 * the store's contract, see {@code io.mdocker.internal.image}: the lock file is never removed
 * while the store is in use). A second writer of a blob waits for the first and then finds it
 * present: it is written once. A temporary file whose blob's lock no one holds is a leftover of
 * a writer that died, and is removed.
 *
 * <p>A store {@link #leased(Lease) with a lease} records each blob in the lease before it looks
 * for it or writes it, so that a prune running meanwhile keeps it (see {@link Lease}).
 * Thread-safe and safe across JVMs.
 */
public final class BlobStore {
    private final Path root;
    private final Optional<Lease> lease;

    /** A store on a {@code blobs} directory (made when first written to). */
    public BlobStore(Path blobsRoot) {
        this(blobsRoot.toAbsolutePath(), Optional.empty());
    }

    private BlobStore(Path root, Optional<Lease> lease) {
        this.root = root;
        this.lease = lease;
    }

    /** The same store, each blob it looks for or writes recorded in {@code lease} first. */
    public BlobStore leased(Lease lease) {
        return new BlobStore(root, Optional.of(lease));
    }

    /**
     * Where a writer puts a blob's bytes: the store hashes and counts them as they come, refusing
     * more than the declared size at once.
     */
    public interface Sink {
        /** Appends bytes to the blob. */
        void write(byte[] bytes, int offset, int length) throws IOException;

        /** Drops what was written: the blob starts again from its first byte. */
        void restart() throws IOException;

        /** How many bytes have been written since the start (or the last restart). */
        long written();
    }

    /** What writes a blob's content into a {@link Sink} (and throws if it cannot). */
    @FunctionalInterface
    public interface Writer {
        void writeTo(Sink sink) throws IOException;
    }

    /** Opens the bytes of a blob that comes from a file or from memory. */
    @FunctionalInterface
    public interface Source {
        InputStream open() throws IOException;
    }

    /** Whether {@link #ensure} found the blob present or wrote it. */
    public enum Outcome { PRESENT, WRITTEN }

    /** A blob whose content is not what its digest or size says; nothing of it is kept. */
    public static final class MismatchException extends IOException {
        private static final long serialVersionUID = 1L;

        MismatchException(String message) {
            super(message);
        }
    }

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

    public InputStream open(Digest d) throws IOException {
        return Files.newInputStream(path(d));
    }

    public byte[] read(Digest d) throws IOException {
        return Files.readAllBytes(path(d));
    }

    /** {@link #ensure(Digest, long, String, Writer)} of a blob of unknown size. */
    Outcome ensure(Digest d, Writer writer) throws IOException {
        return ensure(d, -1, "blob " + d, writer);
    }

    /**
     * Makes sure a blob is present: if it is not, takes its lock and, if it is still not there,
     * has {@code writer} write it into a temporary file, checks what was written against the
     * digest and {@code size} (when not negative), and renames it into place. A mismatch is a
     * {@link MismatchException} naming {@code what}; on any failure the temporary file is removed
     * and nothing is left for the blob.
     */
    public Outcome ensure(Digest d, long size, String what, Writer writer) throws IOException {
        if (lease.isPresent()) {
            lease.get().protect(d.toString()); // before looking: a prune from now on keeps it
        }
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
                try (FileSink sink = new FileSink(tmp, d.newHasher(), size, what)) {
                    writer.writeTo(sink);
                    sink.verify(d);
                }
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

    /** Stores the bytes {@code source} opens as the blob {@code d}, unless it is there. */
    public Outcome put(Digest d, long size, String what, Source source) throws IOException {
        return ensure(d, size, what, sink -> {
            try (InputStream in = source.open()) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sink.write(buf, 0, n);
                }
            }
        });
    }

    /** Stores bytes already in memory (a manifest, an index, a config) under their digest. */
    public Outcome put(Digest d, byte[] bytes) throws IOException {
        return put(d, bytes.length, "blob " + d, () -> new ByteArrayInputStream(bytes));
    }

    /** Stores bytes in memory under their sha256 digest, which it returns. */
    public Digest put(byte[] bytes) throws IOException {
        Digest d = Digest.sha256(bytes);
        put(d, bytes);
        return d;
    }

    /** The blobs present (sha256 and sha512), sorted. */
    public List<Digest> list() throws IOException {
        List<Digest> out = new ArrayList<>();
        for (String algorithm : List.of("sha256", "sha512")) {
            Path dir = root.resolve(algorithm);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                for (Path p : s) {
                    String name = p.getFileName().toString();
                    if (name.matches("[0-9a-f]{64}|[0-9a-f]{128}")) {
                        try {
                            out.add(new Digest(algorithm, name));
                        } catch (IllegalArgumentException notOurs) {
                            // a sha512-length name under sha256/: not a blob of this store
                        }
                    }
                }
            }
        }
        out.sort(java.util.Comparator.comparing(Digest::toString));
        return out;
    }

    /** Removes a blob (under its lock; the lock file stays). */
    public void remove(Digest d) throws IOException {
        try (StoreLock lock = StoreLock.acquire(lockPath(d))) {
            Files.deleteIfExists(path(d));
        }
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
        try (DirectoryStream<Path> s = Files.newDirectoryStream(tmp)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                Digest d;
                try {
                    String hex = name.substring(0, name.indexOf('.'));
                    d = new Digest(hex.length() == 128 ? "sha512" : "sha256", hex);
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

    /** A temporary file that hashes and counts what is written to it. */
    private static final class FileSink implements Sink, AutoCloseable {
        private final FileChannel out;
        private final MessageDigest hasher;
        private final long size;
        private final String what;
        private long written;

        FileSink(Path tmp, MessageDigest hasher, long size, String what) throws IOException {
            this.out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            this.hasher = hasher;
            this.size = size;
            this.what = what;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (size >= 0 && written + length > size) {
                throw new MismatchException(what + " is longer than the " + size + " bytes its descriptor gives; nothing stored");
            }
            hasher.update(bytes, offset, length);
            ByteBuffer bb = ByteBuffer.wrap(bytes, offset, length);
            while (bb.hasRemaining()) {
                out.write(bb);
            }
            written += length;
        }

        @Override
        public void restart() throws IOException {
            hasher.reset();
            out.truncate(0);
            out.position(0);
            written = 0;
        }

        @Override
        public long written() {
            return written;
        }

        void verify(Digest d) throws IOException {
            if (size >= 0 && written != size) {
                throw new MismatchException(what + " has " + written + " bytes, not the " + size
                        + " its descriptor gives; nothing stored");
            }
            byte[] got = hasher.digest();
            if (!d.matches(got)) {
                throw new MismatchException(what + " does not match its digest (got " + d.algorithm() + ":"
                        + HexFormat.of().formatHex(got) + "); nothing stored");
            }
            out.force(true);
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
