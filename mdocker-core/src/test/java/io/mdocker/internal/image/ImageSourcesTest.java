package io.mdocker.internal.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mdocker.internal.sys.Posix;
import io.mdocker.testing.Fixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Images from real producers: an OCI layout made by umoci from a busybox rootfs (a second layer
 * deleting and adding files), the same image copied by skopeo to a docker-archive and to zstd
 * layers; the layers stacked by overlayfs must equal what {@code umoci unpack} makes of the image.
 * Indexes, platforms, media-type lies and imports of a root filesystem.
 */
class ImageSourcesTest {
    private static Path base;
    private static Path layout;

    @BeforeAll
    static void makeImage() throws Exception {
        Fixtures.prerequisite(Posix.geteuid() == 0, "image tests need root (euid is " + Posix.geteuid() + ")");
        base = Fixtures.TARGET.resolve("image-tests").resolve("sources");
        if (Files.exists(base)) {
            LayerUnpacker.removeTree(base);
        }
        Files.createDirectories(base);
        layout = io.mdocker.testing.TestImages.umociLayout(base);
    }

    private static LocalImages store(String name) throws IOException {
        Path lib = base.resolve("lib-" + name);
        if (Files.exists(lib)) {
            LayerUnpacker.removeTree(lib);
        }
        return new LocalImages(lib);
    }

    @Test
    void ociLayoutLayersStackToWhatUmociUnpacks() throws Exception {
        LocalImages images = store("oci");
        LocalImages.Stored s = images.addOciLayout(layout, Optional.of("v2"), Optional.of(ImageReference.parse("test/bb:v2")));
        assertThat(s.names()).containsExactly("docker.io/test/bb:v2");
        assertThat(s.config().entrypoint()).containsExactly("/bin/echo");
        assertThat(s.config().cmd()).containsExactly("from-image");
        assertThat(s.config().env()).contains("GREETING=hello");
        assertThat(s.config().workingDir()).isEqualTo("/etc");
        assertThat(s.config().user()).isEqualTo("app");
        assertThat(s.config().labels()).containsEntry("org.example", "yes");
        assertThat(s.config().exposedPorts()).containsExactly("8080/tcp");
        assertThat(s.config().stopSignal()).isEqualTo("SIGINT");
        List<Path> dirs = images.layerDirs(s);
        assertThat(dirs).hasSize(2);
        Path top = dirs.get(0);
        assertThat(Files.getAttribute(top.resolve("tmp"), "unix:mode", LinkOption.NOFOLLOW_LINKS))
                .as("the deleted /tmp as a whiteout").isEqualTo(020000);

        Path unpacked = base.resolve("umoci-unpack");
        run("umoci", "unpack", "--image", layout + ":v2", unpacked.toString());
        Path mnt = base.resolve("mnt");
        Files.createDirectories(mnt);
        StringBuilder lower = new StringBuilder();
        for (Path d : dirs) {
            lower.append(lower.isEmpty() ? "" : ":").append(d);
        }
        run("mount", "-t", "overlay", "overlay", "-o", "ro,lowerdir=" + lower, mnt.toString());
        try {
            assertThat(describe(mnt)).isEqualTo(describe(unpacked.resolve("rootfs")));
        } finally {
            run("umount", mnt.toString());
        }
    }

    @Test
    void dockerArchiveAndZstdCopiesBySkopeoGiveTheSameLayers() throws Exception {
        LocalImages images = store("copies");
        LocalImages.Stored oci = images.addOciLayout(layout, Optional.of("v2"), Optional.empty());
        Path archive = base.resolve("bb.tar");
        Files.deleteIfExists(archive);
        run("skopeo", "copy", "oci:" + layout + ":v2", "docker-archive:" + archive + ":test/bb:v2");
        List<LocalImages.Stored> loaded = images.addDockerArchive(archive, Optional.empty());
        assertThat(loaded).hasSize(1);
        assertThat(loaded.get(0).names()).containsExactly("docker.io/test/bb:v2");
        assertThat(loaded.get(0).config().diffIds()).isEqualTo(oci.config().diffIds());
        Path zstd = base.resolve("zstd-layout");
        run("skopeo", "copy", "--dest-compress-format", "zstd", "oci:" + layout + ":v2", "oci:" + zstd + ":v2");
        LocalImages fresh = store("zstd");
        LocalImages.Stored z = fresh.addOciLayout(zstd, Optional.of("v2"), Optional.of(ImageReference.parse("z")));
        assertThat(z.layerBlobs()).allMatch(l -> l.mediaType().endsWith("+zstd"));
        assertThat(z.config().diffIds()).isEqualTo(oci.config().diffIds());
        assertThat(describe(fresh.layerDirs(z).get(0))).isEqualTo(describe(images.layerDirs(oci).get(0)));
        // saved and loaded again: the same image
        Path saved = base.resolve("saved.tar");
        try (var out = Files.newOutputStream(saved)) {
            images.save(List.of(loaded.get(0)), out);
        }
        LocalImages again = store("again");
        List<LocalImages.Stored> back = again.addDockerArchive(saved, Optional.empty());
        assertThat(back.get(0).id()).isEqualTo(loaded.get(0).id());
        Path savedDir = base.resolve("saved-dir");
        Files.createDirectories(savedDir);
        run("tar", "-C", savedDir.toString(), "-xf", saved.toString());
        LocalImages.Stored viaOci = store("again-oci").addOciLayout(savedDir, Optional.of("docker.io/test/bb:v2"),
                Optional.empty());
        assertThat(viaOci.id()).isEqualTo(loaded.get(0).id());
    }

    @Test
    void anIndexChoosesThisPlatformOrNamesThoseOffered() throws Exception {
        Path l = copyLayout("multi");
        Map<String, Object> real = firstManifest(l);
        String other = "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:" + "0".repeat(64)
                + "\",\"size\":10,\"platform\":{\"os\":\"linux\",\"architecture\":\"s390x\"}}";
        String here = "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + real.get("digest")
                + "\",\"size\":" + real.get("size") + ",\"platform\":{\"os\":\"linux\",\"architecture\":\""
                + Manifests.host().architecture() + "\"}}";
        writeIndex(l, "[" + other + "," + here + "]");
        LocalImages.Stored s = store("multi").addOciLayout(l, Optional.of("multi"), Optional.empty());
        assertThat(s.manifestDigest()).isEqualTo(real.get("digest"));

        String arm = other.replace("s390x", "riscv64");
        writeIndex(l, "[" + other + "," + arm + "]");
        var e = assertThrows(IOException.class, () -> store("multi2").addOciLayout(l, Optional.of("multi"), Optional.empty()));
        assertThat(e.getMessage()).contains("offers no image for linux/" + Manifests.host().architecture())
                .contains("(offered: linux/s390x, linux/riscv64)").doesNotContain("\n");
    }

    @Test
    void aManifestWhoseMediaTypeLiesIsRefused() throws Exception {
        Path l = copyLayout("lie");
        Map<String, Object> real = firstManifest(l);
        // a document with both 'manifests' and 'layers', referenced as a manifest
        String body = Files.readString(blob(l, (String) real.get("digest"))).strip();
        String both = body.substring(0, body.length() - 1) + ",\"manifests\":[]}";
        String d = putBlob(l, both);
        writeTop(l, "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + d + "\",\"size\":"
                + both.length() + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"lie\"}}");
        var e = assertThrows(IOException.class, () -> store("lie").addOciLayout(l, Optional.of("lie"), Optional.empty()));
        assertThat(e.getMessage()).contains("has both 'manifests' and 'layers'");
        // a manifest referenced as an index
        writeTop(l, "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"" + real.get("digest")
                + "\",\"size\":" + real.get("size") + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"lie\"}}");
        e = assertThrows(IOException.class, () -> store("lie2").addOciLayout(l, Optional.of("lie"), Optional.empty()));
        assertThat(e.getMessage()).contains("was referenced as an index (application/vnd.oci.image.index.v1+json) but has "
                + "no 'manifests'").doesNotContain("\n");
        assertThat(Files.exists(base.resolve("lib-lie2/images/index.json"))).isFalse();
    }

    @Test
    void importsARootfsDirectoryAndATar() throws Exception {
        LocalImages images = store("import");
        Path rootfs = base.resolve("busybox-rootfs");
        LocalImages.Stored fromDir = images.importRootfs(rootfs, ImageReference.parse("local/bb:dir"));
        Path layer = images.layerDirs(fromDir).get(0);
        assertThat(describe(layer)).isEqualTo(describe(rootfs));
        Path tar = base.resolve("rootfs.tar");
        run("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".");
        LocalImages.Stored fromTar = images.importRootfs(tar, ImageReference.parse("local/bb:tar"));
        assertThat(describe(images.layerDirs(fromTar).get(0))).isEqualTo(describe(rootfs));
        assertThat(images.list()).hasSize(2);
        assertThat(images.find("local/bb:tar")).map(LocalImages.Stored::id).contains(fromTar.id());
        assertThat(images.find(fromDir.id().substring(7, 19))).map(LocalImages.Stored::id).contains(fromDir.id());
        images.remove("local/bb:tar", false, id -> false, java.util.Set.of());
        assertThat(images.find("local/bb:tar")).isEmpty();
        var e = assertThrows(IllegalStateException.class, () -> images.remove("local/bb:dir", false, id -> true, java.util.Set.of()));
        assertThat(e.getMessage()).contains("is used by a container");
        images.remove("local/bb:dir", true, id -> true, java.util.Set.of());
        assertThat(images.list()).isEmpty();
        try (Stream<Path> s = Files.list(base.resolve("lib-import/images/layers/sha256"))) {
            assertThat(s.filter(p -> !p.toString().endsWith(".lock")).toList()).as("layers collected").isEmpty();
        }
    }

    // ---- helpers

    private static Path copyLayout(String tag) throws Exception {
        Path l = base.resolve("layout-" + tag);
        if (Files.exists(l)) {
            LayerUnpacker.removeTree(l);
        }
        run("cp", "-a", layout.toString(), l.toString());
        return l;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> firstManifest(Path l) throws IOException {
        var idx = new com.fasterxml.jackson.databind.ObjectMapper().readValue(Files.readAllBytes(l.resolve("index.json")), Map.class);
        for (Map<String, Object> m : (List<Map<String, Object>>) idx.get("manifests")) {
            if ("v2".equals(((Map<String, Object>) m.get("annotations")).get(Manifests.REF_NAME))) {
                return m;
            }
        }
        throw new AssertionError("no v2 in " + l);
    }

    private static void writeIndex(Path l, String manifests) throws IOException {
        String index = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":"
                + manifests + "}";
        String d = putBlob(l, index);
        writeTop(l, "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"" + d + "\",\"size\":"
                + index.length() + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"multi\"}}");
    }

    private static void writeTop(Path l, String entry) throws IOException {
        Files.writeString(l.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[" + entry + "]}");
    }

    private static String putBlob(Path l, String content) throws IOException {
        String d = Digests.of(content.getBytes());
        Files.writeString(blob(l, d), content);
        return d;
    }

    private static Path blob(Path l, String digest) {
        return l.resolve("blobs/sha256/" + digest.substring(7));
    }

    /** Every entry below {@code root}: type, mode, owner, size, link target, content digest. */
    static List<String> describe(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted().toList()) {
                String rel = root.relativize(p).toString();
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,rdev", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                String line = rel + " " + Integer.toOctalString(mode) + " " + a.get("uid") + ":" + a.get("gid");
                if (Files.isSymbolicLink(p)) {
                    line += " -> " + Files.readSymbolicLink(p);
                } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (InputStream in = Files.newInputStream(p)) {
                        var md = Digests.sha256();
                        md.update(in.readAllBytes());
                        line += " " + a.get("size") + " " + HexFormat.of().formatHex(md.digest()).substring(0, 16);
                    }
                } else if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    line += " dev " + a.get("rdev");
                }
                out.add(line);
            }
        }
        return out;
    }

    private static boolean which(String tool) {
        try {
            return new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
    }
}
