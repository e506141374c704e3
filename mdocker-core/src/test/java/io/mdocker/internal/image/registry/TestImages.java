package io.mdocker.internal.image.registry;

import io.mdocker.BusyboxRootfs;
import io.mdocker.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Test images in OCI layouts made by umoci from root filesystems the test builds: a busybox layer
 * (from the host's busybox-static) and layers of files of seeded random bytes, so that every image
 * a test asks for has layers of its own (skopeo's blob cache cannot substitute one it has seen).
 */
final class TestImages {
    private TestImages() {}

    /** An OCI layout at {@code layout} with {@code tag}: busybox, then one layer per size given, for {@code arch}. */
    static Path image(Path layout, String tag, String arch, long seed, int... randomLayerSizes) throws IOException, InterruptedException {
        Fixtures.prerequisite(BusyboxRootfs.findStaticBusybox().isPresent(),
                "a statically linked busybox is needed (apt-get install busybox-static)");
        if (!Files.exists(layout.resolve("index.json"))) {
            TestRegistry.run(List.of("umoci", "init", "--layout", layout.toString()));
        }
        String image = layout + ":" + tag;
        TestRegistry.run(List.of("umoci", "new", "--image", image));
        if (!arch.equals("amd64")) {
            TestRegistry.run(List.of("umoci", "config", "--image", image, "--architecture", arch, "--os", "linux"));
        }
        Path work = Files.createTempDirectory(layout.getParent(), "rootfs-");
        Path busybox = work.resolve("busybox");
        BusyboxRootfs.ensure(busybox);
        // a file of the seed's own, so that images of different seeds never share a layer
        Files.writeString(busybox.resolve("etc/image-seed"), tag + " " + arch + " " + seed + "\n");
        TestRegistry.run(List.of("umoci", "insert", "--image", image, busybox.toString(), "/"));
        Random random = new Random(seed);
        for (int i = 0; i < randomLayerSizes.length; i++) {
            Path dir = Files.createDirectories(work.resolve("layer" + i + "/data"));
            byte[] bytes = new byte[randomLayerSizes[i]];
            random.nextBytes(bytes);
            Files.write(dir.resolve("random-" + i + ".bin"), bytes);
            TestRegistry.run(List.of("umoci", "insert", "--image", image, dir.toString(), "/data" + i));
        }
        return layout;
    }
}
