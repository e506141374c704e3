package io.mdocker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable definition of a process to start inside a running container (Docker's
 * {@code exec}): the command, environment variables added to the container's, a working
 * directory and user other than the command's, its stdio, input for its stdin, and how long
 * {@link RunningContainer#exec(Exec)} waits for it. Everything else — namespaces, cgroups,
 * capabilities, seccomp filter, no_new_privs, rlimits, supplementary groups — is the container's
 * command's, always.
 *
 * <pre>{@code
 * ExecResult r = container.exec(Exec.builder("sh", "-c", "cat > /tmp/f; wc -c /tmp/f")
 *         .input("hello").env("LANG", "C").workdir("/tmp").user("1000:1000")
 *         .timeout(Duration.ofSeconds(10)).build());
 * }</pre>
 *
 * Every value is checked when it is set, before anything is created.
 */
public final class Exec {
    private final List<String> command;
    private final Map<String, String> env;
    private final String workdir;
    private final int[] user;
    private final StdioStreams stdio;
    private final byte[] input;
    private final Duration timeout;

    private Exec(Builder b) {
        this.command = b.command;
        this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        this.workdir = b.workdir;
        this.user = b.user;
        this.stdio = b.stdio;
        this.input = b.input;
        this.timeout = b.timeout;
    }

    /** A builder for running {@code command} (program and arguments) in a container. */
    public static Builder builder(String... command) {
        return new Builder(Container.checkCommand(command));
    }

    /** A builder holding this definition's values. */
    public Builder toBuilder() {
        Builder b = new Builder(command);
        b.env.putAll(env);
        b.workdir = workdir;
        b.user = user;
        b.stdio = stdio;
        b.input = input;
        b.timeout = timeout;
        return b;
    }

    public List<String> command() {
        return command;
    }

    /** The variables added to (or replacing those of) the container's environment. */
    public Map<String, String> env() {
        return env;
    }

    /** The working directory; empty for the container's. */
    public Optional<String> workdir() {
        return Optional.ofNullable(workdir);
    }

    /** The user id; empty for the container's user. */
    public Optional<Integer> uid() {
        return user == null ? Optional.empty() : Optional.of(user[0]);
    }

    /** The group id; empty for the container's. */
    public Optional<Integer> gid() {
        return user == null ? Optional.empty() : Optional.of(user[1]);
    }

    public Stdio stdin() {
        return stdio.stdin();
    }

    public Stdio stdout() {
        return stdio.stdout();
    }

    public Stdio stderr() {
        return stdio.stderr();
    }

    /** The size of the command's pseudo-terminal as it starts; empty without one ({@link Builder#tty}). */
    public Optional<TtySize> tty() {
        return Optional.ofNullable(stdio.tty());
    }

    /** What is written to stdin before it is closed; empty when none was given. */
    public Optional<byte[]> input() {
        return input == null ? Optional.empty() : Optional.of(input.clone());
    }

    /** The engine's snapshot of this exec. */
    io.mdocker.internal.run.ExecSpec spec() {
        return new io.mdocker.internal.run.ExecSpec(command, env, workdir(), uid(), gid(), stdin().choice(),
                stdout().choice(), stderr().choice(), tty(), input, timeout());
    }

    /** How long {@link RunningContainer#exec(Exec)} waits; empty for no limit. */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    @Override
    public String toString() {
        return "Exec" + command;
    }

    /** Builds an {@link Exec}; every setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private final List<String> command;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String workdir;
        private int[] user;
        private StdioStreams stdio = StdioStreams.PIPES;
        private byte[] input;
        private Duration timeout;

        private Builder(List<String> command) {
            this.command = command;
        }

        /** Adds a variable to the container's environment, or replaces its value there. */
        public Builder env(String key, String value) {
            Container.checkEnv(key, value);
            env.put(key, value);
            return this;
        }

        /** Parses {@code KEY=VALUE} (the CLI's {@code -e}). */
        public Builder env(String keyEqualsValue) {
            String[] kv = Container.splitEnv(keyEqualsValue);
            return env(kv[0], kv[1]);
        }

        /** The working directory, an absolute path that must exist (default: the container's). */
        public Builder workdir(String dir) {
            workdir = Container.checkWorkdir(dir);
            return this;
        }

        /** The numeric user and group (default: the container's); groups stay the container's. */
        public Builder user(int uid, int gid) {
            user = Container.checkUser(uid, gid);
            return this;
        }

        /** Parses {@code UID[:GID]} with numeric ids (GID defaults to UID). */
        public Builder user(String spec) {
            user = Container.parseUser(Objects.requireNonNull(spec, "user"));
            return this;
        }

        /** stdin, as {@link Stdio} describes (default {@link Stdio#pipe()}; anything but a sink). */
        public Builder stdin(Stdio s) {
            stdio = stdio.withStdin(s);
            return this;
        }

        /** stdout, as {@link Stdio} describes (default {@link Stdio#pipe()}). */
        public Builder stdout(Stdio s) {
            stdio = stdio.withStdout(s);
            return this;
        }

        /** stderr, as {@link Stdio} describes (default {@link Stdio#pipe()}). */
        public Builder stderr(Stdio s) {
            stdio = stdio.withStderr(s);
            return this;
        }

        /** All three streams from this JVM's own descriptors (a CLI's terminal). */
        public Builder inheritIO() {
            stdio = stdio.inherited();
            return this;
        }

        /**
         * Whether the process gets a pseudo-terminal of its own (Docker's {@code exec -t}; default
         * false), in the container's devpts, as {@link Container.Builder#tty} describes for a
         * container's command. Not with {@link #input}: closing a terminal's input is no end of file.
         */
        public Builder tty(boolean enabled) {
            stdio = stdio.withTty(enabled);
            return this;
        }

        /** A pseudo-terminal ({@link #tty}) of {@code rows} x {@code columns}, 1 to 65535 each. */
        public Builder ttySize(int rows, int columns) {
            stdio = stdio.withTtySize(rows, columns);
            return this;
        }

        /** Bytes written to the process's stdin, which is then closed (stdin must be piped). */
        public Builder input(byte[] bytes) {
            input = Objects.requireNonNull(bytes, "input").clone();
            return this;
        }

        /** {@link #input(byte[])} with the UTF-8 bytes of {@code text}. */
        public Builder input(String text) {
            return input(text.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * How long {@link RunningContainer#exec(Exec)} waits for the process: then it and its
         * process group are killed and {@link ExecTimeoutException} is thrown. Default: no limit.
         */
        public Builder timeout(Duration limit) {
            Objects.requireNonNull(limit, "timeout");
            if (limit.isNegative() || limit.isZero()) {
                throw new IllegalArgumentException("invalid exec timeout " + limit + ": expected a positive duration");
            }
            timeout = limit;
            return this;
        }

        public Exec build() {
            if (input != null && stdio.stdin().kind() != Stdio.Kind.PIPE) {
                throw new IllegalArgumentException("input needs a piped stdin, but stdin is " + stdio.stdin());
            }
            if (input != null && stdio.tty() != null) {
                throw new IllegalArgumentException("input needs a piped stdin, but stdin is a tty of " + stdio.tty()
                        + ": write to ExecProcess.stdin() instead");
            }
            return new Exec(this);
        }
    }
}
