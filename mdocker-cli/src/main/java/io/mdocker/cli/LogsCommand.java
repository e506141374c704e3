package io.mdocker.cli;

import io.mdocker.ContainerRuntime;
import io.mdocker.DetachedContainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/** {@code mdocker logs [-f] [-n N] ID}: a detached container's stdout and stderr, from its log files. */
@Command(name = "logs", mixinStandardHelpOptions = true,
        description = "Print the output of a detached container (its stdout to stdout, its stderr to stderr).")
final class LogsCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = {"-f", "--follow"}, description = "Keep printing new output until the container exits.")
    boolean follow;

    @Option(names = {"-n", "--tail"}, paramLabel = "N", defaultValue = "all",
            description = "Only the last N lines of each stream (default: all).")
    String tail;

    @Parameters(index = "0", paramLabel = "ID", description = ContainerVerb.ID_DESCRIPTION)
    String id;

    @Override
    public Integer call() {
        int lines = lines(tail);
        ContainerRuntime.requireRoot();
        DetachedContainer c = state.runtime().attach(id);
        if (follow) {
            c.followLogs(System.out, System.err, lines);
        } else {
            c.copyLogs(System.out, System.err, lines);
        }
        return 0;
    }

    /** "all", or a number of lines, 0 or more. */
    private static int lines(String tail) {
        if (tail.equals("all")) {
            return DetachedContainer.ALL_LINES;
        }
        try {
            int n = Integer.parseInt(tail);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("--tail " + tail + ": expected a number of lines (0 or more) or all");
    }
}
