package io.mdocker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.testing.TestImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The image's config applied after the start, as the CLI's user sees it: StopSignal and --stop-signal. */
class ImageConfigCliTest {
    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final Path STATE = TARGET.resolve("cli-image-config-state");

    @BeforeAll
    static void prerequisites() throws Exception {
        MainTest.prerequisites();
        Path layout = TestImages.umociLayout(TARGET.resolve("cli-image-config-fixture"));
        TestImages.stopTag(layout);
        TestImages.run("rm", "-rf", STATE.toString());
        assertThat(cli("load", "-i", "oci:" + layout + ":stop", "--name", "cfg/stop:1").status()).isZero();
    }

    private static Cli.Out cli(String verb, String... args) {
        List<String> all = new ArrayList<>(List.of(verb.split(" ")));
        all.addAll(List.of("--state-root", STATE.toString()));
        all.addAll(List.of(args));
        return Cli.captured(all);
    }

    /** Starts the image detached, waits for its traps, stops it with {@code mdocker stop -t SECONDS}; its exit code. */
    private static String runAndStop(String seconds, String... runArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("-d", "--network", "none"));
        args.addAll(List.of(runArgs));
        args.add("cfg/stop:1");
        Cli.Out run = cli("run", args.toArray(String[]::new));
        assertThat(run.status()).as(run.stderr()).isZero();
        String id = run.stdout().trim().substring(0, 12);
        try {
            long end = System.nanoTime() + 20_000_000_000L;
            while (cli("exec", id, "/bin/ls", "/ready").status() != 0) {
                assertThat(System.nanoTime()).as("the entrypoint's traps set within 20 s").isLessThan(end);
                Thread.sleep(50);
            }
            assertThat(cli("stop", "-t", seconds, id).status()).isZero();
            return cli("wait", id).stdout().trim();
        } finally {
            cli("rm", "-f", id);
        }
    }

    @Test
    void stopSendsTheImagesStopSignalOrTheOneGiven() throws Exception {
        assertThat(runAndStop("20")).as("the image's SIGINT, trapped: exit 42").isEqualTo("42");
        assertThat(runAndStop("20", "--stop-signal", "SIGUSR1")).as("--stop-signal SIGUSR1: exit 44").isEqualTo("44");
        assertThat(runAndStop("20", "--stop-signal", "15")).as("--stop-signal 15: exit 43").isEqualTo("43");
        assertThat(runAndStop("1", "--stop-signal", "HUP")).as("HUP ignored, then SIGKILL").isEqualTo("137");
        Cli.Out bad = cli("run", "--network", "none", "--stop-signal", "BOGUS", "cfg/stop:1");
        assertThat(bad.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(bad.stderr()).startsWith("mdocker: unknown signal 'BOGUS': expected one of").hasLineCount(1);
    }
}
