package io.mdocker.internal.image.registry;

import java.util.List;

/**
 * What a pull reports while it runs. The blob events come from the pull's download threads (up
 * to {@link RegistryClient#PARALLEL_DOWNLOADS} at once, each blob's events from one thread in
 * order); an implementation that prints must synchronise. Every method has an empty default.
 */
public interface PullListener {
    /** A listener that ignores everything. */
    PullListener NONE = new PullListener() {};

    /** The manifest is chosen: its digest, then the blobs it needs (config first, then the layers). */
    default void resolved(String image, Digest manifest, List<Descriptor> blobs) {}

    /** A blob is already in the store (or another pull has just put it there): nothing downloaded. */
    default void blobPresent(Descriptor blob) {}

    /** A blob's download starts. */
    default void blobStarted(Descriptor blob) {}

    /** Bytes of a blob received and verified so far, of {@code total} (its descriptor's size). */
    default void blobProgress(Descriptor blob, long done, long total) {}

    /** A dropped connection: the download goes on from {@code done} (a Range request) or from 0. */
    default void blobRetrying(Descriptor blob, long done, String reason) {}

    /** A blob is in the store, verified. */
    default void blobDone(Descriptor blob) {}
}
