package io.mdocker.internal.image.registry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A listener that keeps what it was told, for the tests to check. */
final class RecordingListener implements PullListener {
    final List<Digest> present = new CopyOnWriteArrayList<>();
    final List<Digest> started = new CopyOnWriteArrayList<>();
    final List<Digest> done = new CopyOnWriteArrayList<>();
    final List<String> retries = new CopyOnWriteArrayList<>();
    final Map<Digest, long[]> lastProgress = new ConcurrentHashMap<>();
    volatile List<Descriptor> resolved = List.of();

    @Override
    public void resolved(String image, Digest manifest, List<Descriptor> blobs) {
        resolved = blobs;
    }

    @Override
    public void blobPresent(Descriptor blob) {
        present.add(blob.digest());
    }

    @Override
    public void blobStarted(Descriptor blob) {
        started.add(blob.digest());
    }

    @Override
    public void blobProgress(Descriptor blob, long doneBytes, long total) {
        lastProgress.put(blob.digest(), new long[] {doneBytes, total});
    }

    @Override
    public void blobRetrying(Descriptor blob, long doneBytes, String reason) {
        retries.add(blob.digest() + " at " + doneBytes + ": " + reason);
    }

    @Override
    public void blobDone(Descriptor blob) {
        done.add(blob.digest());
    }
}
