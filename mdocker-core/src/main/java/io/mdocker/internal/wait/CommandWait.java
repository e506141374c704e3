package io.mdocker.internal.wait;

import io.mdocker.RunningContainer;
import io.mdocker.WaitStrategy;

import java.time.Duration;
import java.util.List;

/** Ready once a command run inside the container exits with 0. */
public final class CommandWait extends PollingWait {
    /** Runs a command in a running container and returns its exit code and output. */
    @FunctionalInterface
    public interface Runner {
        Outcome run(RunningContainer c, List<String> command);
    }

    /** What one run of the command gave. */
    public record Outcome(int exitCode, String output) { }

    private final List<String> command;
    private final Runner runner;

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
        Outcome o = runner.run(c, command);
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
