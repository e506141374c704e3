package io.mdocker.internal.state;

import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * One container's record as any process reads it, without taking its lock: what the state file
 * says, and what the files beside it and /proc say now.
 *
 * <pre>
 * &lt;run root&gt;/containers/&lt;id&gt;/state     id, command, owner, monitor pid and start time, detached
 * &lt;run root&gt;/containers/&lt;id&gt;/started   detached: pid 1's host pid, written once it runs
 * &lt;run root&gt;/containers/&lt;id&gt;/exit      detached: "CODE SIGNAL", written by the monitor at pid 1's exit
 * &lt;run root&gt;/containers/&lt;id&gt;/released  detached: its cgroups and network are gone
 * &lt;lib root&gt;/containers/&lt;id&gt;/stdout.log, stderr.log   detached: the container's output
 * </pre>
 *
 * A container runs exactly as long as its monitor (mdocker-init) does: pid 1 dies with the
 * monitor (PR_SET_PDEATHSIG), and the monitor exits once it has reaped pid 1 and, when detached,
 * written the exit file. The monitor is named by pid and start time, so a reused pid is never
 * mistaken for it.
 */
public final class ContainerRecord {
    /** What a record says about its container now. */
    public enum Status { RUNNING, EXITED }

    /** State key: the published ports as bound, "IP:HOSTPORT->PORT/tcp" joined by commas. */
    public static final String PORTS = "ports";
    /** State key: the container's name, when it was given one. */
    public static final String NAME = "name";
    /** The image reference the container was started from, as given (none for a root filesystem given as paths). */
    public static final String IMAGE = "image";
    /** The hostname given (none: the short id). */
    public static final String HOSTNAME = "hostname";
    /**
     * State keys: each label of the container (Docker's {@code --label}) as this prefix and its
     * key; the state file, a {@link java.util.Properties} file, escapes any key and value.
     */
    public static final String LABEL_PREFIX = "label.";
    /** State key: the number of the signal stop sends first, when it is not SIGTERM. */
    public static final String STOP_SIGNAL = "stopSignal";
    /** State key: the network mode (none, host, bridge, veth). */
    public static final String NETWORK = "network";
    static final String STATE_FILE = "state";
    static final String EXIT_FILE = "exit";
    static final String STARTED_FILE = "started";
    static final String RELEASED_FILE = "released";
    static final String STDOUT_LOG = "stdout.log";
    static final String STDERR_LOG = "stderr.log";

    private final String id;
    private final Path dir;
    private final Path libDir;
    private final Map<String, String> state;

    private ContainerRecord(String id, Path dir, Path libDir, Map<String, String> state) {
        this.id = id;
        this.dir = dir;
        this.libDir = libDir;
        this.state = state;
    }

    /** The record in {@code dir}, or null when it has no state file (being made or removed). */
    static ContainerRecord read(Path dir, Path libContainers) {
        Map<String, String> state = readProperties(dir.resolve(STATE_FILE));
        if (state == null) {
            return null;
        }
        String id = dir.getFileName().toString();
        return new ContainerRecord(id, dir, libContainers.resolve(id), state);
    }

    /** A properties file as a map; null when the file does not exist. */
    static Map<String, String> readProperties(Path file) {
        return io.mdocker.internal.fs.PropertiesFiles.read(file);
    }

    public String id() {
        return id;
    }

    /** The record's directory under the run root. */
    public Path dir() {
        return dir;
    }

    /** What the state file says. */
    public Map<String, String> state() {
        return state;
    }

    /** Whether the container was started detached (it outlives the JVM that started it). */
    public boolean detached() {
        return "true".equals(state.get("detached"));
    }

    /** The published ports as bound, each "IP:HOSTPORT->PORT/tcp"; empty when none. */
    public List<String> ports() {
        String p = state.getOrDefault(PORTS, "");
        return p.isEmpty() ? List.of() : List.of(p.split(","));
    }

    /** The container's name, when it was given one. */
    public java.util.Optional<String> name() {
        return java.util.Optional.ofNullable(state.get(NAME));
    }

    /**
     * The image reference the container was started from, as given; else its root filesystem's
     * directory (the top layer given); empty in a record that has neither.
     */
    public java.util.Optional<String> image() {
        String image = state.get(IMAGE);
        if (image != null) {
            return java.util.Optional.of(image);
        }
        String layers = state.getOrDefault("rootfs", "");
        if (layers.length() < 3 || !layers.startsWith("[") || !layers.endsWith("]")) {
            return java.util.Optional.empty();
        }
        String inner = layers.substring(1, layers.length() - 1);
        int comma = inner.indexOf(", ");
        return java.util.Optional.of(comma < 0 ? inner : inner.substring(0, comma));
    }

    /** The container's hostname: the one given, else the first 12 digits of its id. */
    public String hostname() {
        return state.getOrDefault(HOSTNAME, id.substring(0, Math.min(12, id.length())));
    }

    /** The container's labels, sorted by key; empty when it has none. */
    public Map<String, String> labels() {
        java.util.TreeMap<String, String> labels = new java.util.TreeMap<>();
        state.forEach((k, v) -> {
            if (k.startsWith(LABEL_PREFIX)) {
                labels.put(k.substring(LABEL_PREFIX.length()), v);
            }
        });
        return java.util.Collections.unmodifiableMap(labels);
    }

    /** The number of the signal stop sends first: 15 (SIGTERM) unless the record names another. */
    public int stopSignal() {
        String s = state.get(STOP_SIGNAL);
        return s == null ? 15 : Integer.parseInt(s);
    }

    /** The network mode (none, host, bridge, veth); empty in a record of an older mdocker. */
    public String networkMode() {
        return state.getOrDefault(NETWORK, "");
    }

    /** The command as started, its words joined by spaces. */
    public String command() {
        return state.getOrDefault("command", "");
    }

    public Instant created() {
        String c = state.get("created");
        return c == null ? Instant.EPOCH : Instant.parse(c);
    }

    /** The pid of the JVM that started the container. */
    public long ownerPid() {
        return Long.parseLong(state.getOrDefault("ownerPid", "-1"));
    }

    public Path stdoutLog() {
        return libDir.resolve(STDOUT_LOG);
    }

    public Path stderrLog() {
        return libDir.resolve(STDERR_LOG);
    }

    /** Where the monitor of a detached container writes pid 1's exit status. */
    public Path exitFile() {
        return dir.resolve(EXIT_FILE);
    }

    private int monitorPid() {
        return Integer.parseInt(state.getOrDefault("monitorPid", "-1"));
    }

    private long monitorStartTime() {
        return Long.parseLong(state.getOrDefault("monitorStartTime", "-1"));
    }

    /** Whether the container's monitor, and so the container, still runs. */
    public boolean running() {
        int pid = monitorPid();
        return pid > 0 && ProcStat.isRunning(pid, monitorStartTime());
    }

    public Status status() {
        return running() ? Status.RUNNING : Status.EXITED;
    }

    /** Whether a detached container got as far as running its command. */
    boolean started() {
        return Files.exists(dir.resolve(STARTED_FILE));
    }

    /** Whether a detached container's cgroups and network have been released after its exit. */
    boolean released() {
        return Files.exists(dir.resolve(RELEASED_FILE));
    }

    /**
     * The exit code a detached container's monitor recorded (128+n when signal n killed it);
     * empty while it runs, for attached containers, and when none could be written.
     */
    public OptionalInt exitCode() {
        try {
            String[] f = Files.readString(exitFile(), StandardCharsets.US_ASCII).trim().split(" ");
            return OptionalInt.of(Integer.parseInt(f[0]));
        } catch (NoSuchFileException e) {
            return OptionalInt.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + exitFile() + ": " + e.getMessage(), e);
        }
    }

    /** The host pid of the container's pid 1 while it runs (the monitor's one child), else -1. */
    public int containerPid() {
        return running() ? containerPidOfRunning() : -1;
    }

    /**
     * The host pid of pid 1 for a caller that has just seen {@link #running()} true (list() reads
     * each monitor's liveness once); -1 when the monitor has no child (any more).
     */
    public int containerPidOfRunning() {
        int monitor = monitorPid();
        String children = ProcStat.readOrNull(Path.of("/proc", Integer.toString(monitor), "task",
                Integer.toString(monitor), "children"));
        if (children == null || children.isBlank()) {
            return -1;
        }
        return Integer.parseInt(children.trim().split(" ")[0]);
    }

    /**
     * Sends {@code signal} to the container's pid 1 through a pidfd that is checked to name the
     * monitor's child; false when the container is not running.
     */
    public boolean signal(int signal) {
        return withPid1((pid, pidfd) -> Posix.pidfdSendSignal(pidfd, signal) ? Boolean.TRUE : null) != null;
    }

    /**
     * What {@code open} opens of the container's pid 1 by its host pid (its /proc/PID/root), or
     * null when the container is not running. The number is checked to be pid 1's before (it is
     * the monitor's child) and after (pid 1 has not exited meanwhile, so the number was not given
     * to another process in between); what was opened is closed when that check fails.
     */
    public <T extends AutoCloseable> T openOfPid1(java.util.function.IntFunction<T> open) {
        return withPid1((pid, pidfd) -> {
            T opened = open.apply(pid);
            if (Posix.awaitReadable(pidfd, 0)) { // pid 1 exited: the number may name another process now
                try {
                    opened.close();
                } catch (Exception ignored) {
                    // closing what is not ours to keep
                }
                return null;
            }
            return opened;
        });
    }

    /** {@code action} with pid 1's host pid and a pidfd pinning it, once checked to be pid 1; else null. */
    private <T> T withPid1(Pid1Action<T> action) {
        int pid = containerPid();
        if (pid <= 0) {
            return null;
        }
        int pidfd;
        try {
            pidfd = Posix.pidfdOpen(pid);
        } catch (ErrnoException e) {
            return null; // gone
        }
        try {
            // The pidfd names that process: if it is still the monitor's child, it is pid 1.
            return ProcStat.parentPid(pid) == monitorPid() && running() ? action.apply(pid, pidfd) : null;
        } finally {
            Posix.closeQuietly(pidfd);
        }
    }

    private interface Pid1Action<T> {
        T apply(int pid, int pidfd);
    }

    /** Waits for the container's monitor to exit, at most {@code timeout}; true when it has. */
    public boolean awaitExit(Duration timeout) {
        int pidfd;
        try {
            pidfd = Posix.pidfdOpen(monitorPid());
        } catch (ErrnoException e) {
            return true; // gone
        }
        try {
            if (!running()) {
                return true;
            }
            long millis = timeout.compareTo(Duration.ofDays(365)) > 0 ? -1 : Math.max(0, timeout.toMillis());
            return Posix.awaitReadable(pidfd, millis);
        } finally {
            Posix.closeQuietly(pidfd);
        }
    }

    @Override
    public String toString() {
        return "ContainerRecord[" + id + " " + status() + "]";
    }
}
