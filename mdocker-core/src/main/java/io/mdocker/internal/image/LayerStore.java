package io.mdocker.internal.image;

import io.mdocker.internal.image.registry.StoreLock;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The unpacked layers of an image store: {@code images/layers/sha256/<diffhex>/}, each written once
 * (under the lock file {@code <diffhex>.lock} beside it) into {@code images/layers/tmp/<diffhex>.<random>/}
 * and renamed into place only when complete and its diffID verified. A temporary directory whose
 * lock nobody holds is a leftover of a killed unpack and is removed at the next unpack.
 *
 * <p>Thread-safe and safe across JVMs sharing the store.
 */
final class LayerStore {
    /** The default bound on a layer's uncompressed size. */
    static final long DEFAULT_MAX_BYTES = 64L << 30;

    private final Path sha256;
    private final Path tmp;

    /**
     * How layers are written.
     *
     * @param rootless  a rootless user's store: opaque directories are marked with
     *                  {@code user.overlay.opaque} alone (for overlay mounts with {@code userxattr}),
     *                  and, when this JVM is not root, the files' owners are set by the owners
     *                  helper inside the containers' user namespace ({@link LayerFiles}); otherwise
     *                  with both {@code trusted.overlay.opaque} (root's overlay) and
     *                  {@code user.overlay.opaque} (the overlay a root JVM's userns container mounts)
     * @param maxBytes  bound on a layer's uncompressed size
     */
    record Options(boolean rootless, long maxBytes) {
        static final Options DEFAULT = new Options(false, DEFAULT_MAX_BYTES);

        /** The options of this JVM's stores: rootless when its effective uid is not 0. */
        static Options forThisJvm() {
            return io.mdocker.internal.sys.Namespaces.rootless() ? new Options(true, DEFAULT_MAX_BYTES) : DEFAULT;
        }

        List<String> opaqueXattrs() {
            return rootless ? List.of("user.overlay.opaque") : List.of("trusted.overlay.opaque", "user.overlay.opaque");
        }

        /** Owners are set by the owners helper: a rootless store written by a JVM that is not root. */
        boolean deferOwners() {
            return rootless && io.mdocker.internal.sys.Namespaces.rootless();
        }
    }

    /** Opens a blob's bytes. */
    @FunctionalInterface
    interface Opener {
        InputStream open() throws IOException;
    }

    LayerStore(Path imagesDir) {
        this.sha256 = imagesDir.resolve("layers").resolve("sha256");
        this.tmp = imagesDir.resolve("layers").resolve("tmp");
    }

    /** The directory of the layer with {@code diffId}, whether or not it is there. */
    Path path(String diffId) {
        return sha256.resolve(Digests.hex(diffId, "diffID"));
    }

    boolean contains(String diffId) {
        return Files.isDirectory(path(diffId), LinkOption.NOFOLLOW_LINKS);
    }

    /** The diffIDs of the layers present. */
    List<String> list() throws IOException {
        if (!Files.isDirectory(sha256)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(sha256)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f]{64}"))
                    .map(n -> "sha256:" + n).sorted().toList();
        }
    }

    /**
     * The layer's directory, unpacking {@code blob} first when it is not there: its uncompressed
     * stream must digest to {@code diffId}. {@code what} names the layer in errors.
     */
    Path ensure(String diffId, Opener blob, Compression compression, Options options, String what) throws IOException {
        String hex = Digests.hex(diffId, "diffID");
        Path done = sha256.resolve(hex);
        if (Files.isDirectory(done, LinkOption.NOFOLLOW_LINKS)) {
            return done;
        }
        Files.createDirectories(sha256);
        Files.createDirectories(tmp);
        try (StoreLock lock = StoreLock.acquire(sha256.resolve(hex + ".lock"));
             LayerFiles files = new LayerFiles()) {
            if (Files.isDirectory(done, LinkOption.NOFOLLOW_LINKS)) {
                return done; // unpacked meanwhile by another thread or JVM
            }
            removeLeftovers(hex, files);
            Path work = tmp.resolve(hex + "." + UUID.randomUUID());
            Files.createDirectory(work);
            boolean complete = false;
            try {
                unpackInto(work, blob, compression, options, diffId, what, files);
                files.move(work, done);
                complete = true;
                return done;
            } finally {
                if (!complete) {
                    files.deleteQuietly(work);
                }
            }
        }
    }

    /** Unpacks {@code blob} into the empty directory {@code dir}, checking the diffID (null: not checked). */
    static String unpackInto(Path dir, Opener blob, Compression compression, Options options, String diffId, String what)
            throws IOException {
        try (LayerFiles files = new LayerFiles()) {
            return unpackInto(dir, blob, compression, options, diffId, what, files);
        }
    }

    private static String unpackInto(Path dir, Opener blob, Compression compression, Options options, String diffId,
                                     String what, LayerFiles files) throws IOException {
        try (InputStream raw = blob.open();
             InputStream plain = compression.open(raw, what);
             Digests.Counting counted = new Digests.Counting(plain, options.maxBytes(), what);
             LayerUnpacker unpacker = new LayerUnpacker(dir, what, options.opaqueXattrs(), options.deferOwners())) {
            try {
                unpacker.unpack(new TarReader(counted));
                counted.drain();
            } catch (TarReader.TarException | Digests.LimitException e) {
                throw new LayerUnpacker.LayerException(what + ": " + e.getMessage(), e);
            } catch (java.io.EOFException e) {
                throw new LayerUnpacker.LayerException(what + ": truncated (" + e.getMessage() + ")", e);
            } catch (java.util.zip.ZipException e) {
                throw new LayerUnpacker.LayerException(what + ": corrupt gzip stream (" + e.getMessage() + ")", e);
            }
            String actual = counted.digest();
            if (diffId != null && !actual.equals(diffId)) {
                throw new LayerUnpacker.LayerException(what + ": uncompressed content digests to " + actual
                        + ", not its diffID " + diffId);
            }
            if (options.deferOwners()) {
                files.applyOwners(dir, unpacker.deferredOwners());
            }
            return actual;
        }
    }

    /**
     * Removes temporary directories that no live unpack holds; those of {@code heldHex}, whose
     * lock the caller holds, are leftovers all.
     */
    void removeLeftovers(String heldHex, LayerFiles files) throws IOException {
        if (!Files.isDirectory(tmp)) {
            return;
        }
        List<Path> entries;
        try (Stream<Path> s = Files.list(tmp)) {
            entries = s.toList();
        }
        for (Path p : entries) {
            String name = p.getFileName().toString();
            int dot = name.indexOf('.');
            String hex = dot < 0 ? name : name.substring(0, dot);
            if (hex.equals(heldHex)) {
                files.deleteQuietly(p);
                continue;
            }
            try (StoreLock lock = StoreLock.tryAcquire(sha256.resolve(hex + ".lock"))) {
                if (lock != null) {
                    files.deleteQuietly(p);
                }
            }
        }
    }

    /** Removes the layer's directory (its lock file stays). */
    void remove(String diffId) throws IOException {
        String hex = Digests.hex(diffId, "diffID");
        try (StoreLock lock = StoreLock.acquire(sha256.resolve(hex + ".lock"));
             LayerFiles files = new LayerFiles()) {
            Path dir = sha256.resolve(hex);
            if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                // renamed out of the way first, so that no half-removed layer is ever used
                Files.createDirectories(tmp);
                Path doomed = tmp.resolve(hex + "." + UUID.randomUUID());
                files.move(dir, doomed);
                files.deleteQuietly(doomed);
            }
        }
    }

    static void deleteQuietly(Path p) {
        try {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                LayerUnpacker.removeTree(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // left for the next removeLeftovers
        }
    }
}
