package io.mdocker.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * {@code -e KEY=VALUE}, {@code --env-file FILE}, {@code -w DIR} and {@code -u UID[:GID]}: the environment, working directory
 * and user of the process a command starts ({@code run}'s container command, {@code exec}'s
 * process). The descriptions are {@code run}'s; {@code exec} words them for itself in its
 * resource bundle ({@code exec.properties}, under the same description keys).
 */
final class ProcessOptions {
    static final String ENV = "Set an environment variable (KEY alone: this process's value, if it has one).";
    static final String ENV_FILE = "Read environment variables from FILE: KEY=VALUE or KEY lines, # comments (before -e).";
    static final String WORKDIR = "Working directory inside the container.";
    static final String USER = "Numeric user and group to run as.";

    @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]", descriptionKey = "env", description = ENV)
    List<String> env = new ArrayList<>();

    @Option(names = "--env-file", paramLabel = "FILE", descriptionKey = "envFile", description = ENV_FILE)
    List<Path> envFiles = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", descriptionKey = "workdir", description = WORKDIR)
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]", descriptionKey = "user", description = USER)
    String user;

    /**
     * The same options in a programmatic model ({@link Model}: {@code run}'s, which reads no
     * annotation); ProgrammaticModelTest checks they are the annotated ones.
     */
    static void addTo(CommandSpec spec) {
        spec.addOption(Model.list("KEY[=VALUE]", String.class, ENV, "-e", "--env"));
        spec.addOption(Model.list("FILE", Path.class, ENV_FILE, "--env-file"));
        spec.addOption(Model.option("DIR", String.class, WORKDIR, "-w", "--workdir"));
        spec.addOption(Model.option("UID[:GID]", String.class, USER, "-u", "--user"));
    }

    /** These options' values as parsed in a model made with {@link #addTo}. */
    static ProcessOptions read(CommandSpec spec) {
        ProcessOptions o = new ProcessOptions();
        o.env = Model.values(spec, "--env");
        o.envFiles = Model.values(spec, "--env-file");
        o.workdir = Model.value(spec, "--workdir");
        o.user = Model.value(spec, "--user");
        return o;
    }

    /**
     * Hands each value given to the builder's setter for it ({@code env} once per variable: the
     * env files' in order, then each {@code -e}, so that a later one wins, as Docker's); the
     * setters check them.
     */
    void applyTo(Consumer<String> envSetter, Consumer<String> workdirSetter, Consumer<String> userSetter) {
        environment().forEach(envSetter);
        if (workdir != null) {
            workdirSetter.accept(workdir);
        }
        if (user != null) {
            userSetter.accept(user);
        }
    }

    /** KEY=VALUE for every variable the env files and -e give, in that order. */
    List<String> environment() {
        List<String> out = new ArrayList<>();
        for (Path file : envFiles) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException("--env-file " + file + ": no such file");
            } catch (IOException e) {
                throw new IllegalArgumentException("--env-file " + file + ": " + e.getMessage());
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).stripLeading();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String key = line.contains("=") ? line.substring(0, line.indexOf('=')) : line;
                if (key.isEmpty() || key.chars().anyMatch(Character::isWhitespace)) {
                    throw new IllegalArgumentException("--env-file " + file + " line " + (i + 1) + ": '" + line
                            + "': expected KEY=VALUE or KEY, the key without spaces");
                }
                fromHost(line).ifPresent(out::add);
            }
        }
        for (String e : env) {
            fromHost(e).ifPresent(out::add);
        }
        return out;
    }

    /** KEY=VALUE as it is; KEY alone with this process's value, or nothing when it has none (Docker's). */
    private static java.util.Optional<String> fromHost(String variable) {
        if (variable.contains("=")) {
            return java.util.Optional.of(variable);
        }
        String value = System.getenv(variable);
        return value == null ? java.util.Optional.empty() : java.util.Optional.of(variable + "=" + value);
    }
}
