package io.mdocker.internal.image.registry;

import io.mdocker.cli.Cli;
import io.mdocker.cli.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code mdocker pull} and {@code mdocker run IMAGE} against Debian's registry on 127.0.0.1 (in
 * this package for mdocker-core's test fixtures TestRegistry and TestImages): the pull prints a
 * line per blob when stdout is not a terminal and the image's digest and ID; the image then runs
 * with --pull never; a tag the registry lacks is one line on stderr and status 125.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CliPullTest {
    static final Path DIR = Path.of("target").toAbsolutePath().resolve("cli-pull");
    static final Path STATE = DIR.resolve("state");
    static TestRegistry registry;
    static String ref;

    @BeforeAll
    static void registryWithAnImage() throws Exception {
        registry = TestRegistry.startWithImage(DIR, "test/cli:v1", 91, 32 << 10);
        ref = registry.host() + "/test/cli:v1";
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) {
            registry.close();
        }
        Main.execute("rmi", "--state-root", STATE.toString(), "-f", ref);
    }

    static Cli.Out cli(String... args) {
        return Cli.captured(List.of(args));
    }

    @Test
    void pullThenRunWithoutPulling() throws Exception {
        Cli.Out pulled = cli("pull", "--state-root", STATE.toString(), ref);
        assertThat(pulled.status()).as(pulled.stderr()).isZero();
        assertThat(pulled.stdout()).contains("Status: pulled " + ref).containsPattern("Digest: sha256:[0-9a-f]{64}")
                .containsPattern("ID: sha256:[0-9a-f]{64}");
        // not a terminal: plain lines, a manifest line, then per blob (config, two layers) a start and a done
        assertThat(pulled.stdout()).contains(ref + ": manifest sha256:");
        assertThat(pulled.stdout().lines().filter(l -> l.matches("[0-9a-f]{12}: downloading .*")).count()).isEqualTo(3);
        assertThat(pulled.stdout().lines().filter(l -> l.matches("[0-9a-f]{12}: done, .* in .* s \\(.*\\)")).count()).isEqualTo(3);
        assertThat(cli("images", "--state-root", STATE.toString()).stdout()).contains("test/cli");

        Cli.Out again = cli("pull", "--state-root", STATE.toString(), ref);
        assertThat(again.status()).isZero();
        assertThat(again.stdout()).as("nothing downloaded the second time").doesNotContain("downloading")
                .contains("already present");

        // the pulled image runs without a registry round trip (its own file, checked inside)
        assertThat(Main.execute("run", "--state-root", STATE.toString(), "--network", "none", "--pull", "never", ref,
                "/bin/sh", "-c", "grep -qx 'v1 amd64 91' /etc/image-seed")).isZero();
        assertThat(Main.execute("run", "--state-root", STATE.toString(), "--network", "none", "--pull", "never", ref,
                "/bin/sh", "-c", "grep -qx 'another image' /etc/image-seed")).as("counterpart: the check can fail").isOne();

        Cli.Out missing = cli("pull", "--state-root", STATE.toString(), ref.replace(":v1", ":nope"));
        assertThat(missing.status()).isEqualTo(125);
        assertThat(missing.stderr()).startsWith("mdocker: ").contains("test/cli").hasLineCount(1);
    }
}
