package io.mdocker.cli;

import io.mdocker.internal.image.ImageReference;
import io.mdocker.internal.image.LocalImages;
import io.mdocker.internal.image.registry.ProgressPrinter;
import io.mdocker.internal.image.registry.RegistryClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mdocker pull IMAGE}: an image from its registry into the store, with per-layer progress
 * (redrawn in place on a terminal, plain lines otherwise), then its ID.
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
        ImageReference ref = ImageReference.parse(image);
        RegistryClient.Builder b = RegistryClient.builder();
        insecure.forEach(b::insecure);
        try (RegistryClient client = b.build()) {
            LocalImages.Stored s = new LocalImages(state.runtime().libRoot()).pull(ref, client, ProgressPrinter.forStdout());
            System.out.println("Status: pulled " + ref + "\nDigest: " + s.manifestDigest() + "\nID: " + s.id());
        } catch (IOException e) {
            throw new UncheckedIOException("pulling " + image + ": " + e.getMessage(), e);
        }
        return 0;
    }
}
