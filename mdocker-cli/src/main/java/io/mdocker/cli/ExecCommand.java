package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.Exec;
import io.mdocker.ExecProcess;
import io.mdocker.Stdio;
import io.mdocker.TtySize;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mdocker exec}: a command inside a running container, which may belong to another
 * process (another JVM, a detached container), found by its id or a unique prefix in the run root.
 */
@Command(name = "exec", sortOptions = false, resourceBundle = "io.mdocker.cli.exec",
        description = "Run a command in a running container.")
final class ExecCommand implements Callable<Integer> {
    @Option(names = "--help", usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Mixin
    ProcessOptions process = new ProcessOptions();

    @Option(names = {"-i", "--interactive"}, description = "Keep stdin open: this terminal's stdin goes to the command.")
    boolean interactive;

    @Option(names = {"-t", "--tty"},
            description = "Give the command a pseudo-terminal of its own (in the container's devpts) as its stdin, stdout, "
                    + "stderr and controlling terminal, sized and resized as this terminal; with -i this terminal is in raw "
                    + "mode meanwhile.")
    boolean tty;

    @Option(names = {"-d", "--detach"}, description = "Leave the command running in the container and return at once "
            + "(its stdin, stdout and stderr are /dev/null), as Docker's exec -d.")
    boolean detach;

    @Mixin
    StateRootOption state = new StateRootOption();

    @Parameters(index = "0", paramLabel = "CONTAINER", description = ContainerVerb.ID_DESCRIPTION)
    String container;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "Command and arguments.")
    List<String> command = new ArrayList<>();

    ExecCommand() {}

    @Override
    public Integer call() {
        // Every value is checked before anything is created.
        if (detach && (tty || interactive)) {
            throw new IllegalArgumentException("-d with " + (tty ? "-t" : "-i") + ": a detached exec has no terminal and "
                    + "no input");
        }
        if (tty && TerminalAttach.refused(interactive)) {
            return 1;
        }
        if (detach) {
            Exec.Builder b = Exec.builder(command.toArray(String[]::new));
            process.applyTo(b::env, b::workdir, b::user);
            try {
                state.runtime().execDetached(container, b.build());
                return 0;
            } catch (ContainerException e) {
                return Main.failed(e);
            }
        }
        Exec.Builder b = Exec.builder(command.toArray(String[]::new));
        if (tty) { // the streams go through this process, which copies its own terminal
            b.stdout(Stdio.pipe()).stderr(Stdio.pipe());
            TtySize size = TerminalAttach.initialSize();
            b.ttySize(size.rows(), size.columns());
        } else {
            b.inheritIO();
        }
        if (!interactive) {
            b.stdin(Stdio.discard());
        }
        process.applyTo(b::env, b::workdir, b::user);
        Exec exec = b.build();
        try (ExecProcess p = state.runtime().execStart(container, exec)) {
            RunCommand.forwardSignals(p::kill); // to its process group
            return tty ? TerminalAttach.attach(interactive ? p.stdin() : null, p.stdout(), p::resizeTty, p::waitFor) : p.waitFor();
        } catch (ContainerException e) {
            return Main.failed(e);
        }
    }
}
