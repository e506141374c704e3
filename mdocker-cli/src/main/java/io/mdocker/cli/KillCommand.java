package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.DetachedContainer;
import io.mdocker.Signal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mdocker kill [-s SIGNAL] ID...}: a signal to the container's pid 1 (SIGKILL by default). */
@Command(name = "kill", mixinStandardHelpOptions = true, description = "Send a signal to detached containers (default KILL).")
final class KillCommand extends ContainerVerb {
    @Option(names = {"-s", "--signal"}, paramLabel = "SIGNAL", defaultValue = "KILL",
            description = "KILL, TERM, HUP, INT, ... or a number (default KILL).")
    String signal;

    @Override
    String act(DetachedContainer c) {
        if (!c.kill(Signal.parse(signal))) {
            throw new ContainerException("container " + c.shortId() + " is not running");
        }
        return null;
    }
}
