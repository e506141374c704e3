package io.mdocker.cli;

import io.mdocker.DetachedContainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mdocker rm [-f] ID...}: removes exited detached containers (running ones with -f). */
@Command(name = "rm", mixinStandardHelpOptions = true,
        description = "Remove detached containers: record, logs, writable layer, and what is left of cgroups and network.")
final class RmCommand extends ContainerVerb {
    @Option(names = {"-f", "--force"}, description = "Kill a running container (SIGKILL) before removing it.")
    boolean force;

    @Override
    String act(DetachedContainer c) {
        c.remove(force);
        return null;
    }
}
