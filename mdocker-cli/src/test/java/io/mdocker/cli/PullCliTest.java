package io.mdocker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestImages;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code mdocker pull} through the library's public pull ({@code ImageStore.pull(ref, PullOptions)}):
 * an image pushed by skopeo into Debian's docker-registry on 127.0.0.1 (started here, killed by
 * its pid after the class), pulled with its progress printed as plain lines (not a terminal), its
 * digest and ID, then listed by {@code images} and run; a tag the registry lacks is one line.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PullCliTest {
    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final Path DIR = TARGET.resolve("cli-pull");
    static final Path STATE = DIR.resolve("state");
    static Process registry;
    static String host;

    @BeforeAll
    static void registryWithAnImage() throws Exception {
        MainTest.prerequisites();
        Path binary = Path.of("/usr/bin/docker-registry");
        Fixtures.prerequisite(Files.isExecutable(binary), "Debian's docker-registry is needed (apt-get install docker-registry)");
        TestImages.run("rm", "-rf", DIR.toString());
        Files.createDirectories(DIR);
        Path layout = TestImages.umociLayout(DIR.resolve("fixture"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        host = "127.0.0.1:" + port;
        Path config = DIR.resolve("registry.yml");
        Files.writeString(config, """
                version: 0.1
                log:
                  level: error
                storage:
                  filesystem:
                    rootdirectory: %s
                http:
                  addr: %s
                """.formatted(DIR.resolve("storage"), host));
        registry = new ProcessBuilder(binary.toString(), "serve", config.toString()).redirectErrorStream(true)
                .redirectOutput(DIR.resolve("registry.log").toFile()).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                break;
            } catch (IOException notYet) {
                assertThat(registry.isAlive()).as("docker-registry runs").isTrue();
                assertThat(System.nanoTime()).as("docker-registry listens within 20 s").isLessThan(end);
                Thread.sleep(20); // another process's socket: no descriptor of ours to wait on
            }
        }
        TestImages.run("skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false", "oci:" + layout + ":v2",
                "docker://" + host + "/test/cli:v2");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (registry != null) {
            registry.destroy();
            if (!registry.waitFor(10, TimeUnit.SECONDS)) {
                registry.destroyForcibly().waitFor();
            }
        }
    }

    private static Cli.Out cli(String verb, String... args) {
        List<String> all = new ArrayList<>(List.of(verb, "--state-root", STATE.toString()));
        all.addAll(List.of(args));
        return Cli.captured(all);
    }

    @Test
    void pullPrintsProgressLinesDigestAndIdAndTheImageRuns() {
        String ref = host + "/test/cli:v2";
        Cli.Out pull = cli("pull", ref);
        assertThat(pull.status()).as(pull.stderr()).isZero();
        List<String> lines = pull.stdout().lines().toList();
        assertThat(lines.get(0)).startsWith(ref + ": manifest sha256:");
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("downloading"));
        assertThat(lines).filteredOn(l -> l.contains(" done")).hasSizeGreaterThanOrEqualTo(2);
        assertThat(lines.subList(lines.size() - 3, lines.size())).satisfiesExactly(
                l -> assertThat(l).isEqualTo("Status: pulled " + ref),
                l -> assertThat(l).isEqualTo("Digest: " + lines.get(0).substring(lines.get(0).indexOf("sha256:"))),
                l -> assertThat(l).matches("ID: sha256:[0-9a-f]{64}"));
        assertThat(cli("images").stdout()).contains(host + "/test/cli");
        Cli.Out again = cli("pull", ref);
        assertThat(again.stdout()).contains("already present").doesNotContain("downloading");
        Cli.Out run = cli("run", "--network", "none", ref);
        assertThat(run.status()).as(run.stderr()).isZero();

        Cli.Out missing = cli("pull", host + "/test/cli:nope");
        assertThat(missing.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(missing.stderr().strip()).hasLineCount(1).contains("test/cli:nope").contains("404");
    }
}
