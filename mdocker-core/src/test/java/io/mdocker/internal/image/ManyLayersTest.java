package io.mdocker.internal.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.Container;
import io.mdocker.ExecResult;
import io.mdocker.ImageStore;
import io.mdocker.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * An image of 50 layers: as absolute paths its lowerdirs would not fit the page of options
 * mount(2) takes; they are given relative to the store's layer directory and the container runs,
 * seeing a file of every layer.
 */
class ManyLayersTest {
    static final int LAYERS = 50;

    @Test
    void fiftyLayersFitOneOverlayMount() throws Exception {
        Path base = Fixtures.TARGET.resolve("image-tests").resolve("many");
        if (Files.exists(base)) {
            LayerUnpacker.removeTree(base);
        }
        Path layout = base.resolve("layout");
        Files.createDirectories(layout.resolve("blobs/sha256"));
        List<Manifests.Descriptor> layers = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        ByteArrayOutputStream bottom = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(bottom);
        w.tree(Fixtures.rootfs());
        w.finish();
        for (int i = 0; i < LAYERS; i++) {
            byte[] tar = i == 0 ? bottom.toByteArray() : new TestTar().file("layers/" + i, "layer " + i + "\n").bytes();
            String d = blob(layout, tar);
            layers.add(new Manifests.Descriptor("application/vnd.oci.image.layer.v1.tar", d, tar.length, Map.of(),
                    Optional.empty()));
            diffIds.add(d);
        }
        var config = Json.object();
        config.put("os", "linux");
        config.put("architecture", Manifests.host().architecture());
        config.putObject("config").putArray("Cmd").add("/bin/sh").add("-c").add("cat /layers/* | wc -l");
        var rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        var ids = rootfs.putArray("diff_ids");
        diffIds.forEach(ids::add);
        byte[] configBytes = Json.bytes(config);
        String configDigest = blob(layout, configBytes);
        byte[] manifest = Manifests.ociManifest(new Manifests.Descriptor(Manifests.OCI_CONFIG, configDigest,
                configBytes.length, Map.of(), Optional.empty()), layers);
        String manifestDigest = blob(layout, manifest);
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\""
                + Manifests.OCI_MANIFEST + "\",\"digest\":\"" + manifestDigest + "\",\"size\":" + manifest.length + "}]}");

        ImageStore.of(Fixtures.RUNTIME).loadOciLayout(layout, Optional.empty(), Optional.of("mdocker-test/many:1"));
        Container c = Container.builder().image("mdocker-test/many:1").runtime(Fixtures.RUNTIME).build();
        int absolute = c.layers().stream().mapToInt(p -> p.toString().length() + 1).sum();
        assertThat(absolute).as("the lowerdirs as absolute paths exceed a page").isGreaterThan(4096);
        ExecResult r = c.run();
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdout().strip()).isEqualTo(Integer.toString(LAYERS - 1));
        assertThat(c.run("/bin/cat", "/layers/1", "/layers/" + (LAYERS - 1)).stdout())
                .isEqualTo("layer 1\nlayer " + (LAYERS - 1) + "\n");
    }

    private static String blob(Path layout, byte[] data) throws Exception {
        String d = Digests.of(data);
        Files.write(layout.resolve("blobs/sha256/" + d.substring(7)), data);
        return d;
    }
}
