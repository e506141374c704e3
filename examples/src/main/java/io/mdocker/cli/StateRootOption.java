package io.mdocker.cli;

import io.mdocker.ContainerRuntime;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --state-root DIR}, shared by the subcommands: the runtime on DIR/lib and DIR/run, or the default roots. */
final class StateRootOption {
    @Option(names = "--state-root", paramLabel = "DIR",
            description = "Use DIR/lib and DIR/run instead of /var/lib/mdocker and /run/mdocker.")
    Path stateRoot;

    ContainerRuntime runtime() {
        return stateRoot == null ? ContainerRuntime.defaults()
                : ContainerRuntime.at(stateRoot.resolve("lib"), stateRoot.resolve("run"));
    }
}
