package io.mdocker.internal.image;

import io.mdocker.internal.image.registry.StoreLock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The blobs of an image store, {@code images/blobs/sha256/<hex>}, written as the package's layout
 * contract says: under the lock {@code <hex>.lock}, into {@code images/blobs/tmp/}, verified, then
 * renamed. Thread-safe and safe across JVMs.
 */
final class BlobStore {
    private final Path sha256;
    private final Path tmp;

    BlobStore(Path imagesDir) {
        this.sha256 = imagesDir.resolve("blobs").resolve("sha256");
        this.tmp = imagesDir.resolve("blobs").resolve("tmp");
    }

    Path path(String digest) {
        return sha256.resolve(Digests.hex(digest, "digest"));
    }

    boolean contains(String digest) {
        return Files.isRegularFile(path(digest));
    }

    InputStream open(String digest) throws IOException {
        return Files.newInputStream(path(digest));
    }

    byte[] read(String digest) throws IOException {
        return Files.readAllBytes(path(digest));
    }

    /**
     * Stores the bytes of {@code in} as the blob {@code digest} (null: whatever they digest to),
     * unless it is there; returns the digest. A content that does not match is an
     * {@link IOException} naming {@code what}, and nothing is kept.
     */
    String put(String digest, long size, LayerStore.Opener in, String what) throws IOException {
        if (digest != null && contains(digest)) {
            return digest;
        }
        Files.createDirectories(sha256);
        Files.createDirectories(tmp);
        if (digest == null) {
            // the name is known only once written: write to tmp, then store under its digest
            Path t = tmp.resolve("unnamed." + UUID.randomUUID());
            try {
                String d = copy(in, t, -1);
                String hex = Digests.hex(d, "digest");
                try (StoreLock lock = StoreLock.acquire(sha256.resolve(hex + ".lock"))) {
                    if (!contains(d)) {
                        Files.move(t, sha256.resolve(hex), StandardCopyOption.ATOMIC_MOVE);
                    }
                }
                return d;
            } finally {
                Files.deleteIfExists(t);
            }
        }
        String hex = Digests.hex(digest, what + " digest");
        try (StoreLock lock = StoreLock.acquire(sha256.resolve(hex + ".lock"))) {
            if (contains(digest)) {
                return digest;
            }
            Path t = tmp.resolve(hex + "." + UUID.randomUUID());
            try {
                String actual = copy(in, t, size);
                if (!actual.equals(digest)) {
                    throw new IOException(what + ": content digests to " + actual + ", not " + digest);
                }
                Files.move(t, sha256.resolve(hex), StandardCopyOption.ATOMIC_MOVE);
                return digest;
            } finally {
                Files.deleteIfExists(t);
            }
        }
    }

    /** Stores bytes held in memory (manifests, configs). */
    String put(byte[] data) throws IOException {
        return put(null, data.length, () -> new java.io.ByteArrayInputStream(data), "blob");
    }

    private static String copy(LayerStore.Opener opener, Path to, long size) throws IOException {
        var md = Digests.sha256();
        long n = 0;
        try (InputStream in = opener.open();
             OutputStream out = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] buf = new byte[1 << 16];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
                out.write(buf, 0, r);
                n += r;
                if (size >= 0 && n > size) {
                    throw new IOException("blob is longer than its declared size " + size);
                }
            }
        }
        if (size >= 0 && n != size) {
            throw new IOException("blob has " + n + " bytes, not its declared size " + size);
        }
        return Digests.of(md);
    }

    List<String> list() throws IOException {
        if (!Files.isDirectory(sha256)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(sha256)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9a-f]{64}"))
                    .map(n -> "sha256:" + n).sorted().toList();
        }
    }

    void remove(String digest) throws IOException {
        String hex = Digests.hex(digest, "digest");
        try (StoreLock lock = StoreLock.acquire(sha256.resolve(hex + ".lock"))) {
            Files.deleteIfExists(sha256.resolve(hex));
        }
    }

    /** Removes temporary files whose writer is gone (their blob's lock is free). */
    void removeLeftovers() throws IOException {
        if (!Files.isDirectory(tmp)) {
            return;
        }
        List<Path> entries;
        try (Stream<Path> s = Files.list(tmp)) {
            entries = s.toList();
        }
        for (Path p : entries) {
            String name = p.getFileName().toString();
            String hex = name.substring(0, Math.max(0, name.indexOf('.')));
            if (!hex.matches("[0-9a-f]{64}")) {
                continue; // unnamed writes hold no lock: left to their writer
            }
            try (StoreLock lock = StoreLock.tryAcquire(sha256.resolve(hex + ".lock"))) {
                if (lock != null) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
