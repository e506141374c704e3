package io.mdocker.internal.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a container of a stored image needs, in plain types: its layer directories and the
 * image's config. The one entry from the container definition into the image store, so that a
 * container from a root filesystem never loads the store (nor Jackson).
 */
public final class ImageBinding {
    private ImageBinding() {}

    /**
     * @param id       the image ID (its config's digest)
     * @param layers   the unpacked layers, top-most first
     */
    public record Bound(String id, String reference, List<Path> layers, List<String> entrypoint, List<String> cmd,
                        List<String> env, String workingDir, String user, List<String> exposedPorts, String stopSignal,
                        Map<String, String> labels, java.util.Optional<ImageConfig.Health> healthcheck) {}

    /**
     * Finds {@code reference} in the store of {@code libRoot}, pulling it from its registry first
     * by {@code pull}, the policy's name: {@code missing} pulls an image the store lacks,
     * {@code always} pulls every time (blobs already present are not downloaded again),
     * {@code never} makes a missing image an error naming it and how to bring it in. A pull uses
     * the registry client {@code client} makes (only when a pull happens; closed after it) and
     * reports to {@code listener}.
     */
    public static Bound bind(Path libRoot, String reference, String pull,
                             java.util.function.Supplier<io.mdocker.internal.image.registry.RegistryClient> client,
                             io.mdocker.internal.image.registry.PullListener listener) {
        ImageReference ref = ImageReference.parse(reference);
        LocalImages images = new LocalImages(libRoot);
        try {
            Optional<LocalImages.Stored> s = pull.equals("always") ? Optional.empty() : images.find(reference);
            if (s.isEmpty() && pull.equals("never")) {
                throw new IllegalArgumentException("image " + ref.familiar() + " is not in the image store ("
                        + images.dir() + ") and the pull policy is never: pull it (mdocker pull, ImageStore.pull), "
                        + "or bring it in with mdocker load -i FILE or mdocker import");
            }
            if (s.isEmpty()) {
                try (var c = client.get()) {
                    s = Optional.of(images.pull(ref, c, listener));
                }
            }
            LocalImages.Stored i = s.get();
            ImageConfig c = i.config();
            return new Bound(i.id(), ref.toString(), images.layerDirs(i), c.entrypoint(), c.cmd(), c.env(), c.workingDir(),
                    c.user(), c.exposedPorts(), c.stopSignal(), c.labels(), c.healthcheck());
        } catch (IOException e) {
            throw new UncheckedIOException("image " + reference + ": " + e.getMessage(), e);
        }
    }

    /**
     * Resolves a user as Docker does ({@code NAME|UID[:GROUP|GID]}) against the image's
     * {@code /etc/passwd} and {@code /etc/group} (read from the top-most layer that holds them):
     * {uid, gid}. A name that is not there is an {@link IllegalArgumentException}.
     */
    public static int[] resolveUser(List<Path> layersTopFirst, String spec, String image) {
        String[] parts = spec.split(":", -1);
        if (parts.length > 2 || parts[0].isEmpty()) {
            throw new IllegalArgumentException("invalid user '" + spec + "': expected NAME|UID[:GROUP|GID]");
        }
        int uid;
        int gid;
        List<String[]> passwd = table(layersTopFirst, "etc/passwd");
        if (parts[0].matches("\\d+")) {
            uid = Integer.parseInt(parts[0]);
            gid = passwd.stream().filter(f -> f.length > 3 && f[2].equals(parts[0])).findFirst()
                    .map(f -> Integer.parseInt(f[3])).orElse(0);
        } else {
            String[] entry = passwd.stream().filter(f -> f.length > 3 && f[0].equals(parts[0])).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("user '" + parts[0] + "' is not in the /etc/passwd of image "
                            + image));
            uid = Integer.parseInt(entry[2]);
            gid = Integer.parseInt(entry[3]);
        }
        if (parts.length == 2) {
            if (parts[1].matches("\\d+")) {
                gid = Integer.parseInt(parts[1]);
            } else {
                String[] g = table(layersTopFirst, "etc/group").stream().filter(f -> f.length > 2 && f[0].equals(parts[1]))
                        .findFirst().orElseThrow(() -> new IllegalArgumentException("group '" + parts[1]
                                + "' is not in the /etc/group of image " + image));
                gid = Integer.parseInt(g[2]);
            }
        }
        return new int[] {uid, gid};
    }

    private static List<String[]> table(List<Path> layersTopFirst, String file) {
        for (Path layer : layersTopFirst) {
            Path p = layer.resolve(file);
            try {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    return Files.readAllLines(p, StandardCharsets.UTF_8).stream().map(l -> l.split(":", -1)).toList();
                }
                if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                    return List.of(); // a whiteout or a link: the image has no such file to read here
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return List.of();
    }
}
