package io.mdocker.cli;

import io.mdocker.ContainerRuntime;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --state-root DIR}, shared by the commands that work on containers. */
final class StateRootOption {
    static final String DESCRIPTION = "Use DIR/lib and DIR/run instead of /var/lib/mdocker and /run/mdocker.";

    @Option(names = "--state-root", paramLabel = "DIR", description = DESCRIPTION)
    Path stateRoot;

    ContainerRuntime runtime() {
        return RunCommand.runtime(stateRoot);
    }

    /**
     * The same option in a programmatic model ({@link Model}: {@code run}'s); ProgrammaticModelTest
     * checks it is the annotated one.
     */
    static OptionSpec option() {
        return Model.option("DIR", Path.class, DESCRIPTION, "--state-root");
    }

    /** The option's value as parsed in a model given {@link #option}. */
    static StateRootOption read(CommandSpec spec) {
        StateRootOption o = new StateRootOption();
        o.stateRoot = Model.value(spec, "--state-root");
        return o;
    }
}
