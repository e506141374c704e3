package io.mdocker.cli;

import io.mdocker.Image;
import io.mdocker.ImageStore;
import io.mdocker.PullOptions;
import io.mdocker.PullProgress;
import io.mdocker.internal.image.ImageReference;
import io.mdocker.internal.image.registry.Descriptor;
import io.mdocker.internal.image.registry.Digest;
import io.mdocker.internal.image.registry.ProgressPrinter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code mdocker pull IMAGE}: an image from its registry into the store through the library's
 * {@link ImageStore#pull(String, PullOptions)}, with per-layer progress (redrawn in place on a
 * terminal, plain lines otherwise), then its digest and ID.
 */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Pull an image from a registry into the image store (credentials from ~/.docker/config.json).")
final class PullCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = "--insecure-registry", paramLabel = "HOST[:PORT]",
            description = "Reach this registry over plain http (127.0.0.1 and localhost always are).")
    List<String> insecure = List.of();

    @Parameters(index = "0", paramLabel = "IMAGE")
    String image;

    @Override
    public Integer call() {
        PullOptions.Builder options = PullOptions.builder();
        insecure.forEach(options::insecure);
        AtomicReference<String> manifest = new AtomicReference<>("");
        Printed printed = new Printed(ProgressPrinter.forStdout(), manifest);
        Image pulled = ImageStore.of(state.runtime()).pull(image, options.progress(printed).build());
        System.out.println("Status: pulled " + ImageReference.parse(image) + "\nDigest: " + manifest.get()
                + "\nID: " + pulled.id());
        return 0;
    }

    /** The library's progress events drawn by the command line's printer. */
    private record Printed(ProgressPrinter printer, AtomicReference<String> manifest) implements PullProgress {
        private static Descriptor descriptor(Blob b) {
            return new Descriptor(b.mediaType(), Digest.parse(b.digest()), b.size());
        }

        @Override
        public void resolved(String image, String manifestDigest, List<Blob> blobs) {
            manifest.set(manifestDigest);
            printer.resolved(image, Digest.parse(manifestDigest), blobs.stream().map(Printed::descriptor).toList());
        }

        @Override
        public void blobPresent(Blob blob) {
            printer.blobPresent(descriptor(blob));
        }

        @Override
        public void blobStarted(Blob blob) {
            printer.blobStarted(descriptor(blob));
        }

        @Override
        public void blobProgress(Blob blob, long done) {
            printer.blobProgress(descriptor(blob), done, blob.size());
        }

        @Override
        public void blobRetrying(Blob blob, long done, String reason) {
            printer.blobRetrying(descriptor(blob), done, reason);
        }

        @Override
        public void blobDone(Blob blob) {
            printer.blobDone(descriptor(blob));
        }
    }
}
