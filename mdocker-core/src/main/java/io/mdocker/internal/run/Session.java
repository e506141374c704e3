package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.PortMapping;
import io.mdocker.internal.AtExit;
import io.mdocker.internal.BackgroundCleanup;
import io.mdocker.internal.Cleanup;
import io.mdocker.internal.HostResource;
import io.mdocker.internal.cgroup.CgroupStats;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.fs.ContainerFiles;
import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.MonitorPool;
import io.mdocker.internal.process.OutputLog;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.state.ExecRecord;
import io.mdocker.internal.state.StateStore;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A container this JVM started ({@link ContainerStart}) and holds: the mdocker-init monitor and
 * its sync socket and stdio pipes, the host resources made for it (network, cgroups, devices
 * cgroup), the state entry, the captured output or the log. {@link #close()} kills what still
 * runs, reaps it and removes all of it, in reverse order of making; a JVM shutdown hook closes
 * sessions never closed, as a backstop.
 *
 * <p>Thread-safe: any thread may wait, signal or close.
 */
public final class Session implements Target {
    private static final Set<Session> LIVE = ConcurrentHashMap.newKeySet();
    static final Duration KILL_GRACE = Duration.ofSeconds(5);

    static {
        AtExit.register(AtExit.Stage.CONTAINERS, () -> {
            BackgroundCleanup.awaitIdle(); // the teardown of containers whose run() returned
            for (Session s : LIVE) {
                s.close();
            }
        });
        AtExit.register(AtExit.Stage.SHARED, ContainerCgroups::removeUnusedParents); // the shared mdocker cgroups, where empty
    }

    private final String id;
    private final Optional<String> name;
    private final Map<String, String> labels;
    private final List<String> command;
    private final StateStore.Entry entry;
    private final List<HostResource> resources;
    private final ContainerNetwork network;
    private final InitProcess init;
    private final long startNanos;
    private final ByteArrayOutputStream capturedOut;
    private final ByteArrayOutputStream capturedErr;
    private final OutputLog log;
    private final boolean tty;
    private final int pid;
    private final List<Path> cgroupDirs;
    /** What exec needs of this container (also in its state record, for other processes). */
    private final ExecRecord execRecord;
    private final CompletableFuture<Void> done;
    private final Set<AutoCloseable> execs = ConcurrentHashMap.newKeySet();
    /** When the command's exit was seen (0 until then); shared with a dependent of the monitor's future (see the constructor). */
    private final java.util.concurrent.atomic.AtomicLong exitNanos = new java.util.concurrent.atomic.AtomicLong();
    private Integer exitCode; // guarded by this
    private boolean closed; // guarded by this
    private Boolean oomKilled; // guarded by this
    private final int stopSignal;

    /** What a session is made of, once its state entry exists (see {@link ContainerStart}). */
    record Parts(String id, Optional<String> name, Map<String, String> labels, List<String> command, StateStore.Entry entry,
                 List<HostResource> resources, ContainerNetwork network, InitProcess init, long startNanos,
                 ByteArrayOutputStream out, ByteArrayOutputStream err, OutputLog log, boolean tty,
                 List<Path> cgroupDirs, ExecRecord execBasis, int stopSignal) { }

    Session(Parts p) {
        this.id = p.id();
        this.name = p.name();
        this.labels = Collections.unmodifiableMap(new TreeMap<>(p.labels()));
        this.command = List.copyOf(p.command());
        this.entry = p.entry();
        this.resources = p.resources();
        this.network = p.network();
        this.init = p.init();
        this.startNanos = p.startNanos();
        this.capturedOut = p.out();
        this.capturedErr = p.err();
        this.log = p.log();
        this.tty = p.tty();
        this.cgroupDirs = List.copyOf(p.cgroupDirs());
        this.stopSignal = p.stopSignal();
        this.pid = init.containerPid(); // sync 1, read when the monitor was spawned
        // a claimed sandbox's basis names its pid 1 already: its start time is not read again
        this.execRecord = pid > 0 && p.execBasis().pid() == pid ? p.execBasis() : p.execBasis().withPid1(pid);
        // Waiters wait on this dependent, so the exit time is set before any of them returns. It
        // holds the exit time's holder only, not this session: a detached container's monitor
        // (and so its futures) outlives the session by hours, and must not keep it in the heap.
        java.util.concurrent.atomic.AtomicLong exitAt = exitNanos;
        this.done = init.finished().whenComplete((v, e) -> exitAt.compareAndSet(0, System.nanoTime()));
        LIVE.add(this);
    }

    /**
     * A parked sandbox ({@link ContainerStart#park}) as the container it becomes when claimed: the
     * same monitor, host resources and state entry, with the claim's command, start time, output
     * destinations and exec basis (its environment and working directory). The parked session is
     * forgotten: the returned one owns and closes all of it.
     */
    static Session claimed(Session parked, List<String> command, long startNanos, ByteArrayOutputStream out,
                           ByteArrayOutputStream err, OutputLog log, ExecRecord execBasis) {
        LIVE.remove(parked);
        return new Session(new Parts(parked.id, parked.name, parked.labels, command, parked.entry, parked.resources,
                parked.network, parked.init, startNanos, out, err, log, false, parked.cgroupDirs, execBasis,
                parked.stopSignal));
    }

    InitProcess init() {
        return init;
    }

    /**
     * A claimed sandbox: its record, written when it was parked, names no command yet, and the
     * definition's working directory and environment. Writes the claim's into it (for list(),
     * {@code ps}, and an exec from another process) on a cleanup thread {@link #RECORD_DELAY}
     * after the claim, unless the container has been closed by then: neither on the claim's path nor
     * competing for the CPU with a short command (a pooled {@code run("/bin/true")} was slower
     * with the rewrite running beside it).
     */
    void recordCommandLater() {
        Map<String, String> info = new java.util.LinkedHashMap<>();
        info.put("command", String.join(" ", command));
        info.putAll(execRecord.commandInfo());
        cancelRecord = BackgroundCleanup.submitAfter("recording the command of container " + shortId(), RECORD_DELAY,
                () -> entry.update(info, ExecRecord.ENV_PREFIX));
    }

    /** Cancels {@link #recordCommandLater}'s rewrite when it has not begun: the container is being removed. */
    private volatile Runnable cancelRecord;

    /** How long after a claim its container's record is rewritten (see {@link #recordCommandLater}). */
    static final Duration RECORD_DELAY = Duration.ofMillis(50);

    /** The container's state directory, where its record and its health are. */
    public java.nio.file.Path stateDir() {
        return entry.dir();
    }

    StateStore.Entry entry() {
        return entry;
    }

    List<HostResource> resources() {
        return resources;
    }

    ContainerNetwork network() {
        return network;
    }

    /** The container's id: 64 hex digits. */
    public String id() {
        return id;
    }

    /** The container's name, when it was given one. */
    public Optional<String> name() {
        return name;
    }

    /** The container's labels, sorted by key. */
    public Map<String, String> labels() {
        return labels;
    }

    @Override
    public String shortId() {
        return id.substring(0, 12);
    }

    /** The command as started. */
    public List<String> command() {
        return command;
    }

    /** The host pid of the container's pid 1. */
    public int pid() {
        return pid;
    }

    /** The container's IPv4 address (bridge and veth networks), or empty. */
    public Optional<String> ipAddress() {
        return Optional.ofNullable(network.ipAddress());
    }

    /** The published ports with the host ports bound (a 0 asked for is replaced by the port found). */
    public List<PortMapping> ports() {
        return network.ports().stream().map(p -> new PortMapping(p.hostIp() == null ? PortMapping.ANY_ADDRESS : p.hostIp(), p.hostPort(), p.containerPort())).toList();
    }

    /** The exec record without the checks of {@link #execRecord()}. */
    ExecRecord execRecordUnchecked() {
        return execRecord;
    }

    /**
     * run()'s result: waits for the EXIT pid 1 sends as its command ends (sync 5), then for the
     * end of the captured output. Without an EXIT (the monitor or pid 1 was killed) it waits for
     * the monitor's end.
     */
    public RunResult awaitResult() {
        java.util.OptionalInt direct = startTimeoutMillis >= 0 ? awaitExitOrStart() // EXIT straight from pid 1
                : init.awaitExitDirect(); // a claimed sandbox's, or STARTED has been read
        if (direct.isPresent()) {
            init.drained().join();
            exitNanos.set(System.nanoTime());
            synchronized (this) {
                exitCode = direct.getAsInt();
            }
            return new RunResult(direct.getAsInt(), bytes(capturedOut), bytes(capturedErr),
                    Duration.ofNanos(exitNanos.get() - startNanos), oomKilled());
        }
        Protocol.Message m;
        int code = -1;
        while ((m = init.receive(-1)) != null) {
            if (m.type() == Protocol.MSG_EXIT) {
                init.drained().join();
                exitNanos.set(System.nanoTime());
                synchronized (this) {
                    exitCode = m.int32(0);
                    code = exitCode;
                }
                break;
            }
        }
        if (m == null) {
            code = waitFor();
        }
        return new RunResult(code, bytes(capturedOut), bytes(capturedErr), Duration.ofNanos(exitNanos.get() - startNanos),
                oomKilled());
    }

    /** Set by {@link #awaitStartWithExit}: sync 4 is left unread, with this setup timeout; -1 otherwise. */
    private long startTimeoutMillis = -1;

    /**
     * For run(), after GO: sync 4 (STARTED or ERROR) is not read now but by {@link #awaitResult},
     * which waits on the exit channel first, so that a command that ends within the setup timeout
     * costs no wake-up for its STARTED.
     */
    void awaitStartWithExit(long timeoutMillis) {
        startTimeoutMillis = timeoutMillis;
    }

    /**
     * The EXIT on the exit channel, waiting for it up to the setup timeout; past that, sync 4 must
     * have come (a longer command's STARTED) or the setup timed out (thrown as at the start), and
     * the wait goes on. Where the channel ends without an EXIT (the command could not be started,
     * no init, a killed pid 1), sync 4 is read as at the start: ERROR is thrown, and after STARTED
     * the sync socket's EXIT is the result (empty).
     */
    private java.util.OptionalInt awaitExitOrStart() {
        long timeout = startTimeoutMillis;
        startTimeoutMillis = -1;
        java.util.OptionalInt direct;
        try {
            direct = init.awaitExitDirect(timeout);
        } catch (InitProcess.ProtocolTimeoutException e) {
            ContainerStart.expectQueued(this, timeout, Protocol.MSG_STARTED);
            return init.awaitExitDirect();
        }
        if (direct.isEmpty()) {
            ContainerStart.expect(this, timeout, Protocol.MSG_STARTED);
        }
        return direct;
    }

    /** What {@link #awaitResult()} returns. */
    public record RunResult(int exitCode, byte[] stdout, byte[] stderr, Duration elapsed, boolean oomKilled) { }

    private static byte[] bytes(ByteArrayOutputStream b) {
        return b == null ? new byte[0] : b.toByteArray();
    }

    /** run()'s end: closes on the cleanup thread once the exit status is known, then refills the pool. */
    public void closeAfterRun() {
        if (!close(true)) {
            MonitorPool.replenish(init.nsflags());
        }
    }

    /** The container's stdin when piped. */
    public OutputStream stdin() {
        return piped(init.stdin(), "container's stdin");
    }

    /** The container's stdout when piped (with a tty: what the terminal shows). */
    public InputStream stdout() {
        return piped(init.stdout(), "container's stdout");
    }

    /** The container's stderr when piped; none with a tty. */
    public InputStream stderr() {
        if (tty) {
            throw new IllegalStateException("container " + shortId() + " has a tty: its stderr is part of stdout()");
        }
        return piped(init.stderr(), "container's stderr");
    }

    /** A stream that is there only when piped to Java. */
    public static <T> T piped(T s, String name) {
        if (s == null) {
            throw new IllegalStateException("the " + name + " is not piped to Java");
        }
        return s;
    }

    /** Sets the tty's window size. */
    public void resizeTty(int rows, int columns) {
        if (!tty) {
            throw new IllegalStateException("container " + shortId() + " has no tty to resize (Container.Builder.tty)");
        }
        init.resizeTty(rows, columns);
    }

    /** The retained output, when the container keeps a log. */
    public OutputLog log() {
        if (log == null) {
            throw new IllegalStateException("container " + shortId() + " keeps no log: its stdout and stderr are not "
                    + "piped (Stdio.pipe(), the default for start())");
        }
        return log;
    }

    @Override
    public boolean isRunning() {
        return !done.isDone();
    }

    /** Waits for the end and returns the exit code. */
    public int waitFor() {
        Waiting.await(done, "container " + shortId());
        return exitCode();
    }

    @Override
    public boolean awaitExit(Duration timeout) {
        return Waiting.await(done, timeout, "container " + shortId());
    }

    /** The exit code of a container that has exited. */
    public synchronized int exitCode() {
        if (exitCode != null) {
            return exitCode;
        }
        if (!done.isDone()) {
            throw new IllegalStateException("container " + shortId() + " is still running");
        }
        exitCode = init.exitCodeAfterExit(); // sync 5
        return exitCode;
    }

    @Override
    public List<Path> cgroupDirs() {
        return cgroupDirs;
    }

    private ContainerCgroups cgroups() {
        for (HostResource r : resources) {
            if (r instanceof ContainerCgroups cg) {
                return cg;
            }
        }
        return null;
    }

    /** The container's cgroup directories while they exist (for tests and diagnostics). */
    public List<Path> liveCgroupDirs() {
        ContainerCgroups cg = cgroups();
        return cg == null ? List.of() : cg.dirs();
    }

    @Override
    public CgroupStats stats() {
        ContainerCgroups cg = cgroups();
        if (cg == null) {
            return CgroupStats.UNKNOWN;
        }
        try {
            return cg.stats();
        } catch (RuntimeException e) {
            throw SetupErrors.wrap("reading the stats of container " + shortId(), e);
        }
    }

    /**
     * Whether the OOM killer killed a process in its cgroup and it ended by SIGKILL (exit code
     * 137). Throws while it still runs.
     */
    public boolean oomKilled() {
        if (exitCode() != 128 + Signalling.SIGKILL) {
            return false;
        }
        synchronized (this) {
            if (oomKilled == null) { // read once, before close removes the cgroup
                ContainerCgroups cg = cgroups();
                try {
                    oomKilled = cg != null && cg.oomKills() > 0;
                } catch (RuntimeException e) {
                    oomKilled = false; // the cgroup could not be read: no evidence of an OOM kill
                }
            }
            return oomKilled;
        }
    }

    @Override
    public int stopSignal() {
        return stopSignal;
    }

    @Override
    public boolean signalPid1(int signal) {
        if (done.isDone()) {
            return false;
        }
        return init.send(Protocol.signal(signal));
    }

    @Override
    public ContainerFiles openRoot() {
        if (!isRunning()) {
            return null;
        }
        return ContainerFiles.openRootOf(pid, shortId());
    }

    /**
     * The exec record, checked for an exec to start: the session is open and the container runs.
     * {@code exec} is closed with the session; it unregisters itself through the returned hook.
     */
    @Override
    public Optional<ExecRecord> execRecord() {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("container " + shortId() + " is closed: cannot exec into it");
            }
        }
        if (!isRunning()) {
            throw new ContainerException("container " + shortId() + " has exited (exit code " + exitCode()
                    + "): cannot exec into it");
        }
        return Optional.of(execRecord);
    }

    /**
     * Registers an exec's process, which closing the session closes (it ends with the container's
     * PID namespace anyway). Throws when the session was closed meanwhile.
     */
    public void register(AutoCloseable exec) {
        execs.add(exec);
        synchronized (this) {
            if (closed) {
                execs.remove(exec);
                throw new IllegalStateException("container " + shortId() + " is closed: cannot exec into it");
            }
        }
    }

    /** Forgets an exec's process that has been closed. */
    public void unregister(Object exec) {
        execs.remove(exec);
    }

    /** Kills the container if it still runs, reaps it, and removes everything made for it. Idempotent. */
    public void close() {
        close(false);
    }

    /**
     * close(); {@code deferred} hands it to the cleanup thread once the exit status is known (the
     * command has ended: what remains is the processes' exit and the removal of what was made),
     * which then spawns the pool's replacement monitor too. Returns whether it was handed over.
     */
    private boolean close(boolean deferred) {
        synchronized (this) {
            if (closed) {
                return false;
            }
            if (deferred && exitCode != null) {
                BackgroundCleanup.submit("closing container " + shortId(), () -> {
                    awaitExit(KILL_GRACE);
                    close(false);
                    MonitorPool.replenishNow(init.nsflags());
                });
                return true;
            }
        }
        try {
            if (log != null) {
                log.detachStreams(); // an unread stdout() must not hold the pipe back now
            }
            if (!done.isDone()) {
                Pausing.thaw(cgroupDirs); // SIGKILL does not end a v1-frozen process
                init.killAndReap(KILL_GRACE);
                done.join();
            }
            if (pid > 0) {
                exitCode();
                oomKilled(); // reads the cgroup while it exists (only when the exit was a SIGKILL)
            }
        } catch (RuntimeException e) {
            // keep cleaning up
        } finally {
            synchronized (this) {
                closed = true;
            }
            Runnable cancel = cancelRecord;
            if (cancel != null) {
                cancel.run(); // the record goes: nothing to rewrite
            }
            for (AutoCloseable p : execs) { // ended with the container's PID namespace
                try {
                    p.close();
                } catch (Exception e) {
                    // keep cleaning up
                }
            }
            init.close();
            try {
                Cleanup.inReverse(resources, HostResource::close);
            } finally {
                try {
                    entry.close();
                } finally {
                    LIVE.remove(this);
                }
            }
        }
        return false;
    }

    /**
     * Detached, once the command runs: gives the container up. The record says it started and is
     * handed over; closing the sync socket tells the monitor to keep the container (and to record
     * its exit); the host resources stay with the container. {@code release} runs when the monitor
     * exits while this JVM lives (it is this JVM's child, reaped by the event loop); otherwise the
     * next runtime, list, rm or gc that finds it exited releases them.
     */
    void handOver(Runnable release) {
        try {
            entry.markStarted(pid);
        } catch (RuntimeException e) { // still ours: ends like any failed start
            close();
            throw SetupErrors.wrap("recording that detached container " + shortId() + " runs", e);
        }
        LIVE.remove(this);
        synchronized (this) {
            closed = true;
        }
        init.close();
        entry.handOver();
        // Only the short id is kept until the monitor exits, not this session (its records and
        // cgroup handles): a JVM that started many detached containers holds little for each.
        String shortId = shortId();
        init.monitorStatus().whenComplete((status, e) -> Thread.ofVirtual().name("mdocker-release-" + shortId)
                .start(() -> {
                    try {
                        release.run();
                    } catch (RuntimeException failure) {
                        System.getLogger(Session.class.getName()).log(System.Logger.Level.WARNING,
                                "releasing the resources of detached container " + shortId + ": " + failure.getMessage());
                    }
                }));
    }

    @Override
    public String toString() {
        return "Session[" + shortId() + " " + String.join(" ", command) + "]";
    }
}
