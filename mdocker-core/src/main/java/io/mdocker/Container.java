package io.mdocker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An immutable container definition: the root filesystem layers, hostname, environment, working
 * directory, user, bind mounts, stdio and, optionally, a default command. Build one with
 * {@link #builder()}, derive variants with {@link #toBuilder()}, and run it as often as you like,
 * from any number of threads:
 *
 * <pre>{@code
 * ExecResult r = Container.builder().rootfs(Path.of("rootfs")).hostname("box")
 *         .run("/bin/sh", "-c", "echo hi from $(hostname)");
 * try (RunningContainer c = Container.builder().rootfs(rootfs).start("httpd", "-f")) { ... }
 * }</pre>
 *
 * Every value is checked when the definition is built; the host paths are checked again when a
 * container starts, before anything is created.
 */
public final class Container {
    /** Docker's default PATH. */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static final Pattern HOSTNAME =
            Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

    private final List<Path> layers;
    private final String hostname;
    private final Map<String, String> env;
    private final String workdir;
    private final int uid;
    private final int gid;
    private final List<BindMount> binds;
    private final Stdio stdin;
    private final Stdio stdout;
    private final Stdio stderr;
    private final boolean init;
    private final List<String> command;
    private final Duration startTimeout;
    private final ContainerRuntime runtime;
    private final Network network;
    private final List<PortMapping> ports;

    private Container(Builder b) {
        this.layers = List.copyOf(b.layers);
        this.hostname = b.hostname;
        this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        this.workdir = b.workdir;
        this.uid = b.uid;
        this.gid = b.gid;
        this.binds = List.copyOf(b.binds);
        this.stdin = b.stdin;
        this.stdout = b.stdout;
        this.stderr = b.stderr;
        this.init = b.init;
        this.command = b.command == null ? null : List.copyOf(b.command);
        this.startTimeout = b.startTimeout;
        this.runtime = b.runtime;
        this.network = b.network;
        this.ports = List.copyOf(b.ports);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this definition's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Runs {@code command} to its end and returns its exit code and output. */
    public ExecResult run(String... command) {
        return RunningContainer.run(this, commandOrDefault(command));
    }

    /** Starts {@code command} (or the default command when none is given) and returns its handle. */
    public RunningContainer start(String... command) {
        return RunningContainer.start(this, commandOrDefault(command), false);
    }

    private List<String> commandOrDefault(String... given) {
        List<String> cmd = given.length > 0 ? List.of(given) : command;
        if (cmd == null || cmd.isEmpty()) {
            throw new IllegalArgumentException("empty command: give the program to run in the container");
        }
        checkCommand(cmd);
        return cmd;
    }

    /** Overlay lower layers, top-most first. */
    public List<Path> layers() {
        return layers;
    }

    /** The hostname, or null for the container's short id. */
    public String hostname() {
        return hostname;
    }

    /** The environment the user set (defaults such as PATH are added at start where absent). */
    public Map<String, String> env() {
        return env;
    }

    public String workdir() {
        return workdir;
    }

    public int uid() {
        return uid;
    }

    public int gid() {
        return gid;
    }

    public List<BindMount> binds() {
        return binds;
    }

    public Stdio stdin() {
        return stdin;
    }

    public Stdio stdout() {
        return stdout;
    }

    public Stdio stderr() {
        return stderr;
    }

    /** Whether mdocker-init is the container's pid 1 (reaping orphans, forwarding signals). */
    public boolean init() {
        return init;
    }

    /** The default command, or null. */
    public List<String> command() {
        return command;
    }

    public Duration startTimeout() {
        return startTimeout;
    }

    public ContainerRuntime runtime() {
        return runtime;
    }

    /** The container's network (default {@link Network#none()}). */
    public Network network() {
        return network;
    }

    /** The published ports as asked for (host port 0: any free port). */
    public List<PortMapping> ports() {
        return ports;
    }

    /** Checks the host side again: the rootfs layers and bind sources must exist. */
    void checkHost() {
        for (Path layer : layers) {
            checkLayer(layer);
        }
        for (BindMount b : binds) {
            if (!Files.exists(b.source())) {
                throw new IllegalArgumentException("bind source " + b.source() + " does not exist");
            }
        }
    }

    private static void checkLayer(Path layer) {
        if (!Files.exists(layer)) {
            throw new IllegalArgumentException("rootfs " + layer + " does not exist: expected a directory holding the container's root filesystem");
        }
        if (!Files.isDirectory(layer)) {
            throw new IllegalArgumentException("rootfs " + layer + " is not a directory");
        }
    }

    private static void checkCommand(List<String> cmd) {
        if (cmd.get(0).isEmpty()) {
            throw new IllegalArgumentException("empty command: the program name is an empty string");
        }
        for (String arg : cmd) {
            noNul("command argument", arg);
        }
    }

    private static void noNul(String what, String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " '" + value.replace("\0", "\\0") + "' contains a NUL byte");
        }
    }

    /** Builds a {@link Container}; every setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private final List<Path> layers = new ArrayList<>();
        private String hostname;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String workdir = "/";
        private int uid;
        private int gid;
        private final List<BindMount> binds = new ArrayList<>();
        private Stdio stdin = Stdio.pipe();
        private Stdio stdout = Stdio.pipe();
        private Stdio stderr = Stdio.pipe();
        private boolean init = true;
        private List<String> command;
        private Duration startTimeout = Duration.ofSeconds(30);
        private ContainerRuntime runtime = ContainerRuntime.defaults();
        private Network network = Network.none();
        private final List<PortMapping> ports = new ArrayList<>();

        private Builder() {}

        private Builder(Container c) {
            layers.addAll(c.layers);
            hostname = c.hostname;
            env.putAll(c.env);
            workdir = c.workdir;
            uid = c.uid;
            gid = c.gid;
            binds.addAll(c.binds);
            stdin = c.stdin;
            stdout = c.stdout;
            stderr = c.stderr;
            init = c.init;
            command = c.command;
            startTimeout = c.startTimeout;
            runtime = c.runtime;
            network = c.network;
            ports.addAll(c.ports);
        }

        /** The root filesystem: one directory, the overlay's only lower layer. It is never written. */
        public Builder rootfs(Path rootfs) {
            return layers(List.of(rootfs));
        }

        /** Several read-only layers, top-most first (as overlayfs' lowerdir lists them). */
        public Builder layers(List<Path> topFirst) {
            if (topFirst.isEmpty()) {
                throw new IllegalArgumentException("rootfs: at least one layer is needed");
            }
            List<Path> checked = new ArrayList<>();
            for (Path p : topFirst) {
                Path abs = Objects.requireNonNull(p, "layer").toAbsolutePath().normalize();
                String s = abs.toString();
                for (char bad : new char[] {':', ',', '\\', '\0'}) {
                    if (s.indexOf(bad) >= 0) {
                        throw new IllegalArgumentException("rootfs " + s + " contains '" + (bad == 0 ? "\\0" : bad)
                                + "', which an overlayfs layer path cannot");
                    }
                }
                checkLayer(abs);
                checked.add(abs);
            }
            layers.clear();
            layers.addAll(checked);
            return this;
        }

        /** The hostname: RFC 1123 labels, at most 64 characters. Default: the container's short id. */
        public Builder hostname(String name) {
            Objects.requireNonNull(name, "hostname");
            if (name.length() > 64 || !HOSTNAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid hostname '" + name
                        + "': expected letters, digits, '-' and '.', at most 64 characters, not starting or ending with '-'");
            }
            hostname = name;
            return this;
        }

        /** Sets one environment variable, replacing an earlier value. */
        public Builder env(String key, String value) {
            Objects.requireNonNull(key, "env key");
            Objects.requireNonNull(value, "env value");
            if (key.isEmpty() || key.indexOf('=') >= 0) {
                throw new IllegalArgumentException("invalid environment variable name '" + key
                        + "': expected a non-empty name without '='");
            }
            noNul("environment variable " + key, key + value);
            env.put(key, value);
            return this;
        }

        /** Parses {@code KEY=VALUE} (the CLI's {@code -e}). */
        public Builder env(String keyEqualsValue) {
            int eq = keyEqualsValue.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("invalid environment variable '" + keyEqualsValue + "': expected KEY=VALUE");
            }
            return env(keyEqualsValue.substring(0, eq), keyEqualsValue.substring(eq + 1));
        }

        /** The working directory inside the container, an absolute path; created if missing. */
        public Builder workdir(String dir) {
            Objects.requireNonNull(dir, "workdir");
            if (!dir.startsWith("/")) {
                throw new IllegalArgumentException("invalid working directory '" + dir + "': expected an absolute path");
            }
            noNul("working directory", dir);
            workdir = dir;
            return this;
        }

        /** The numeric user and group the command runs as (default 0:0). */
        public Builder user(int uid, int gid) {
            if (uid < 0 || gid < 0) {
                throw new IllegalArgumentException("invalid user " + uid + ":" + gid + ": expected non-negative ids");
            }
            this.uid = uid;
            this.gid = gid;
            return this;
        }

        /** Parses {@code UID[:GID]} with numeric ids (GID defaults to UID). */
        public Builder user(String spec) {
            String[] parts = spec.split(":", -1);
            try {
                if (parts.length > 2) {
                    throw new NumberFormatException();
                }
                int u = Integer.parseInt(parts[0]);
                int g = parts.length == 2 ? Integer.parseInt(parts[1]) : u;
                return user(u, g);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid user '" + spec + "': expected UID[:GID] with numeric ids");
            }
        }

        /** Binds a host path (which must exist) read-write at {@code target} in the container. */
        public Builder bind(Path source, String target) {
            return bind(new BindMount(source, target, false));
        }

        /** Binds a host path (which must exist) read-only at {@code target} in the container. */
        public Builder bindReadOnly(Path source, String target) {
            return bind(new BindMount(source, target, true));
        }

        public Builder bind(BindMount mount) {
            Path src = mount.source().toAbsolutePath().normalize();
            if (!Files.exists(src)) {
                throw new IllegalArgumentException("bind source " + src + " does not exist");
            }
            String t = mount.target();
            if (!t.startsWith("/") || t.equals("/") || t.replace("/", "").isEmpty()) {
                throw new IllegalArgumentException("invalid bind target '" + t + "': expected an absolute path below /");
            }
            noNul("bind target", t);
            noNul("bind source", src.toString());
            binds.add(new BindMount(src, t, mount.readOnly()));
            return this;
        }

        public Builder stdin(Stdio s) {
            if (s.kind() == Stdio.Kind.SINK) {
                throw new IllegalArgumentException("stdin cannot go to a sink: use pipe(), inherit() or discard()");
            }
            stdin = s;
            return this;
        }

        public Builder stdout(Stdio s) {
            stdout = Objects.requireNonNull(s, "stdout");
            return this;
        }

        public Builder stderr(Stdio s) {
            stderr = Objects.requireNonNull(s, "stderr");
            return this;
        }

        /** All three streams from this JVM's own descriptors (a CLI's terminal). */
        public Builder inheritIO() {
            stdin = stdout = stderr = Stdio.inherit();
            return this;
        }

        /** Whether mdocker-init stays as pid 1 to reap orphans and forward signals (default true). */
        public Builder init(boolean enabled) {
            init = enabled;
            return this;
        }

        /** The command {@code start()} and {@code run()} use when called without one. */
        public Builder command(String... cmd) {
            if (cmd.length == 0) {
                throw new IllegalArgumentException("empty command: give the program to run in the container");
            }
            List<String> c = List.of(cmd);
            checkCommand(c);
            command = c;
            return this;
        }

        /** How long the container's setup may take before start fails (default 30 s). */
        public Builder startTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("invalid start timeout " + timeout + ": expected a positive duration");
            }
            startTimeout = timeout;
            return this;
        }

        /** The state roots to use (default {@link ContainerRuntime#defaults()}). */
        public Builder runtime(ContainerRuntime rt) {
            runtime = Objects.requireNonNull(rt, "runtime");
            return this;
        }

        /** The container's network: {@link Network#none()} (default), host, bridge or veth. */
        public Builder network(Network n) {
            network = Objects.requireNonNull(n, "network");
            return this;
        }

        /** Publishes {@code containerPort} on {@code hostPort} (0: any free port) of every host address. */
        public Builder publish(int hostPort, int containerPort) {
            return publish(new PortMapping(null, hostPort, containerPort));
        }

        /** Publishes {@code containerPort} on {@code hostPort} (0: any free port) of the host address {@code hostIp}. */
        public Builder publish(String hostIp, int hostPort, int containerPort) {
            return publish(new PortMapping(Objects.requireNonNull(hostIp, "hostIp"), hostPort, containerPort));
        }

        /** Parses Docker's {@code -p}: {@code 8080:80}, {@code 127.0.0.1:0:80}, {@code 80} ... */
        public Builder publish(String spec) {
            return publish(PortMapping.parse(spec));
        }

        public Builder publish(PortMapping mapping) {
            Objects.requireNonNull(mapping, "mapping");
            for (PortMapping p : ports) {
                if (p.hostPort() != 0 && p.hostPort() == mapping.hostPort()
                        && (p.hostIp() == null || mapping.hostIp() == null || p.hostIp().equals(mapping.hostIp()))) {
                    throw new IllegalArgumentException("host port " + mapping.hostPort() + " is published twice ("
                            + p + " and " + mapping + "): expected each host port once");
                }
            }
            ports.add(mapping);
            return this;
        }

        public Container build() {
            if (layers.isEmpty()) {
                throw new IllegalArgumentException("no rootfs: call rootfs(dir) with the container's root filesystem");
            }
            if (!ports.isEmpty() && !network.hasAddress()) {
                throw new IllegalArgumentException("published port " + ports.get(0) + " needs a bridge or veth network, "
                        + "but the network is " + network + ": expected network(Network.bridge()) or no published ports");
            }
            return new Container(this);
        }

        /** {@code build().run(command)}. */
        public ExecResult run(String... command) {
            return build().run(command);
        }

        /** {@code build().start(command)}. */
        public RunningContainer start(String... command) {
            return build().start(command);
        }
    }
}
