package io.mdocker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.DataSize;
import io.mdocker.examples.CodeRunner.Limits;
import io.mdocker.examples.CodeRunner.Outcome;
import io.mdocker.examples.CodeRunner.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The code runner's outcomes, each told apart: completed with an exit code, OOM-killed, timed out. */
class CodeRunnerTest {
    private static final Limits LIMITS = new Limits(DataSize.ofMiB(32), 0.5, 32, Duration.ofSeconds(3));

    @TempDir
    Path tmp;

    private Result run(String script) throws Exception {
        return CodeRunner.run(Files.writeString(tmp.resolve("script.sh"), script), LIMITS);
    }

    @Test
    void aScriptThatEndsReportsItsOutputAndExitCode() throws Exception {
        Result r = run("echo hello; echo oops >&2; exit 3\n");
        assertThat(r.outcome()).isEqualTo(Outcome.COMPLETED);
        assertThat(r.exitCode()).isEqualTo(3);
        // two pipes: the order of a stdout line and a stderr line between them is not defined
        assertThat(r.output().lines()).containsExactlyInAnyOrder("hello", "oops");
        assertThat(r.toString()).startsWith("outcome: completed, exit code 3\n--- output ---\n");
    }

    @Test
    void aScriptThatEatsMemoryIsOomKilled() throws Exception {
        Result r = run("echo start; x=0123456789; while true; do x=\"$x$x\"; done\n");
        assertThat(r.outcome()).as(r.toString()).isEqualTo(Outcome.OOM_KILLED);
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(r.output()).startsWith("start\n");
    }

    @Test
    void aScriptThatNeverEndsTimesOut() throws Exception {
        Result r = run("echo spinning; while :; do :; done\n");
        assertThat(r.outcome()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(r.exitCode()).isEqualTo(-1);
        assertThat(r.elapsed()).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(10));
        assertThat(r.output()).isEqualTo("spinning\n");
    }

    @Test
    void aForkBombHitsThePidsLimitAndTheNetworkIsAbsent() throws Exception {
        // the bomb runs in a subshell, which dies when it cannot fork; the count uses only shell
        // builtins: with the pids limit reached, nothing can fork
        Result r = run("""
                (for i in $(seq 1 100); do sleep 30 & done) 2>/dev/null; echo bomb stopped
                n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo procs $n
                kill -9 -1; wait
                ls /sys/class/net
                wget -q -T 1 -O - http://10.201.7.1/ 2>&1 || echo no network
                exit 0
                """);
        assertThat(r.outcome()).isEqualTo(Outcome.COMPLETED);
        int procs = Integer.parseInt(r.output().lines().filter(l -> l.startsWith("procs ")).findFirst().orElseThrow(() -> new AssertionError(r.toString()))
                .substring(6));
        assertThat(procs).as(r.output()).isLessThanOrEqualTo(32);
        assertThat(r.output()).startsWith("bomb stopped\n").contains("\nlo\n").contains("no network");
    }

    @Test
    void theCommandLineReportsTheOutcome() throws Exception {
        Path script = Files.writeString(tmp.resolve("s.sh"), "echo hi; exit 5\n");
        var out = new java.io.ByteArrayOutputStream();
        var before = System.out;
        int code;
        System.setOut(new java.io.PrintStream(out, true));
        try {
            code = new picocli.CommandLine(new CodeRunner()).execute("--timeout", "5s", script.toString());
        } finally {
            System.setOut(before);
        }
        assertThat(code).isEqualTo(5);
        assertThat(out.toString()).isEqualTo("outcome: completed, exit code 5\n--- output ---\nhi\n");
    }
}
