package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.Exec;
import io.mdocker.ExecProcess;
import io.mdocker.Stdio;
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
        Exec.Builder b = Exec.builder(command.toArray(String[]::new)).inheritIO();
        if (!interactive) {
            b.stdin(Stdio.discard());
        }
        process.applyTo(b::env, b::workdir, b::user);
        Exec exec = b.build();
        try (ExecProcess p = state.runtime().execStart(container, exec)) {
            RunCommand.forwardSignals(p::kill); // to its process group
            return p.waitFor();
        } catch (ContainerException e) {
            return Main.failed(e);
        }
    }
}
