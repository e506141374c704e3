package io.mdocker;

import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupStats;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.state.ContainerRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;

/**
 * A detached container: one that outlives the JVM that started it
 * ({@link Container#startDetached}), reached from any JVM through
 * {@link ContainerRuntime#attach(String)}. Its stdout and stderr go to log files, its stdin is
 * /dev/null, and it is alive exactly as long as its mdocker-init monitor. Once exited it stays
 * listed, with its exit code, its logs and its writable layer, until {@link #remove(boolean)};
 * its cgroups and network are released as soon as a JVM on the same roots sees it exited.
 *
 * <p>The handle holds no descriptor: it reads the container's record on each call. Thread-safe.
 */
public final class DetachedContainer {
    private static final Duration FOLLOW_POLL = Duration.ofMillis(100);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final Duration FOREVER = Duration.ofDays(36500);

    private final ContainerRuntime runtime;
    private final ContainerRecord record;

    DetachedContainer(ContainerRuntime runtime, ContainerRecord record) {
        this.runtime = runtime;
        this.record = record;
    }

    /** The container's id: 64 hex digits. */
    public String id() {
        return record.id();
    }

    /** The container's name, when it was given one. */
    public java.util.Optional<String> name() {
        return record.name();
    }

    /** The first 12 hex digits of the id. */
    public String shortId() {
        return id().substring(0, 12);
    }

    /** The command, its words joined by spaces. */
    public String command() {
        return record.command();
    }

    /** When it was started. */
    public Instant created() {
        return record.created();
    }

    /** The host pid of the container's pid 1 while it runs, else -1. */
    public int pid() {
        return record.containerPid();
    }

    /**
     * The published ports with the host ports its monitor bound (a 0 asked for is replaced by the
     * free port found), in the order given; served by the monitor as long as the container runs.
     */
    public List<PortMapping> ports() {
        return record.ports().stream().map(PortMapping::ofBound).toList();
    }

    /** The host address at which the published ports are reached (as {@link RunningContainer#host()}). */
    public String host() {
        return PortMapping.host(ports());
    }

    /** The host port that forwards to {@code containerPort} (as {@link RunningContainer#mappedPort(int)}). */
    public int mappedPort(int containerPort) {
        return PortMapping.mappedPort(ports(), containerPort);
    }

    /** Whether it still runs. */
    public boolean isRunning() {
        return record.running();
    }

    /**
     * Waits at most {@code timeout} for the container to exit; true when it has (its cgroups and
     * network are then released).
     */
    public boolean waitFor(Duration timeout) {
        if (!record.awaitExit(timeout)) {
            return false;
        }
        runtime.releaseIfExited(id());
        return true;
    }

    /**
     * Waits for the container to exit and returns its exit code (128+n when signal n killed it).
     *
     * @throws ContainerException when the exit code was not recorded (its monitor was killed, or
     *                            the run root was full)
     */
    public int waitFor() {
        waitFor(FOREVER);
        return exitCode().orElseThrow(() -> new ContainerException("the exit code of container " + shortId()
                + " was not recorded: its mdocker-init was killed, or " + record.exitFile() + " could not be written"));
    }

    /** The exit code of an exited container, when recorded; empty while it runs. */
    public OptionalInt exitCode() {
        return record.running() ? OptionalInt.empty() : record.exitCode();
    }

    /** Sends {@code signal} to the container's pid 1 (with the init, it reaches the command); false when not running. */
    public boolean kill(Signal signal) {
        boolean sent = record.signal(signal.number());
        if (sent) {
            Pausing.thaw(cgroupDirs()); // a frozen process acts on no signal until thawed
        }
        return sent;
    }

    /** Pauses the container, as {@link RunningContainer#pause()}: from any process, through the cgroups its record names. */
    public void pause() {
        setPaused(true);
    }

    /** Thaws a paused container. */
    public void unpause() {
        setPaused(false);
    }

    /** Whether the container is paused. */
    public boolean isPaused() {
        return isRunning() && Pausing.isPaused(cgroupDirs());
    }

    private void setPaused(boolean paused) {
        Pausing.set(shortId(), isRunning(), cgroupDirs(), paused);
    }

    private java.util.List<Path> cgroupDirs() {
        return ContainerCgroups.recordedDirs(record.state());
    }

    /**
     * Sends SIGTERM, waits up to {@code grace} for the container to exit, then SIGKILL; returns
     * the exit code (empty when it was not recorded).
     */
    public OptionalInt stop(Duration grace) {
        kill(Signal.TERM);
        if (!waitFor(grace)) {
            kill(Signal.KILL);
            if (!waitFor(KILL_WAIT)) {
                throw new ContainerException("container " + shortId() + " did not exit within " + KILL_WAIT.toSeconds()
                        + " s of SIGKILL");
            }
        }
        return exitCode();
    }

    /**
     * What the container's cgroups have counted, as {@link RunningContainer#stats()}: read from
     * the cgroups its record names, by any process. All -1 once it has exited (its cgroups are
     * released then).
     */
    public ResourceStats stats() {
        CgroupStats s = CgroupStats.UNKNOWN;
        if (isRunning()) {
            try {
                s = ContainerCgroups.statsOfRecorded(record.state(), CgroupFs.REAL);
            } catch (RuntimeException e) {
                if (isRunning()) {
                    throw new ContainerException("reading the stats of container " + shortId() + ": " + e.getMessage(), e);
                }
                s = CgroupStats.UNKNOWN; // it exited meanwhile and its cgroups went
            }
        }
        return ResourceStats.of(s);
    }

    /**
     * Copies the host file, directory tree or link {@code source} to {@code target} in the
     * container while it runs, as {@link RunningContainer#copyIn}.
     */
    public void copyIn(Path source, String target) {
        runtime.copyIn(id(), source, target);
    }

    /** Copies {@code source} in the container (a file or directory tree) to the host path {@code target} while it runs. */
    public void copyOut(String source, Path target) {
        runtime.copyOut(id(), source, target);
    }

    /** The file holding the container's stdout. */
    public Path stdoutLog() {
        return record.stdoutLog();
    }

    /** The file holding the container's stderr. */
    public Path stderrLog() {
        return record.stderrLog();
    }

    /** Everything the container has written to stdout so far. */
    public byte[] stdout() {
        return readLog(stdoutLog());
    }

    /** Everything the container has written to stderr so far. */
    public byte[] stderr() {
        return readLog(stderrLog());
    }

    private static byte[] readLog(Path log) {
        try {
            return Files.readAllBytes(log);
        } catch (NoSuchFileException e) {
            return new byte[0];
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + log + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies the logs to {@code out} and {@code err}, then what the container writes next, until
     * it exits (each stream in its own order; the two are not interleaved as written).
     */
    public void followLogs(OutputStream out, OutputStream err) {
        followLogs(out, err, ALL_LINES);
    }

    /**
     * As {@link #followLogs(OutputStream, OutputStream)}, starting with the last {@code tail} lines
     * of each log (Docker's {@code logs -f --tail N}); {@link #ALL_LINES} for all of them.
     */
    public void followLogs(OutputStream out, OutputStream err, int tail) {
        try (LogTail o = new LogTail(stdoutLog(), out, tail); LogTail e = new LogTail(stderrLog(), err, tail)) {
            boolean exited;
            do {
                exited = record.awaitExit(FOLLOW_POLL);
                o.copyNew();
                e.copyNew();
            } while (!exited);
        } catch (IOException e) {
            throw new UncheckedIOException("following the logs of container " + shortId() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies the last {@code tail} lines of each log ({@link #ALL_LINES}: all of it) to {@code out}
     * and {@code err}, as Docker's {@code logs --tail N}.
     */
    public void copyLogs(OutputStream out, OutputStream err, int tail) {
        try (LogTail o = new LogTail(stdoutLog(), out, tail); LogTail e = new LogTail(stderrLog(), err, tail)) {
            o.copyNew();
            e.copyNew();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the logs of container " + shortId() + ": " + e.getMessage(), e);
        }
    }

    /** For {@link #copyLogs} and {@link #followLogs(OutputStream, OutputStream, int)}: every line. */
    public static final int ALL_LINES = -1;

    /**
     * Removes the exited container: its record, logs, writable layer, and whatever of its cgroups
     * and network is left. With {@code force} a running container is killed (SIGKILL) first.
     *
     * @throws ContainerException when it runs and {@code force} is false
     */
    public void remove(boolean force) {
        if (record.running()) {
            if (!force) {
                throw new ContainerException("container " + shortId() + " is running: stop it first, or remove it with force");
            }
            kill(Signal.KILL);
            if (!record.awaitExit(KILL_WAIT)) {
                throw new ContainerException("container " + shortId() + " did not exit within " + KILL_WAIT.toSeconds()
                        + " s of SIGKILL");
            }
        }
        runtime.store().remove(record);
    }

    @Override
    public String toString() {
        return "DetachedContainer[" + shortId() + " " + command() + "]";
    }

    /** Copies what is appended to a log file. */
    private static final class LogTail implements AutoCloseable {
        private final InputStream in;
        private final OutputStream to;
        private final byte[] buf = new byte[8192];

        /** Reads {@code log} from the start of its last {@code tail} lines (all: {@link #ALL_LINES}). */
        LogTail(Path log, OutputStream to, int tail) throws IOException {
            if (Files.exists(log)) {
                java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(log);
                if (tail != ALL_LINES) {
                    ch.position(startOfLastLines(ch, tail));
                }
                this.in = java.nio.channels.Channels.newInputStream(ch);
            } else {
                this.in = InputStream.nullInputStream();
            }
            this.to = to;
        }

        /** The offset at which the last {@code lines} lines begin (a last line without '\n' counts). */
        static long startOfLastLines(java.nio.channels.FileChannel ch, int lines) throws IOException {
            long end = ch.size();
            if (lines == 0) {
                return end;
            }
            java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(8192);
            int seen = 0;
            long pos = end;
            while (pos > 0) {
                int n = (int) Math.min(chunk.capacity(), pos);
                pos -= n;
                chunk.clear().limit(n);
                while (chunk.hasRemaining()) {
                    if (ch.read(chunk, pos + chunk.position()) < 0) {
                        return 0; // truncated meanwhile
                    }
                }
                for (int i = n - 1; i >= 0; i--) {
                    long at = pos + i;
                    if (chunk.get(i) == '\n' && at != end - 1 && ++seen == lines) {
                        return at + 1;
                    }
                }
            }
            return 0;
        }

        void copyNew() throws IOException {
            int n;
            while ((n = in.read(buf)) > 0) {
                to.write(buf, 0, n);
            }
            to.flush();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
