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
 * into Debian's docker-registry on 127.0.0.1, then pulled round by round into an empty store by
 * {@link RegistryClient} and by {@code skopeo copy docker://… oci:…}, in alternating order. Prints
 * each round and the medians with their ratio.
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
            List<Double> ours = new ArrayList<>();
            List<Double> skopeo = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 2; k++) {
                    boolean mdocker = (r + k) % 2 == 0;
                    Path store = dir.resolve("round-" + r + (mdocker ? "-mdocker" : "-skopeo"));
                    long t0 = System.nanoTime();
                    if (mdocker) {
                        client.pull(registry.host(), "bench/big", "v1", store.resolve("blobs"), Platform.parse("linux/amd64"), PullListener.NONE);
                    } else {
                        TestRegistry.run(List.of("skopeo", "--insecure-policy", "copy", "-q", "--src-tls-verify=false",
                                "docker://" + image, "oci:" + store + ":big"));
                    }
                    double s = (System.nanoTime() - t0) / 1e9;
                    (mdocker ? ours : skopeo).add(s);
                    System.out.printf(Locale.ROOT, "round %d: %-7s %.2f s%n", r + 1, mdocker ? "mdocker" : "skopeo", s);
                    RegistryPullTest.deleteTree(store);
                }
            }
            double m = median(ours);
            double sk = median(skopeo);
            System.out.printf(Locale.ROOT, "median of %d rounds: mdocker pull %.2f s (%.0f MB/s), skopeo copy %.2f s (%.0f MB/s); mdocker/skopeo %.2f%n",
                    rounds, m, total / 1e6 / m, sk, total / 1e6 / sk, m / sk);
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
