package io.mdocker.cli;

import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code -e KEY=VALUE}, {@code -w DIR} and {@code -u UID[:GID]}: the environment, working directory
 * and user of the process a command starts ({@code run}'s container command, {@code exec}'s
 * process). The descriptions are {@code run}'s; {@code exec} words them for itself in its
 * resource bundle ({@code exec.properties}, under the same description keys).
 */
final class ProcessOptions {
    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", descriptionKey = "env",
            description = "Set an environment variable.")
    List<String> env = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", descriptionKey = "workdir",
            description = "Working directory inside the container.")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]", descriptionKey = "user",
            description = "Numeric user and group to run as.")
    String user;

    /**
     * Hands each value given to the builder's setter for it ({@code env} once per {@code -e}, in
     * order); the setters check them.
     */
    void applyTo(Consumer<String> envSetter, Consumer<String> workdirSetter, Consumer<String> userSetter) {
        env.forEach(envSetter);
        if (workdir != null) {
            workdirSetter.accept(workdir);
        }
        if (user != null) {
            userSetter.accept(user);
        }
    }
}
