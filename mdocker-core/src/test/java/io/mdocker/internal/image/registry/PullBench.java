package io.mdocker.internal.image.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A figure, not a test (run by scripts/bench-pull): a multi-layer image of about 220 MB (busybox
 * and four layers of 52 MiB of random bytes, so compression cannot shrink them) pushed by skopeo
 * into Debian's docker-registry on 127.0.0.1, then, round by round into empty stores, in rotating
 * order: pulled by {@link RegistryClient} and by {@code skopeo copy docker://… oci:…}; and pulled
 * and unpacked, by the image store ({@code LocalImages.pull}: blobs, then every layer unpacked)
 * and by {@code skopeo copy} followed by {@code umoci unpack}. Prints each round and the medians
 * of each pair with their ratio.
 *
 * <p>Arguments: a work directory (emptied) and the number of rounds.
 */
public final class PullBench {
    private PullBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/bench-pull").toAbsolutePath();
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        RegistryPullTest.deleteTree(dir);
        Files.createDirectories(dir);
        Path layout = dir.resolve("oci");
        System.out.println("making the image (umoci) ...");
        TestImages.image(layout, "big", "amd64", 7, 52 << 20, 52 << 20, 52 << 20, 52 << 20);
        try (TestRegistry registry = TestRegistry.start(dir.resolve("registry"))) {
            registry.push(layout, "big", "bench/big:v1");
            String image = registry.host() + "/bench/big:v1";
            RegistryClient client = RegistryClient.builder().dockerConfig(DockerConfig.read(dir.resolve("no-config.json"))).build(); // lives as long as the run
            PullResult first = client.pull(registry.host(), "bench/big", "v1", dir.resolve("warm/blobs"), Platform.parse("linux/amd64"), PullListener.NONE);
            long total = first.config().size() + first.layers().stream().mapToLong(Descriptor::size).sum();
            System.out.printf(Locale.ROOT, "image %s: %d layers, %.1f MB of blobs (a first pull warmed the registry's page cache)%n",
                    image, first.layers().size(), total / 1e6);
            // pull: blobs only; unpack: the image ready to run (mdocker: blobs and every layer unpacked
            // in its store; skopeo: blobs in an OCI layout, then umoci unpack of the bundle)
            String[] kinds = {"mdocker pull", "skopeo copy", "mdocker pull+unpack", "skopeo+umoci unpack"};
            List<List<Double>> times = new ArrayList<>();
            for (int k = 0; k < kinds.length; k++) {
                times.add(new ArrayList<>());
            }
            for (int r = 0; r < rounds; r++) {
                for (int j = 0; j < kinds.length; j++) {
                    int k = (r + j) % kinds.length; // each kind first in turn
                    Path store = dir.resolve("round-" + r + "-" + k);
                    long t0 = System.nanoTime();
                    switch (k) {
                        case 0 -> client.pull(registry.host(), "bench/big", "v1", store.resolve("blobs"), Platform.parse("linux/amd64"),
                                PullListener.NONE);
                        case 1 -> TestRegistry.run(List.of("skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false",
                                "docker://" + image, "oci:" + store + ":big"));
                        case 2 -> new io.mdocker.internal.image.LocalImages(store)
                                .pull(io.mdocker.internal.image.ImageReference.parse(image), client, PullListener.NONE);
                        default -> {
                            Files.createDirectories(store);
                            TestRegistry.run(List.of("skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false",
                                    "docker://" + image, "oci:" + store + "/oci:big"));
                            TestRegistry.run(List.of("umoci", "unpack", "--image", store + "/oci:big", store + "/bundle"));
                        }
                    }
                    double sec = (System.nanoTime() - t0) / 1e9;
                    times.get(k).add(sec);
                    System.out.printf(Locale.ROOT, "round %d: %-20s %.2f s%n", r + 1, kinds[k], sec);
                    RegistryPullTest.deleteTree(store);
                }
            }
            for (int pair = 0; pair < 2; pair++) {
                double m = median(times.get(2 * pair));
                double sk = median(times.get(2 * pair + 1));
                System.out.printf(Locale.ROOT, "median of %d rounds: %s %.2f s (%.0f MB/s), %s %.2f s (%.0f MB/s); mdocker/other %.2f%n",
                        rounds, kinds[2 * pair], m, total / 1e6 / m, kinds[2 * pair + 1], sk, total / 1e6 / sk, m / sk);
            }
        } finally {
            RegistryPullTest.deleteTree(dir);
        }
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(Comparator.naturalOrder());
        return s.size() % 2 == 1 ? s.get(s.size() / 2) : (s.get(s.size() / 2 - 1) + s.get(s.size() / 2)) / 2;
    }

}
