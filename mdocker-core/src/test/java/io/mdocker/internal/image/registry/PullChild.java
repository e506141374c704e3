package io.mdocker.internal.image.registry;

import java.nio.file.Path;

/**
 * Run in child JVMs by {@link RegistryPullTest}: pulls {@code registry repository tag} into the
 * blob store {@code blobsRoot} and prints the manifest's digest.
 */
public final class PullChild {
    private PullChild() {}

    public static void main(String[] args) {
        try (RegistryClient client = RegistryClient.builder().dockerConfig(DockerConfig.read(Path.of("/nonexistent/config.json"))).build()) {
            PullResult r = client.pull(args[0], args[1], args[2], Path.of(args[3]), Platform.parse("linux/amd64"), PullListener.NONE);
            System.out.println(r.manifestDigest());
        }
    }
}
