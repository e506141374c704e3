package io.mdocker.internal.wait;

import io.mdocker.Exec;
import io.mdocker.ExecFailedException;
import io.mdocker.ExecResult;
import io.mdocker.RunningContainer;
import io.mdocker.WaitStrategy;

import java.time.Duration;
import java.util.List;

/**
 * Ready once a command run inside the container exits with 0: by default through
 * {@link RunningContainer#exec(Exec)} (the container's namespaces, cgroups, user and
 * restrictions), each run limited to the wait's timeout; a command that cannot be executed counts
 * as a failed run (127, 126), so the wait ends with its message.
 */
public final class CommandWait extends PollingWait {
    /** Runs a command in a running container and returns its exit code and output. */
    @FunctionalInterface
    public interface Runner {
        Outcome run(RunningContainer c, List<String> command);
    }

    /** What one run of the command gave. */
    public record Outcome(int exitCode, String output) { }

    /** Runs the command with {@code exec}, killed after {@code limit}. */
    public static Runner exec(Duration limit) {
        return (c, command) -> {
            try {
                ExecResult r = c.exec(Exec.builder(command.toArray(String[]::new)).timeout(limit).build());
                return new Outcome(r.exitCode(), r.stdout() + r.stderr());
            } catch (ExecFailedException e) {
                return new Outcome(e.exitCode(), e.getMessage());
            }
        };
    }

    private final List<String> command;
    /** null: {@link #exec} with this wait's timeout. */
    private final Runner runner;

    /** @param runner how to run the command; null for {@link RunningContainer#exec(Exec)} */
    public CommandWait(List<String> command, Runner runner, Duration timeout) {
        super(timeout);
        if (command.isEmpty() || command.stream().anyMatch(a -> a == null)) {
            throw new IllegalArgumentException("invalid wait command " + command + ": expected a program and its arguments");
        }
        this.command = List.copyOf(command);
        this.runner = runner;
    }

    @Override
    protected boolean probe(RunningContainer c) throws NotReady {
        Outcome o = (runner != null ? runner : exec(timeout())).run(c, command);
        if (o.exitCode() != 0) {
            throw new NotReady(String.join(" ", command) + " exited with " + o.exitCode()
                    + (o.output().isBlank() ? "" : ": " + o.output().strip()));
        }
        return true;
    }

    @Override
    public WaitStrategy withTimeout(Duration timeout) {
        return new CommandWait(command, runner, timeout);
    }

    @Override
    public String description() {
        return "command '" + String.join(" ", command) + "' to succeed";
    }
}
