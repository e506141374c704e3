package io.mdocker;

import io.mdocker.internal.image.registry.Descriptor;
import io.mdocker.internal.image.registry.Digest;
import io.mdocker.internal.image.registry.PullListener;

import java.util.List;

/** The registry client's listener, passing its events on to a public {@link PullProgress}. */
final class PullListenerAdapter implements PullListener {
    private final PullProgress progress;

    PullListenerAdapter(PullProgress progress) {
        this.progress = progress;
    }

    private static PullProgress.Blob blob(Descriptor d) {
        return new PullProgress.Blob(d.digest().toString(), d.mediaType(), d.size());
    }

    @Override
    public void resolved(String image, Digest manifest, List<Descriptor> blobs) {
        progress.resolved(image, manifest.toString(), blobs.stream().map(PullListenerAdapter::blob).toList());
    }

    @Override
    public void blobPresent(Descriptor blob) {
        progress.blobPresent(blob(blob));
    }

    @Override
    public void blobStarted(Descriptor blob) {
        progress.blobStarted(blob(blob));
    }

    @Override
    public void blobProgress(Descriptor blob, long done, long total) {
        progress.blobProgress(blob(blob), done);
    }

    @Override
    public void blobRetrying(Descriptor blob, long done, String reason) {
        progress.blobRetrying(blob(blob), done, reason);
    }

    @Override
    public void blobDone(Descriptor blob) {
        progress.blobDone(blob(blob));
    }
}
