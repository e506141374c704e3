package io.mdocker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The healthcheck of a detached container as the CLI's user sees it: {@code run -d --health-cmd
 * ...} starts {@code mdocker health-monitor} in a process of its own (this test's JVM starts the
 * CLI in-process, so the monitor is the only process left running the check), {@code ps} shows
 * {@code (unhealthy)} then {@code (healthy)}, {@code inspect} shows {@code State.Health}; the
 * monitor ends with the container; the flags' refusals.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class HealthCliTest {
    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final Path STATE = TARGET.resolve("cli-health-state");

    @BeforeAll
    static void prerequisites() {
        MainTest.prerequisites();
    }

    @AfterAll
    static void removeWhatAFailureLeft() {
        io.mdocker.ContainerRuntime rt = RunCommand.runtime(STATE);
        for (io.mdocker.ContainerInfo c : rt.list()) {
            rt.attach(c.id()).remove(true);
        }
    }

    private static Cli.Out cli(String verb, String... args) {
        List<String> all = new ArrayList<>(List.of(verb, "--state-root", STATE.toString()));
        all.addAll(List.of(args));
        return Cli.captured(all);
    }

    /** The ps line of a container. */
    private static String psLine(String id) {
        return cli("ps").stdout().lines().filter(l -> l.startsWith(id)).findFirst().orElse("");
    }

    private static String awaitPs(String id, String text) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String line = "";
        while (System.nanoTime() < end) {
            line = psLine(id);
            if (line.contains(text)) {
                return line;
            }
            Thread.sleep(100); // the monitor writes a file in another process: nothing to wait on
        }
        throw new AssertionError("ps did not show " + text + " within 60 s; last: " + line);
    }

    /** The pids of health monitors of this container (their command lines name it). */
    private static List<Long> monitors(String id) throws IOException {
        List<Long> out = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
                    if (cmdline.contains(" health-monitor ") && cmdline.contains(STATE.toString()) && cmdline.contains(id)) {
                        out.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return out;
    }

    @Test
    void psAndInspectShowTheHealthThatTheMonitorRecords() throws Exception {
        Cli.Out run = cli("run", "-d", "--network", "none", "--rootfs", MainTest.ROOTFS.toString(),
                "--health-cmd", "test -f /tmp/ok && echo fine", "--health-interval", "200ms", "--health-retries", "2",
                "--health-timeout", "5s", "/bin/sleep", "600");
        assertThat(run.status()).as(run.stderr()).isZero();
        String id = run.stdout().trim().substring(0, 12);
        try {
            assertThat(monitors(id)).as("run -d started a monitor").hasSize(1);
            assertThat(awaitPs(id, "(unhealthy)")).contains("running (unhealthy)");
            JsonNode health = new ObjectMapper().readTree(cli("inspect", id).stdout()).get(0).at("/State/Health");
            assertThat(health.get("Status").asText()).isEqualTo("unhealthy");
            assertThat(health.get("FailingStreak").asInt()).isGreaterThanOrEqualTo(2);
            assertThat(health.get("Log").size()).isBetween(2, 5);
            assertThat(health.get("Log").get(0).get("ExitCode").asInt()).isEqualTo(1);

            assertThat(cli("exec", id, "/bin/touch", "/tmp/ok").status()).isZero();
            assertThat(awaitPs(id, "(healthy)")).contains("running (healthy)");
            JsonNode healthy = new ObjectMapper().readTree(cli("inspect", id).stdout()).get(0).at("/State/Health");
            assertThat(healthy.get("FailingStreak").asInt()).isZero();
            JsonNode last = healthy.get("Log").get(healthy.get("Log").size() - 1);
            assertThat(last.get("Output").asText()).isEqualTo("fine\n");
        } finally {
            cli("rm", "-f", id);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!monitors(id).isEmpty()) {
            assertThat(System.nanoTime()).as("the monitor ends with its container").isLessThan(end);
            Thread.sleep(100);
        }
    }

    @Test
    void noHealthcheckAndTheFlagsRefusals() throws Exception {
        Cli.Out run = cli("run", "-d", "--network", "none", "--rootfs", MainTest.ROOTFS.toString(), "--no-healthcheck",
                "/bin/sleep", "600");
        assertThat(run.status()).as(run.stderr()).isZero();
        String id = run.stdout().trim().substring(0, 12);
        try {
            assertThat(monitors(id)).isEmpty();
            assertThat(new ObjectMapper().readTree(cli("inspect", id).stdout()).get(0).at("/State/Health").isMissingNode()).isTrue();
            assertThat(psLine(id)).contains("running").doesNotContain("health");
        } finally {
            cli("rm", "-f", id);
        }
        int before = RunCommand.runtime(STATE).list().size();
        for (String[] bad : List.of(
                new String[] {"--no-healthcheck", "--health-cmd", "true"},
                new String[] {"--health-cmd", "true", "--health-interval", "soon"},
                new String[] {"--health-cmd", "true", "--health-retries", "0"},
                new String[] {"--health-interval", "1s"})) {
            List<String> args = new ArrayList<>(List.of("-d", "--network", "none", "--rootfs", MainTest.ROOTFS.toString()));
            args.addAll(List.of(bad));
            args.addAll(List.of("/bin/sleep", "600"));
            Cli.Out r = cli("run", args.toArray(String[]::new));
            assertThat(r.status()).as(String.join(" ", bad)).isEqualTo(Main.RUNTIME_ERROR);
            assertThat(r.stderr()).hasLineCount(1).startsWith("mdocker: ");
        }
        assertThat(cli("run", "-d", "--network", "none", "--rootfs", MainTest.ROOTFS.toString(), "--health-cmd", "true",
                "--health-interval", "soon", "/bin/true").stderr().strip())
                .isEqualTo("mdocker: --health-interval 'soon': expected a duration such as 30s, 1m30s or 500ms, above 0");
        assertThat(RunCommand.runtime(STATE).list()).as("nothing created").hasSize(before);
        assertThat(Optional.of(HealthOptions.duration("--health-interval", "1m30.5s", null))).contains(java.time.Duration.ofMillis(90_500));
    }

    @Test
    void psShowsTheAgeOfALastRunOlderThanAMinute() {
        java.time.Instant now = java.time.Instant.parse("2026-12-07T10:00:00Z");
        java.util.function.Function<io.mdocker.HealthStatus, io.mdocker.ContainerInfo> info = h -> new io.mdocker.ContainerInfo(
                "ab".repeat(32), true, io.mdocker.ContainerInfo.State.RUNNING, java.util.OptionalInt.empty(), 1, now, "sh",
                List.of(), "none", Optional.empty(), Optional.empty(), java.util.Map.of(), Optional.of(h));
        io.mdocker.HealthStatus.Run fresh = new io.mdocker.HealthStatus.Run(now.minusSeconds(3), now.minusSeconds(2), 0, "");
        io.mdocker.HealthStatus.Run old = new io.mdocker.HealthStatus.Run(now.minusSeconds(301), now.minusSeconds(300), 1, "no");
        assertThat(PsCommand.health(info.apply(new io.mdocker.HealthStatus(io.mdocker.HealthStatus.Status.HEALTHY, 0, List.of(fresh))), now))
                .isEqualTo(" (healthy)");
        assertThat(PsCommand.health(info.apply(new io.mdocker.HealthStatus(io.mdocker.HealthStatus.Status.UNHEALTHY, 3, List.of(old))), now))
                .isEqualTo(" (unhealthy, checked 5 minutes ago)");
        assertThat(PsCommand.health(info.apply(new io.mdocker.HealthStatus(io.mdocker.HealthStatus.Status.STARTING, 0, List.of())), now))
                .isEqualTo(" (health: starting)");
    }
}
