package io.mdocker;

import java.util.List;
import java.util.Objects;

/**
 * What a pull ({@link ImageStore#pull(String, PullOptions)}) reports while it runs: the blobs the
 * chosen manifest needs, then per blob whether it was already in the store, its download's start,
 * its bytes as they arrive, a retried connection, and its end. The blob events come from the
 * pull's download threads (a few blobs at once, each blob's events from one thread in order): an
 * implementation that prints or collects must synchronise. Every method has an empty default.
 */
public interface PullProgress {
    /**
     * A blob of the image: its digest ({@code sha256:<hex>}), media type and size in bytes, as the
     * manifest gives them.
     *
     * @param digest    the blob's digest
     * @param mediaType the blob's media type (a config's or a layer's)
     * @param size      the blob's size in bytes
     */
    record Blob(String digest, String mediaType, long size) {
        /** Checks the parts: none null, the size not negative. */
        public Blob {
            Objects.requireNonNull(digest, "digest");
            Objects.requireNonNull(mediaType, "mediaType");
            if (size < 0) {
                throw new IllegalArgumentException("blob " + digest + ": size " + size + " is negative");
            }
        }
    }

    /**
     * The manifest is chosen (from an index, for this machine's platform).
     *
     * @param image          the image as pulled ({@code host/repository:tag})
     * @param manifestDigest the chosen manifest's digest
     * @param blobs          the blobs it needs, the config first, then the layers bottom-most first
     */
    default void resolved(String image, String manifestDigest, List<Blob> blobs) {}

    /**
     * A blob is in the store already: nothing is downloaded.
     *
     * @param blob the blob
     */
    default void blobPresent(Blob blob) {}

    /**
     * A blob's download starts.
     *
     * @param blob the blob
     */
    default void blobStarted(Blob blob) {}

    /**
     * Bytes of a blob received so far.
     *
     * @param blob the blob
     * @param done the bytes received, of {@code blob.size()}
     */
    default void blobProgress(Blob blob, long done) {}

    /**
     * A connection dropped: the download goes on from {@code done} (or from the start).
     *
     * @param blob   the blob
     * @param done   the bytes kept
     * @param reason what happened, one line
     */
    default void blobRetrying(Blob blob, long done, String reason) {}

    /**
     * A blob is in the store, verified against its digest.
     *
     * @param blob the blob
     */
    default void blobDone(Blob blob) {}
}
