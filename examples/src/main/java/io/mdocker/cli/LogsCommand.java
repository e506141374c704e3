package io.mdocker.cli;

import io.mdocker.ContainerRuntime;
import io.mdocker.DetachedContainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code mdocker logs [-f] ID}: a detached container's stdout and stderr, from its log files. */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = "Print the output of a detached container (its stdout to stdout, its stderr to stderr).")
final class LogsCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = {"-f", "--follow"}, description = "Keep printing new output until the container exits.")
    boolean follow;

    @Parameters(index = "0", paramLabel = "ID", description = ContainerVerb.ID_DESCRIPTION)
    String id;

    @Override
    public Integer call() {
        ContainerRuntime.requireRoot();
        DetachedContainer c = state.runtime().attach(id);
        if (follow) {
            c.followLogs(System.out, System.err);
        } else {
            System.out.write(c.stdout(), 0, c.stdout().length);
            System.out.flush();
            System.err.write(c.stderr(), 0, c.stderr().length);
            System.err.flush();
        }
        return 0;
    }
}
