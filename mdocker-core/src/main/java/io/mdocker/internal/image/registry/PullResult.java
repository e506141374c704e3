package io.mdocker.internal.image.registry;

import java.util.List;
import java.util.Optional;

/**
 * What a pull put into the store: the chosen image manifest (its digest, media type and bytes,
 * also stored as a blob), its config and layer descriptors in the manifest's order (every one of
 * them stored and verified), and the index when the reference named one.
 */
public record PullResult(String image, Digest manifestDigest, String manifestMediaType, byte[] manifestBytes,
                         Descriptor config, List<Descriptor> layers, Optional<IndexBlob> index) {

    /** The index (or manifest list) a reference named, stored as a blob too. */
    public record IndexBlob(Digest digest, String mediaType, byte[] bytes) {}

    /** The descriptor of the chosen manifest, as an OCI layout's index.json names it. */
    public Descriptor manifest() {
        return new Descriptor(manifestMediaType, manifestDigest, manifestBytes.length);
    }
}
