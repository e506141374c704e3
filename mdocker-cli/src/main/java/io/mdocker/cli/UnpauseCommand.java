package io.mdocker.cli;

import io.mdocker.DetachedContainer;
import picocli.CommandLine.Command;

/** {@code mdocker unpause ID...}: thaws paused detached containers. */
@Command(name = "unpause", mixinStandardHelpOptions = true, description = "Unpause paused detached containers.")
final class UnpauseCommand extends ContainerVerb {
    @Override
    String act(DetachedContainer c) {
        c.unpause();
        return null;
    }
}
