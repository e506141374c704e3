package io.mdocker.internal.image.registry;

import java.util.Optional;

/**
 * An OCI content descriptor: what a manifest or index says of a blob it points to. The platform
 * is present on the entries of an index that declare one.
 */
public record Descriptor(String mediaType, Digest digest, long size, Optional<Platform> platform) {
    public Descriptor {
        if (size < 0) {
            throw new IllegalArgumentException("descriptor " + digest + ": size " + size + " is negative");
        }
    }

    public Descriptor(String mediaType, Digest digest, long size) {
        this(mediaType, digest, size, Optional.empty());
    }
}
