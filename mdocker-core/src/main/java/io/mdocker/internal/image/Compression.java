package io.mdocker.internal.image;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** How a layer blob is compressed, known from its media type and checked against its first bytes. */
enum Compression {
    NONE, GZIP, ZSTD;

    /** What the first bytes say: gzip's 1f 8b, zstd's 28 b5 2f fd, else uncompressed. */
    static Compression sniff(BufferedInputStream in) throws IOException {
        in.mark(4);
        byte[] magic = in.readNBytes(4);
        in.reset();
        if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
            return GZIP;
        }
        if (magic.length == 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5
                && (magic[2] & 0xff) == 0x2f && (magic[3] & 0xff) == 0xfd) {
            return ZSTD;
        }
        return NONE;
    }

    /** The compression a layer media type names; empty for a type that is not a layer's. */
    static java.util.Optional<Compression> ofMediaType(String mediaType) {
        return java.util.Optional.ofNullable(switch (mediaType) {
            case "application/vnd.oci.image.layer.v1.tar",
                 "application/vnd.oci.image.layer.nondistributable.v1.tar" -> NONE;
            case "application/vnd.oci.image.layer.v1.tar+gzip",
                 "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                 "application/vnd.docker.image.rootfs.diff.tar.gzip",
                 "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" -> GZIP;
            case "application/vnd.oci.image.layer.v1.tar+zstd",
                 "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" -> ZSTD;
            default -> null;
        });
    }

    /** The uncompressed stream of {@code raw}; its first bytes must match this compression. */
    InputStream open(InputStream raw, String what) throws IOException {
        BufferedInputStream in = raw instanceof BufferedInputStream b ? b : new BufferedInputStream(raw, 1 << 16);
        Compression actual = sniff(in);
        if (actual != this) {
            throw new IOException(what + " is declared " + describe() + " but its content is " + actual.describe());
        }
        return switch (this) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case ZSTD -> Zstd.open(in);
        };
    }

    String describe() {
        return switch (this) {
            case NONE -> "uncompressed";
            case GZIP -> "gzip";
            case ZSTD -> "zstd";
        };
    }

    /** zstd-jni, loaded (its native library extracted and linked) only when a zstd layer comes. */
    private static final class Zstd {
        static InputStream open(InputStream in) throws IOException {
            return new com.github.luben.zstd.ZstdInputStream(in);
        }
    }
}
