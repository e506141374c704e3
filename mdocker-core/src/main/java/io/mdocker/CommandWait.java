package io.mdocker;


import java.time.Duration;
import java.util.List;

/**
 * Ready once a command run inside the container exits with 0: by default through
 * {@link ContainerHandle#exec(Exec)} (the container's namespaces, cgroups, user and
 * restrictions), each run limited to the wait's timeout; a command that cannot be executed counts
 * as a failed run (127, 126), so the wait ends with its message.
 */
final class CommandWait extends PollingWait {
    /** Runs the command with {@code exec}, killed after {@code limit}. */
    static Wait.CommandRunner exec(Duration limit) {
        return (c, command) -> {
            try {
                ExecResult r = c.exec(Exec.builder(command.toArray(String[]::new)).timeout(limit).build());
                return new Wait.CommandOutcome(r.exitCode(), r.stdout() + r.stderr());
            } catch (ExecFailedException e) {
                return new Wait.CommandOutcome(e.exitCode(), e.getMessage());
            }
        };
    }

    private final List<String> command;
    /** null: {@link #exec} with this wait's timeout. */
    private final Wait.CommandRunner runner;

    /** @param runner how to run the command; null for {@link ContainerHandle#exec(Exec)} */
    CommandWait(List<String> command, Wait.CommandRunner runner, Duration timeout) {
        super(timeout);
        if (command.isEmpty() || command.stream().anyMatch(a -> a == null)) {
            throw new IllegalArgumentException("invalid wait command " + command + ": expected a program and its arguments");
        }
        this.command = List.copyOf(command);
        this.runner = runner;
    }

    @Override
    boolean probe(ContainerHandle c) throws NotReady {
        Wait.CommandOutcome o = (runner != null ? runner : exec(timeout())).run(c, command);
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
