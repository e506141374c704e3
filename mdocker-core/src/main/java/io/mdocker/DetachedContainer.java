package io.mdocker;

import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.run.Copying;
import io.mdocker.internal.run.Execs;
import io.mdocker.internal.run.LogFiles;
import io.mdocker.internal.run.Pausing;
import io.mdocker.internal.run.RecordTarget;
import io.mdocker.internal.run.Signalling;
import io.mdocker.internal.state.ContainerRecord;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;

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
public final class DetachedContainer implements ContainerHandle {
    private static final Duration FOREVER = Duration.ofDays(36500);

    private final ContainerRuntime runtime;
    private final ContainerRecord record;
    private final RecordTarget target;

    DetachedContainer(ContainerRuntime runtime, ContainerRecord record) {
        this.runtime = runtime;
        this.record = record;
        this.target = new RecordTarget(record);
    }

    @Override
    public void runHealthchecks() {
        healthcheck().ifPresent(h -> HealthMonitor.run(this, h, record.dir()));
    }

    /** {@inheritDoc} Read from the container's state record, by any process. */
    @Override
    public Optional<Healthcheck> healthcheck() {
        return io.mdocker.internal.state.HealthRecord.of(record.state()).map(h -> new Healthcheck(h.test(),
                Duration.ofNanos(h.intervalNanos()), Duration.ofNanos(h.timeoutNanos()), h.retries(),
                Duration.ofNanos(h.startPeriodNanos())));
    }

    @Override
    public String id() {
        return record.id();
    }

    @Override
    public Optional<String> name() {
        return record.name();
    }

    @Override
    public Map<String, String> labels() {
        return record.labels();
    }

    /** The command, its words joined by spaces. */
    public String command() {
        return record.command();
    }

    /** When it was started. */
    public Instant created() {
        return record.created();
    }

    @Override
    public int pid() {
        return record.containerPid();
    }

    /**
     * The published ports with the host ports its monitor bound (a 0 asked for is replaced by the
     * free port found), in the order given; served by the monitor as long as the container runs.
     */
    @Override
    public List<PortMapping> ports() {
        return record.ports().stream().map(PortMapping::ofBound).toList();
    }

    @Override
    public Optional<String> ipAddress() {
        return isRunning() ? Optional.ofNullable(ContainerNetwork.recorded(record.dir()).get("address")) : Optional.empty();
    }

    @Override
    public DetachedContainer await(WaitStrategy strategy) {
        Objects.requireNonNull(strategy, "strategy").waitUntilReady(this);
        return this;
    }

    @Override
    public boolean isRunning() {
        return record.running();
    }

    /**
     * Waits at most {@code timeout} for the container to exit; true when it has (its cgroups and
     * network are then released).
     */
    @Override
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
    @Override
    public int waitFor() {
        waitFor(FOREVER);
        return exitCode().orElseThrow(() -> new ContainerException("the exit code of container " + shortId()
                + " was not recorded: its mdocker-init was killed, or " + record.exitFile() + " could not be written"));
    }

    /** The exit code of an exited container, when recorded; empty while it runs. */
    public OptionalInt exitCode() {
        return record.running() ? OptionalInt.empty() : record.exitCode();
    }

    @Override
    public boolean kill(Signal signal) {
        return Signalling.kill(target, signal.number());
    }

    @Override
    public void pause() {
        Pausing.set(target, true);
    }

    @Override
    public void unpause() {
        Pausing.set(target, false);
    }

    @Override
    public boolean isPaused() {
        return Pausing.isPaused(target);
    }

    /**
     * {@inheritDoc}
     *
     * @throws ContainerException when it did not exit within 10 s of SIGKILL, or its exit code was
     *                            not recorded (see {@link #waitFor()})
     */
    @Override
    public int stop(Duration grace) {
        Signalling.stop(target, grace);
        return waitFor();
    }

    /** {@inheritDoc} Read from the cgroups its record names, by any process; all -1 once it has exited. */
    @Override
    public ResourceStats stats() {
        return ResourceStats.of(target.stats());
    }

    @Override
    public void copyIn(Path source, String target) {
        Copying.copyIn(this.target, source, target);
    }

    @Override
    public void copyIn(CopySource source, String target) {
        Copying.copyIn(this.target, Objects.requireNonNull(source, "source").toFileSource(), target);
    }

    @Override
    public void copyOut(String source, Path target) {
        Copying.copyOut(this.target, source, target);
    }

    @Override
    public ExecResult exec(Exec exec) {
        ContainerRuntime.requireRoot();
        return ExecProcess.run(target, exec);
    }

    @Override
    public ExecProcess execStart(Exec exec) {
        ContainerRuntime.requireRoot();
        return ExecProcess.start(target, exec);
    }

    @Override
    public int execDetached(Exec exec) {
        ContainerRuntime.requireRoot();
        return Execs.startDetached(target, java.util.Objects.requireNonNull(exec, "exec").spec());
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
        return LogFiles.read(stdoutLog());
    }

    /** Everything the container has written to stderr so far. */
    public byte[] stderr() {
        return LogFiles.read(stderrLog());
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
        try {
            LogFiles.copy(stdoutLog(), stderrLog(), out, err, tail, record::awaitExit);
        } catch (IOException e) {
            throw new UncheckedIOException("following the logs of container " + shortId() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies the last {@code tail} lines of each log ({@link #ALL_LINES}: all of it) to {@code out}
     * and {@code err}, as Docker's {@code logs --tail N}.
     */
    public void copyLogs(OutputStream out, OutputStream err, int tail) {
        try {
            LogFiles.copy(stdoutLog(), stderrLog(), out, err, tail, null);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the logs of container " + shortId() + ": " + e.getMessage(), e);
        }
    }

    /** {@inheritDoc} Here: its stdout log, then its stderr log. */
    @Override
    public String logs() {
        return new String(stdout(), StandardCharsets.UTF_8) + new String(stderr(), StandardCharsets.UTF_8);
    }

    /** {@inheritDoc} Here: read from its log files every 100 ms, by a virtual thread. */
    @Override
    public LogSubscription followLogs(Consumer<LogLine> follower) {
        Objects.requireNonNull(follower, "follower");
        Runnable stop = LogFiles.follow(stdoutLog(), stderrLog(), this::isRunning, (stream, text) ->
                follower.accept(new LogLine(stream == 2 ? LogLine.Source.STDERR : LogLine.Source.STDOUT, text)));
        return stop::run;
    }

    /** For {@link #copyLogs} and {@link #followLogs(OutputStream, OutputStream, int)}: every line. */
    public static final int ALL_LINES = LogFiles.ALL_LINES;

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
            Signalling.killAndAwait(target);
        }
        runtime.store().remove(record);
    }

    @Override
    public String toString() {
        return "DetachedContainer[" + shortId() + " " + command() + "]";
    }
}
