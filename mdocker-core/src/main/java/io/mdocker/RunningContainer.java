package io.mdocker;

import io.mdocker.internal.process.OutputLog;
import io.mdocker.internal.run.ContainerStart;
import io.mdocker.internal.run.Copying;
import io.mdocker.internal.run.Execs;
import io.mdocker.internal.run.Pausing;
import io.mdocker.internal.run.Session;
import io.mdocker.internal.run.Signalling;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A started container of this JVM ({@link Container#start}). It owns everything made for it: the
 * mdocker-init monitor and the container's processes, the sync socket and stdio pipes, its
 * cgroups, the writable layer and the state record. {@link #close()} kills what still runs, reaps
 * it, and removes all of it; a JVM shutdown hook closes handles that were never closed, as a
 * backstop.
 *
 * <p>{@link #exec} and {@link #execStart} start more processes inside the running container
 * (Docker's {@code exec}); closing the container ends them and releases what they hold.
 *
 * <p>Thread-safe: any thread may wait, signal, exec or close; several execs may run at once.
 */
public final class RunningContainer implements ContainerHandle, AutoCloseable {
    /** Bytes of recent output lines a started container's log keeps. */
    public static final int LOG_CAPACITY = ContainerStart.LOG_CAPACITY;

    private final Session session;
    private final Optional<Healthcheck> healthcheck;

    RunningContainer(Session session, Optional<Healthcheck> healthcheck) {
        this.session = session;
        this.healthcheck = healthcheck;
    }

    /** {@inheritDoc} From the image this container was started from. */
    @Override
    public Optional<Healthcheck> healthcheck() {
        return healthcheck;
    }

    @Override
    public void runHealthchecks() {
        healthcheck.ifPresent(h -> HealthMonitor.run(this, h, session.stateDir()));
    }

    @Override
    public String id() {
        return session.id();
    }

    @Override
    public Optional<String> name() {
        return session.name();
    }

    @Override
    public Map<String, String> labels() {
        return session.labels();
    }

    /** The host pid of the container's pid 1 (also after it exited). */
    @Override
    public int pid() {
        return session.pid();
    }

    @Override
    public Optional<String> ipAddress() {
        return session.ipAddress();
    }

    @Override
    public List<PortMapping> ports() {
        return session.ports();
    }

    @Override
    public RunningContainer await(WaitStrategy strategy) {
        Objects.requireNonNull(strategy, "strategy").waitUntilReady(this);
        return this;
    }

    /** The command as started. */
    public List<String> command() {
        return session.command();
    }

    /**
     * The container's stdin when it is piped ({@link Stdio#pipe()}, the default for start). With a
     * tty ({@link Container.Builder#tty}): the terminal's input, as typed (0x03 is ^C, which
     * interrupts the foreground process group); closing it does not end the input.
     */
    public OutputStream stdin() {
        return session.stdin();
    }

    /**
     * The container's stdout when it is piped; read it, or the container blocks once the pipe is
     * full. With a tty: what the terminal shows (stdout and stderr, lines ending "\r\n"), to its
     * end once every process holding the terminal has ended.
     */
    public InputStream stdout() {
        return session.stdout();
    }

    /** The container's stderr when it is piped; with a tty there is none (it is part of {@link #stdout()}). */
    public InputStream stderr() {
        return session.stderr();
    }

    /**
     * Sets the window size of the container's tty: its foreground process group gets SIGWINCH and
     * {@code stty size} shows the new size. A size out of 1..65535 is an {@link IllegalArgumentException};
     * a container without a tty an {@link IllegalStateException}.
     */
    public void resizeTty(int rows, int columns) {
        TtySize size = new TtySize(rows, columns);
        session.resizeTty(size.rows(), size.columns());
    }

    /**
     * The container's recent output: the last lines of stdout and stderr (at most
     * {@link #LOG_CAPACITY} bytes, oldest dropped first) in the order they arrived, each ending
     * with a newline but a last unfinished one. Readable while it runs and after it exited or was
     * closed. Needs piped stdout or stderr ({@link Stdio#pipe()}, the default).
     */
    @Override
    public String logs() {
        StringBuilder b = new StringBuilder();
        for (OutputLog.Line line : session.log().lines()) {
            b.append(new String(line.bytes(), StandardCharsets.UTF_8));
            if (line.newline()) {
                b.append('\n');
            }
        }
        return b.toString();
    }

    /** The container's recent output as lines, oldest first (see {@link #logs()}). */
    public List<LogLine> logLines() {
        return session.log().lines().stream().map(RunningContainer::logLine).toList();
    }

    /**
     * Calls {@code follower} with each retained line, then with every new line as the container
     * writes it, until the returned subscription is closed. The follower runs on mdocker's reaper
     * thread: it must return quickly and never block (hand lines to a queue for slow work).
     */
    @Override
    public LogSubscription followLogs(Consumer<LogLine> follower) {
        Objects.requireNonNull(follower, "follower");
        Runnable stop = session.log().follow(line -> follower.accept(logLine(line)));
        return stop::run;
    }

    private static LogLine logLine(OutputLog.Line line) {
        return new LogLine(line.stream() == OutputLog.STDERR ? LogLine.Source.STDERR : LogLine.Source.STDOUT,
                new String(line.bytes(), StandardCharsets.UTF_8));
    }

    @Override
    public boolean isRunning() {
        return session.isRunning();
    }

    @Override
    public int waitFor() {
        return session.waitFor();
    }

    @Override
    public boolean waitFor(Duration timeout) {
        return session.awaitExit(timeout);
    }

    /** The exit code of a container that has exited; an {@link IllegalStateException} while it runs. */
    public int exitCode() {
        return session.exitCode();
    }

    /** {@inheritDoc} After {@link #close()}: all -1. */
    @Override
    public ResourceStats stats() {
        return ResourceStats.of(session.stats());
    }

    /**
     * Whether the container ended because it ran out of memory: the kernel's OOM killer killed a
     * process in its cgroup and it ended by SIGKILL (exit code 137). Throws while it still runs.
     */
    public boolean oomKilled() {
        return session.oomKilled();
    }

    /** The container's cgroup directories, one per hierarchy, while they exist (for tests and diagnostics). */
    List<Path> cgroupDirs() {
        return session.liveCgroupDirs();
    }

    @Override
    public void copyIn(Path source, String target) {
        Copying.copyIn(session, source, target);
    }

    @Override
    public void copyIn(CopySource source, String target) {
        Copying.copyIn(session, Objects.requireNonNull(source, "source").toFileSource(), target);
    }

    @Override
    public void copyOut(String source, Path target) {
        Copying.copyOut(session, source, target);
    }

    @Override
    public ExecResult exec(Exec exec) {
        return ExecProcess.run(session, exec);
    }

    @Override
    public ExecProcess execStart(Exec exec) {
        return ExecProcess.start(session, exec);
    }

    @Override
    public int execDetached(Exec exec) {
        return Execs.startDetached(session, java.util.Objects.requireNonNull(exec, "exec").spec());
    }

    @Override
    public boolean kill(Signal signal) {
        return Signalling.kill(session, signal.number());
    }

    @Override
    public void pause() {
        Pausing.set(session, true);
    }

    @Override
    public void unpause() {
        Pausing.set(session, false);
    }

    @Override
    public boolean isPaused() {
        return Pausing.isPaused(session);
    }

    @Override
    public int stop(Duration grace) {
        Signalling.stop(session, grace);
        return waitFor();
    }

    /**
     * Kills the container if it still runs, reaps it, and removes everything made for it: its
     * writable layer and directories, its state record, its descriptors, its published ports.
     * Its veth pair goes with its network namespace (the kernel removes it, milliseconds later);
     * its address is leased again only once the pair is gone. Idempotent.
     */
    @Override
    public void close() {
        session.close();
    }

    @Override
    public String toString() {
        return "RunningContainer[" + shortId() + " " + String.join(" ", command()) + "]";
    }
}
