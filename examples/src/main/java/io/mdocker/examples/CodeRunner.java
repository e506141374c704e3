package io.mdocker.examples;

import io.mdocker.Container;
import io.mdocker.DataSize;
import io.mdocker.Network;
import io.mdocker.RunningContainer;
import io.mdocker.Stdio;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * A sandboxed code runner: runs an untrusted shell script with a memory, CPU and process limit,
 * a wall-time limit and no network, and reports its output and how it ended — it completed (with
 * its exit code), the OOM killer ended it, or it ran out of time — each told apart.
 *
 * <pre>sudo java -cp examples/target/mdocker-cli.jar io.mdocker.examples.CodeRunner [--memory 64m]
 *      [--cpus 0.5] [--pids 64] [--timeout 5s] SCRIPT</pre>
 */
@Command(name = "CodeRunner", mixinStandardHelpOptions = true,
        description = "Runs an untrusted shell script in a locked-down container and reports how it ended.")
public final class CodeRunner implements Callable<Integer> {
    /** How a run ended. */
    public enum Outcome {
        /** The script ran to its end; see the exit code. */
        COMPLETED,
        /** The kernel's OOM killer ended it: it hit its memory limit. */
        OOM_KILLED,
        /** It was still running when its time was up, and was killed. */
        TIMED_OUT
    }

    /** The report of one run: how it ended, the exit code (-1 when timed out), the output, the time taken. */
    public record Result(Outcome outcome, int exitCode, String output, Duration elapsed) {
        @Override
        public String toString() {
            String how = switch (outcome) {
                case COMPLETED -> "completed, exit code " + exitCode;
                case OOM_KILLED -> "OOM-killed (exit code " + exitCode + "): the script hit its memory limit";
                case TIMED_OUT -> "timed out after " + elapsed.toMillis() + " ms: the script was killed";
            };
            return "outcome: " + how + "\n--- output ---\n" + output;
        }
    }

    /** The limits a script runs under. */
    public record Limits(DataSize memory, double cpus, long pids, Duration timeout) { }

    @Option(names = "--memory", description = "memory limit (default ${DEFAULT-VALUE})", defaultValue = "64m")
    String memory;
    @Option(names = "--cpus", description = "CPU limit in cores (default ${DEFAULT-VALUE})", defaultValue = "0.5")
    double cpus;
    @Option(names = "--pids", description = "process limit (default ${DEFAULT-VALUE})", defaultValue = "64")
    long pids;
    @Option(names = "--timeout", description = "wall-time limit, e.g. 5s or 500ms (default ${DEFAULT-VALUE})",
            defaultValue = "5s")
    String timeout;
    @Parameters(index = "0", description = "the shell script to run")
    Path script;

    /**
     * Runs {@code script} (copied into the container) with {@code sh} under the limits: no
     * network, read-only root with a small /tmp, nothing on stdin.
     */
    public static Result run(Path script, Limits limits) {
        Container spec = ExampleSetup.container()
                .network(Network.none())
                .memory(limits.memory()).cpus(limits.cpus()).pidsLimit(limits.pids())
                .readOnlyRootfs(true).tmpfs("/tmp")
                .stdin(Stdio.discard())
                .copyIn(script, "/sandbox/script.sh")
                .build();
        long t0 = System.nanoTime();
        try (RunningContainer c = spec.start("/bin/sh", "/sandbox/script.sh")) {
            boolean exited = c.waitFor(limits.timeout());
            if (!exited) {
                c.kill(io.mdocker.Signal.KILL);
                c.waitFor();
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - t0);
            Outcome outcome = !exited ? Outcome.TIMED_OUT : c.oomKilled() ? Outcome.OOM_KILLED : Outcome.COMPLETED;
            return new Result(outcome, exited ? c.exitCode() : -1, c.logs(), elapsed);
        }
    }

    @Override
    public Integer call() {
        if (!Files.isRegularFile(script)) {
            throw new CommandLine.ParameterException(new CommandLine(this), "no such script: " + script);
        }
        Result r = run(script, new Limits(DataSize.parse(memory), cpus, pids, parseDuration(timeout)));
        System.out.print(r);
        return r.outcome() == Outcome.COMPLETED ? r.exitCode() : r.outcome() == Outcome.OOM_KILLED ? 137 : 124;
    }

    static Duration parseDuration(String s) {
        try {
            if (s.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
            }
            if (s.endsWith("s")) {
                return Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("invalid timeout '" + s + "': expected e.g. 5s or 500ms");
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new CodeRunner()).execute(args));
    }
}
