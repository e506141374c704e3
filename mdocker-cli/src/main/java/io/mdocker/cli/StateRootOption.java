package io.mdocker.cli;

import io.mdocker.ContainerRuntime;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --state-root DIR}, shared by the commands that work on containers. */
final class StateRootOption {
    @Option(names = "--state-root", paramLabel = "DIR",
            description = "Use DIR/lib and DIR/run instead of /var/lib/mdocker and /run/mdocker.")
    Path stateRoot;

    ContainerRuntime runtime() {
        return RunCommand.runtime(stateRoot);
    }
}
