package io.mdocker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image commands as a user types them: load (OCI layout and archive), images, run IMAGE with
 * the image's config and Docker's overrides, import, save, rmi (refused while in use, -f), image
 * prune, and run --rootfs still working.
 */
class ImageCliTest {
    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final Path STATE = TARGET.resolve("cli-image-state");
    static Path layout;

    @BeforeAll
    static void prerequisites() throws Exception {
        MainTest.prerequisites();
        layout = TestImages.umociLayout(TARGET.resolve("cli-image-fixture"));
        TestImages.run("rm", "-rf", STATE.toString());
    }

    private static Cli.Out cli(String verb, String... args) {
        List<String> all = new ArrayList<>(List.of(verb.split(" ")));
        all.addAll(List.of("--state-root", STATE.toString()));
        all.addAll(List.of(args));
        return Cli.captured(all);
    }

    /** {@code mdocker run ARGS} in a JVM of its own: the container's output goes to that process's stdout. */
    private static Cli.Out run(String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "run", "--state-root", STATE.toString(),
                "--network", "none"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.PIPE).start();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Cli.Out(p.waitFor(), out, err.get());
    }

    @Test
    void tagGivesAnImageAnotherNameAndMovesANameFromAnotherImage() throws Exception {
        assertThat(cli("import", MainTest.ROOTFS.toString(), "local/tagsrc").status()).isZero();
        assertThat(cli("import", MainTest.ROOTFS.toString() + "/bin", "local/tagother").status()).isZero();
        String src = cli("images", "-q", "local/tagsrc").stdout().strip();
        String other = cli("images", "-q", "local/tagother").stdout().strip();
        assertThat(src).matches("[0-9a-f]{12}").isNotEqualTo(other);

        Cli.Out tagged = cli("tag", "local/tagsrc", "app:1");
        assertThat(tagged.status()).as(tagged.stderr()).isZero();
        assertThat(tagged.stdout()).isEmpty();
        assertThat(cli("image tag", src, "app:2").status()).isZero(); // by ID, through image tag
        assertThat(cli("images", "-q", "app:1").stdout().strip()).isEqualTo(src);
        assertThat(cli("images", "-q", "app:2").stdout().strip()).isEqualTo(src);
        assertThat(run("app:1", "/bin/echo", "tagged").stdout()).isEqualTo("tagged\n");
        // a name another image has moves to this one; that image keeps its own
        assertThat(cli("tag", "local/tagother", "app:1").status()).isZero();
        assertThat(cli("images", "-q", "app:1").stdout().strip()).isEqualTo(other);
        assertThat(cli("images", "-q", "app:2").stdout().strip()).isEqualTo(src);
        assertThat(cli("images", "-q", "local/tagsrc").stdout().strip()).isEqualTo(src);
        assertThat(cli("images", "-q", "app").stdout().lines().sorted().toList()) // a repository: every tag of it
                .isEqualTo(java.util.stream.Stream.of(src, other).sorted().toList());
        assertThat(cli("images", "app").stdout().lines().skip(1).map(l -> l.split("\\s+")[1]).sorted().toList())
                .containsExactly("1", "2");
        // --format: a line per name from a template, a table, or JSON
        assertThat(cli("images", "app", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}").stdout().lines().sorted().toList())
                .containsExactly("app:1 " + other, "app:2 " + src);
        assertThat(cli("images", "app:2", "--format", "table {{.Repository}}\\t{{.Tag}}").stdout())
                .isEqualTo("REPOSITORY   TAG\napp          2\n");
        com.fasterxml.jackson.databind.JsonNode row = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(cli("images", "app:2", "--format", "json").stdout());
        assertThat(row.get("ID").asText()).isEqualTo(src);
        assertThat(row.get("Size").asText()).matches("[0-9.]+[kM]B");
        Cli.Out badFormat = cli("images", "--format", "{{.Repository");
        assertThat(badFormat.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(badFormat.stderr()).isEqualTo("mdocker: invalid --format '{{.Repository': '{{' without '}}'\n");

        Cli.Out absent = cli("tag", "absent:1", "app:3");
        assertThat(absent.status()).isEqualTo(1);
        assertThat(absent.stderr()).isEqualTo("mdocker: no such image: absent:1\n");
        Cli.Out bad = cli("tag", "local/tagsrc", "Not A Name");
        assertThat(bad.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(bad.stderr()).startsWith("mdocker: ").contains("Not A Name").hasLineCount(1);
        Cli.Out digest = cli("tag", "local/tagsrc", "app@sha256:" + "a".repeat(64));
        assertThat(digest.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(digest.stderr()).isEqualTo("mdocker: invalid image name 'app@sha256:" + "a".repeat(64)
                + "': a name to tag with has a tag, not a digest\n");
        assertThat(cli("images", "-q", "app:3").stdout()).isEmpty();

        assertThat(cli("rmi", "app:1", "app:2", "local/tagsrc", "local/tagother").status()).isZero();
        assertThat(cli("images", "-q", src).stdout()).isEmpty();
        assertThat(cli("images", "-q", other).stdout()).isEmpty();
    }

    @Test
    void loadRunSaveRemove() throws Exception {
        assertThat(cli("load", "-i", "oci:" + layout + ":v2", "--name", "bb:v2").stdout())
                .isEqualTo("Loaded image: docker.io/library/bb:v2\n");
        Cli.Out images = cli("images");
        assertThat(images.stdout()).startsWith("REPOSITORY").contains("bb ").contains("v2");
        assertThat(run("bb:v2").stdout()).isEqualTo("from-image\n");
        assertThat(run("bb:v2", "two", "words").stdout()).isEqualTo("two words\n");
        Cli.Out over = run("--entrypoint", "/bin/sh", "-u", "app", "-w", "/", "-e", "GREETING=x",
                "bb:v2", "-c", "echo $GREETING $(id -u) $(pwd)");
        assertThat(over.stdout()).isEqualTo("x 1234 /\n");

        Cli.Out missing = run("--pull", "never", "absent:1"); // never: no traffic to docker.io
        assertThat(missing.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(missing.stderr()).startsWith("mdocker: image absent:1 is not in the image store").hasLineCount(1);

        assertThat(cli("import", MainTest.ROOTFS.toString(), "local/bb").status()).isZero();
        Path saved = TARGET.resolve("cli-image-saved.tar");
        assertThat(cli("save", "-o", saved.toString(), "bb:v2", "local/bb").status()).isZero();
        assertThat(cli("rmi", "bb:v2").stdout()).contains("Untagged: docker.io/library/bb:v2").contains("Deleted: sha256:");
        assertThat(cli("images", "-q").stdout().lines().count()).isEqualTo(1);
        Cli.Out loaded = cli("load", "-i", saved.toString());
        assertThat(loaded.stdout()).contains("Loaded image: docker.io/library/bb:v2").contains("docker.io/local/bb:latest");
        assertThat(run("bb:v2").stdout()).isEqualTo("from-image\n");
        assertThat(cli("rmi", "local/bb", "bb:v2").status()).isZero();
        assertThat(cli("images", "-q").stdout()).isEmpty();
        assertThat(cli("image prune").stdout()).startsWith("Total reclaimed space:");
        try (var s = Files.list(STATE.resolve("lib/images/layers/sha256"))) {
            assertThat(s.filter(p -> !p.toString().endsWith(".lock")).toList()).isEmpty();
        }
        assertThat(run("--rootfs", MainTest.ROOTFS.toString(), "/bin/echo", "still").stdout())
                .isEqualTo("still\n");
    }
}
