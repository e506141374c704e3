package io.mdocker.cli;

import io.mdocker.DetachedContainer;
import picocli.CommandLine.Command;

/** {@code mdocker pause ID...}: freezes every process of detached containers, as Docker's {@code pause}. */
@Command(name = "pause", mixinStandardHelpOptions = true,
        description = "Pause detached containers: every process frozen (cgroup freezer) until unpause.")
final class PauseCommand extends ContainerVerb {
    @Override
    String act(DetachedContainer c) {
        c.pause();
        return null;
    }
}
