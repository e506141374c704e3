package io.mdocker;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.BackgroundCleanup;
import io.mdocker.internal.Cleanup;
import io.mdocker.internal.HostResource;
import io.mdocker.internal.Trace;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.internal.cgroup.CgroupStats;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.fs.ContainerDirs;
import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.net.PortProxy;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.MonitorPool;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.security.DevicesCgroupV1;
import io.mdocker.internal.security.SecurityPlan;
import io.mdocker.internal.state.StateStore;
import io.mdocker.internal.sys.Errno;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A started container. It owns everything made for it: the mdocker-init monitor and the
 * container's processes, the sync socket and stdio pipes, its cgroups, the writable layer and
 * the state record. {@link #close()} kills what still runs, reaps it, and removes all of it; a JVM
 * shutdown hook closes handles that were never closed, as a backstop.
 *
 * <p>Thread-safe: any thread may wait, signal or close.
 */
public final class RunningContainer implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<RunningContainer> LIVE = ConcurrentHashMap.newKeySet();
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);
    /** How long a failed host-side setup waits for an ERROR pid 1 may have sent about its own. */
    private static final long SETUP_ERROR_WAIT_MILLIS = 200;

    static {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("mdocker-shutdown").unstarted(() -> {
            BackgroundCleanup.awaitIdle(); // the teardown of containers whose run() returned
            for (RunningContainer c : LIVE) {
                c.close();
            }
            ContainerCgroups.removeUnusedParents(); // the shared mdocker cgroups, where empty
        }));
    }

    private final String id;
    private final List<String> command;
    private final StateStore.Entry entry;
    private final List<HostResource> resources;
    /** The cgroup v2 directory that gets the device program, or null (privileged, or v1 devices). */
    private Path deviceCgroupV2;
    private final ContainerNetwork network;
    private final InitProcess init;
    private final long startNanos;
    private final ByteArrayOutputStream capturedOut;
    private final ByteArrayOutputStream capturedErr;
    private volatile int pid = -1;
    private volatile long exitNanos;
    private final java.util.concurrent.CompletableFuture<Void> done;
    private Integer exitCode; // guarded by this
    private boolean closed; // guarded by this
    private Boolean oomKilled; // guarded by this

    private RunningContainer(String id, List<String> command, StateStore.Entry entry, List<HostResource> resources,
                             ContainerNetwork network, InitProcess init, long startNanos, ByteArrayOutputStream out,
                             ByteArrayOutputStream err) {
        this.id = id;
        this.command = command;
        this.entry = entry;
        this.resources = resources;
        this.network = network;
        this.init = init;
        this.startNanos = startNanos;
        this.capturedOut = out;
        this.capturedErr = err;
        // Waiters wait on this dependent, so the exit time is set before any of them returns.
        this.done = init.finished().whenComplete((v, e) -> {
            if (exitNanos == 0) {
                exitNanos = System.nanoTime();
            }
        });
    }

    /**
     * start, wait, and close. The result is complete when pid 1 has reported its command's exit
     * status (sync 5, sent as the command ends) and the captured output has reached its end; the
     * rest of the teardown — the kernel ending the namespaces with pid 1, the monitor's exit, the
     * cgroups, the writable layer and the state record — finishes on the cleanup thread
     * ({@link ContainerRuntime#awaitCleanup()}; the JVM's exit waits for it too).
     */
    static ExecResult run(Container spec, List<String> command) {
        RunningContainer c = start(spec, command, true);
        try {
            int code = c.awaitResult();
            Trace.mark("java result complete");
            return new ExecResult(code, bytes(c.capturedOut), bytes(c.capturedErr),
                    Duration.ofNanos(c.exitNanos - c.startNanos), c.oomKilled());
        } finally {
            if (!c.close(true)) {
                MonitorPool.replenish(c.init.nsflags());
            }
        }
    }

    /**
     * sync 5 for run(): the EXIT pid 1 sends as its command ends, then the end of the captured
     * output. Without an EXIT (the monitor or pid 1 was killed) it waits for the monitor's end.
     */
    private int awaitResult() {
        Protocol.Message m;
        while ((m = init.receive(-1)) != null) {
            if (m.type() == Protocol.MSG_EXIT) {
                init.drained().join();
                exitNanos = System.nanoTime();
                synchronized (this) {
                    exitCode = m.int32(0);
                    return exitCode;
                }
            }
        }
        return waitFor();
    }

    private static byte[] bytes(ByteArrayOutputStream b) {
        return b == null ? new byte[0] : b.toByteArray();
    }

    /**
     * The start sequence (sync numbers as in init.c): validate; take a monitor (mdocker-init),
     * whose pid 1 already exists in its new namespaces (sync 1 PID, read as it was spawned);
     * record state, create dirs and cgroups; sync 2 CONFIG, with which pid 1 builds its
     * filesystem while the JVM does the host-side setup (cgroups, network); sync 3 GO; sync 4
     * STARTED or ERROR. Sync 5, EXIT, is read in {@link #exitCode()}.
     */
    static RunningContainer start(Container spec, List<String> command, boolean forRun) {
        long t0 = System.nanoTime();
        Trace.mark("java start");
        spec.checkHost();
        ContainerRuntime.requireRoot();
        Trace.mark("java checkHost+root");
        // Checks the network plan against the host and binds published ports: before anything exists.
        ContainerNetwork network = NetworkPlans.prepare(spec);
        Trace.mark("java network plan");
        String id = HexFormat.of().formatHex(randomBytes());
        // Checked against the host's cgroup layout before anything exists; recorded with the state.
        ContainerCgroups cgroups;
        try {
            cgroups = ContainerCgroups.plan(CgroupLayout.host(), spec.resources().toSpec(), id, CgroupFs.REAL);
            Trace.mark("java cgroup plan");
        } catch (UncheckedIOException e) {
            network.close();
            throw new ContainerException("detecting the cgroup layout: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
        // Host-side resources, made before anything runs and closed in reverse order.
        List<HostResource> resources = new ArrayList<>();
        resources.add(network);
        ByteArrayOutputStream out = forRun && spec.stdout().kind() == Stdio.Kind.PIPE ? new ByteArrayOutputStream() : null;
        ByteArrayOutputStream err = forRun && spec.stderr().kind() == Stdio.Kind.PIPE ? new ByteArrayOutputStream() : null;
        // The monitor comes first (usually ready-made, from the pool) so that the state record
        // names it in one write. It has made nothing yet, and exits by itself should this JVM die
        // before the record exists.
        InitProcess init;
        try {
            init = MonitorPool.take(new InitProcess.StdioPlan(
                    stdinRedirect(spec.stdin(), forRun),
                    redirect(spec.stdout(), out), sink(spec.stdout(), out),
                    redirect(spec.stderr(), err), sink(spec.stderr(), err)), namespaces(network));
        } catch (RuntimeException e) {
            network.close();
            throw wrap("starting mdocker-init", e);
        }
        StateStore.Entry entry;
        try {
            Map<String, String> info = new LinkedHashMap<>();
            info.put("command", String.join(" ", command));
            info.put("rootfs", spec.layers().toString());
            info.putAll(cgroups.stateInfo());
            Trace.mark("java monitor taken " + init.pid());
            entry = spec.runtime().store().create(id, info, init.pid());
            Trace.mark("java state+dirs");
        } catch (RuntimeException e) {
            MonitorPool.replenish(init.nsflags());
            init.killMonitor();
            init.monitorStatus().join();
            init.close();
            network.close();
            throw wrap("recording container " + id.substring(0, 12), e);
        }
        RunningContainer c = new RunningContainer(id, command, entry, resources, network, init, t0, out, err);
        LIVE.add(c);
        try {
            try {
                network.create(id, entry.dir(), spec.hostname() != null ? spec.hostname() : c.shortId(), spec.layers());
                Trace.mark("java network create");
            } catch (RuntimeException e) {
                throw wrap("setting up the network of container " + c.shortId(), e);
            }
            // Where there is no v1 devices controller, the monitor attaches a device BPF program to
            // the container's v2 cgroup instead, as GO arrives (CONFIG record DEVCGROUP).
            if (!spec.privileged() && DevicesCgroupV1.mountPoint().isEmpty()) {
                c.deviceCgroupV2 = cgroups.v2Dir().orElse(null);
            }
            c.sendConfig(spec); // sync 2: pid 1 builds its filesystem while the cgroups are made
            try {
                cgroups.create(); // removes what it made when it fails
                Trace.mark("java cgroups create");
            } catch (RuntimeException e) {
                throw wrap("creating the cgroups of container " + c.shortId(), e);
            }
            resources.add(cgroups);
            // Security resources (issue 5): the devices cgroup, joined by pid 1 before GO.
            if (!spec.privileged()) {
                DevicesCgroupV1.create(id).ifPresent(resources::add);
                Trace.mark("java devices cgroup");
            }
            c.enterAndGo(spec);
            if (!forRun) { // run() replenishes after its teardown, on the cleanup thread
                MonitorPool.replenish(init.nsflags());
            }
            return c;
        } catch (RuntimeException | Error e) {
            MonitorPool.replenish(init.nsflags());
            c.close();
            if (e instanceof ContainerException || e instanceof IllegalArgumentException) {
                throw e;
            }
            throw wrap("starting container " + c.shortId(), e);
        }
    }

    /** pid 1's CLONE_NEW* namespaces: all of them but the network one with the host's network. */
    private static long namespaces(ContainerNetwork network) {
        return Linux.CLONE_NEWNS() | Linux.CLONE_NEWUTS() | Linux.CLONE_NEWIPC() | Linux.CLONE_NEWPID()
                | (network.ownNamespace() ? Linux.CLONE_NEWNET() : 0) | Linux.CLONE_NEWCGROUP();
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return b;
    }

    private static Redirect stdinRedirect(Stdio s, boolean forRun) {
        return switch (s.kind()) {
            case PIPE -> forRun ? Redirect.DISCARD : Redirect.PIPE;
            case INHERIT -> Redirect.INHERIT;
            case DISCARD, SINK -> Redirect.DISCARD;
        };
    }

    private static Redirect redirect(Stdio s, ByteArrayOutputStream capture) {
        return switch (s.kind()) {
            case PIPE -> capture != null ? Redirect.CAPTURE : Redirect.PIPE;
            case INHERIT -> Redirect.INHERIT;
            case DISCARD -> Redirect.DISCARD;
            case SINK -> Redirect.CAPTURE;
        };
    }

    private static OutputStream sink(Stdio s, ByteArrayOutputStream capture) {
        return s.kind() == Stdio.Kind.SINK ? s.sink() : capture;
    }

    /** sync 2: CONFIG, which pid 1 (cloned with the monitor, sync 1) starts to build its filesystem with. */
    private void sendConfig(Container spec) {
        ContainerDirs dirs = entry.dirs();
        Protocol.ConfigWriter config = new Protocol.ConfigWriter();
        for (String arg : command) {
            config.string(Protocol.T_ARG, arg);
        }
        for (Map.Entry<String, String> e : environment(spec).entrySet()) {
            config.string(Protocol.T_ENV, e.getKey() + "=" + e.getValue());
        }
        for (Path layer : network.layers()) { // the binds' mount points, above the image
            config.string(Protocol.T_LOWER, layer.toString());
        }
        for (Path layer : spec.layers()) {
            config.string(Protocol.T_LOWER, layer.toString());
        }
        config.string(Protocol.T_UPPER, dirs.upper().toString())
                .string(Protocol.T_WORK, dirs.work().toString())
                .string(Protocol.T_MERGED, dirs.merged().toString())
                .string(Protocol.T_HOSTNAME, hostname(spec))
                .string(Protocol.T_CWD, spec.workdir())
                .u32(Protocol.T_UID, spec.uid())
                .u32(Protocol.T_GID, spec.gid())
                .u64(Protocol.T_NSFLAGS, init.nsflags())
                .u32(Protocol.T_INIT, spec.init() ? 1 : 0);
        for (ContainerNetwork.Bind b : network.binds()) { // /etc/hosts etc.: the user's binds may cover them
            config.bind(b.source().toString(), b.target(), true);
        }
        for (BindMount b : spec.binds()) {
            config.bind(b.source().toString(), b.target(), b.readOnly());
        }
        if (deviceCgroupV2 != null) {
            config.string(Protocol.T_DEVCGROUP, deviceCgroupV2.toString());
        }
        SecurityPlan.write(spec, config); // capabilities, no_new_privs, seccomp, masks, rlimits, ...
        Trace.mark("java config built");

        pid = init.containerPid(); // sync 1, read when the monitor was spawned
        send(config.message()); // sync 2: pid 1 builds its filesystem meanwhile
        Trace.mark("java CONFIG sent");
    }

    /** Host-side setup (pid 1 into its cgroups, its network), then sync 3 GO and sync 4 STARTED. */
    private void enterAndGo(Container spec) {
        long timeout = spec.startTimeout().toMillis();
        // Nothing the user asked for runs before GO.
        try {
            for (HostResource r : resources) {
                r.attach(pid);
            }
        } catch (RuntimeException e) {
            throw setupFailure(e);
        }
        Trace.mark("java attached");

        send(Protocol.go()); // sync 3
        Trace.mark("java GO sent");
        expect(timeout, Protocol.MSG_STARTED); // sync 4: the command runs, or ERROR(step, errno)
        Trace.mark("java STARTED received");
    }

    /**
     * A host-side setup failure, or what pid 1 reported when it failed its own setup first and
     * exited (which is why its pid could not join a cgroup): its ERROR then says what happened.
     */
    private RuntimeException setupFailure(RuntimeException e) {
        try {
            Protocol.Message m = init.receive(SETUP_ERROR_WAIT_MILLIS);
            if (m != null && m.type() == Protocol.MSG_ERROR) {
                ContainerException reported = setupError(m.int32(0), m.int32(1), m.text(2));
                reported.addSuppressed(e);
                return reported;
            }
        } catch (InitProcess.ProtocolTimeoutException | ContainerException ignored) {
            // pid 1 reported nothing: the host-side failure is the story
        }
        return e;
    }

    private void send(java.nio.ByteBuffer message) {
        if (!init.send(message)) {
            throw new ContainerException("mdocker-init of container " + shortId() + " exited during setup"
                    + monitorExitText());
        }
    }

    private Protocol.Message expect(long timeoutMillis, int type) {
        Protocol.Message m;
        try {
            m = init.receive(timeoutMillis);
        } catch (InitProcess.ProtocolTimeoutException e) {
            throw new ContainerException("container " + shortId() + " did not finish its setup within "
                    + timeoutMillis + " ms");
        }
        if (m == null) {
            throw new ContainerException("mdocker-init of container " + shortId() + " exited during setup"
                    + monitorExitText());
        }
        if (m.type() == Protocol.MSG_ERROR) {
            throw setupError(m.int32(0), m.int32(1), m.text(2));
        }
        if (m.type() != type) {
            throw new ContainerException("mdocker-init sent message " + m.type() + " where " + type + " was expected");
        }
        return m;
    }

    private String monitorExitText() {
        try {
            int status = init.monitorStatus().get(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            return " (" + describeStatus(status) + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (ExecutionException | TimeoutException e) {
            return "";
        }
    }

    private static String describeStatus(int status) {
        int sig = status & 0x7f;
        return sig == 0 ? "exit status " + ((status >> 8) & 0xff) : "killed by signal " + sig;
    }

    private static ContainerException setupError(int step, int errno, String object) {
        if (step == Protocol.STEP_EXEC) {
            if (errno == Linux.ENOENT()) {
                return new ExecFailedException(object.contains("/")
                        ? "executable file not found in rootfs: " + object
                        : "executable file not found in $PATH: " + object, 127);
            }
            if (errno == Linux.EACCES()) {
                return new ExecFailedException("permission denied executing " + object, 126);
            }
            return new ExecFailedException("cannot execute " + object + ": " + Errno.describe(errno), 126);
        }
        return new ContainerException(object + ": " + Errno.describe(errno));
    }

    private Map<String, String> environment(Container spec) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", Container.DEFAULT_PATH);
        env.put("HOSTNAME", hostname(spec));
        env.put("HOME", spec.uid() == 0 ? "/root" : "/");
        env.putAll(spec.env());
        return env;
    }

    private String hostname(Container spec) {
        return spec.hostname() != null ? spec.hostname() : shortId();
    }

    private static ContainerException wrap(String what, Throwable e) {
        if (e instanceof ContainerException ce) {
            return ce;
        }
        return new ContainerException(what + ": " + e.getMessage(), e);
    }

    /** The container's id: 64 hex digits. */
    public String id() {
        return id;
    }

    /** The first 12 hex digits of the id, as Docker shows it; also the default hostname. */
    public String shortId() {
        return id.substring(0, 12);
    }

    /** The host pid of the container's pid 1. */
    public int pid() {
        return pid;
    }

    /** The container's IPv4 address (bridge and veth networks); empty with none and host. */
    public Optional<String> ipAddress() {
        return Optional.ofNullable(network.ipAddress());
    }

    /** The published ports with the host ports actually bound (a 0 asked for is replaced by the free port found). */
    public List<PortMapping> ports() {
        return network.ports().stream().map(p -> new PortMapping(p.hostIp(), p.hostPort(), p.containerPort())).toList();
    }

    /** The host port that forwards to {@code containerPort}. */
    public int mappedPort(int containerPort) {
        for (PortProxy.Bound p : network.ports()) {
            if (p.containerPort() == containerPort) {
                return p.hostPort();
            }
        }
        throw new IllegalArgumentException("container port " + containerPort + " is not published: the published ports are "
                + ports());
    }

    /** The command as started. */
    public List<String> command() {
        return command;
    }

    /** The container's stdin when it is piped ({@link Stdio#pipe()}, the default for start). */
    public OutputStream stdin() {
        return stream(init.stdin(), "stdin");
    }

    /** The container's stdout when it is piped; read it, or the container blocks once the pipe is full. */
    public InputStream stdout() {
        return stream(init.stdout(), "stdout");
    }

    /** The container's stderr when it is piped. */
    public InputStream stderr() {
        return stream(init.stderr(), "stderr");
    }

    private static <T> T stream(T s, String name) {
        if (s == null) {
            throw new IllegalStateException("the container's " + name + " is not piped to Java");
        }
        return s;
    }

    /** Whether the container still runs. */
    public boolean isRunning() {
        return !done.isDone();
    }

    /** Waits for the container to exit and returns its exit code (128+n when signal n killed it). */
    public int waitFor() {
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while waiting for container " + shortId(), e);
        } catch (ExecutionException e) {
            throw new ContainerException("waiting for container " + shortId() + ": " + e.getCause(), e.getCause());
        }
        return exitCode();
    }

    /** Waits at most {@code timeout}; true when the container has exited. */
    public boolean waitFor(Duration timeout) {
        try {
            done.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while waiting for container " + shortId(), e);
        } catch (ExecutionException e) {
            throw new ContainerException("waiting for container " + shortId() + ": " + e.getCause(), e.getCause());
        }
    }

    /** The exit code of a container that has exited. */
    public synchronized int exitCode() {
        if (exitCode != null) {
            return exitCode;
        }
        if (!done.isDone()) {
            throw new IllegalStateException("container " + shortId() + " is still running");
        }
        int code = -1;
        // sync 5: the monitor has exited; everything it sent is buffered and ends with EOF.
        Protocol.Message m;
        while (!closed && (m = init.receive(0)) != null) {
            if (m.type() == Protocol.MSG_EXIT) {
                code = m.int32(0);
            }
        }
        if (code < 0) {
            int status = init.monitorStatus().join();
            int sig = status & 0x7f;
            code = sig == 0 ? (status >> 8) & 0xff : 128 + sig;
        }
        exitCode = code;
        return code;
    }

    /**
     * What the container's cgroup has counted: memory now and at its peak, CPU time, processes,
     * OOM kills. After {@link #close()} the cgroup is gone: the figures of the last call before
     * it (all -1 when there was none).
     */
    public ResourceStats stats() {
        ContainerCgroups cg = cgroups();
        if (cg == null) {
            return new ResourceStats(-1, -1, -1, -1, -1);
        }
        CgroupStats s;
        try {
            s = cg.stats();
        } catch (RuntimeException e) {
            throw wrap("reading the stats of container " + shortId(), e);
        }
        return new ResourceStats(s.memoryCurrent(), s.memoryPeak(), s.cpuUsageNanos(), s.pidsCurrent(), s.oomKills());
    }

    /**
     * Whether the container ended because it ran out of memory: the kernel's OOM killer killed a
     * process in its cgroup and it ended by SIGKILL (exit code 137). Throws while it still runs.
     */
    public boolean oomKilled() {
        if (exitCode() != 128 + Signal.KILL.number()) {
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

    /** The container's cgroup directories, one per hierarchy (for tests and diagnostics). */
    List<Path> cgroupDirs() {
        ContainerCgroups cg = cgroups();
        return cg == null ? List.of() : cg.dirs();
    }

    private ContainerCgroups cgroups() {
        for (HostResource r : resources) {
            if (r instanceof ContainerCgroups cg) {
                return cg;
            }
        }
        return null;
    }

    /** Sends {@code signal} to the container's pid 1 (with the init, it reaches the command). */
    public void kill(Signal signal) {
        if (done.isDone()) {
            return;
        }
        init.send(Protocol.signal(signal.number()));
    }

    /**
     * Sends SIGTERM, waits up to {@code grace} for the container to exit, then SIGKILL; returns
     * the exit code.
     */
    public int stop(Duration grace) {
        kill(Signal.TERM);
        if (!waitFor(grace)) {
            kill(Signal.KILL);
        }
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
                    waitFor(KILL_GRACE);
                    close(false);
                    MonitorPool.replenishNow(init.nsflags());
                });
                return true;
            }
        }
        try {
            if (!done.isDone()) {
                kill(Signal.KILL);
                if (!waitFor(KILL_GRACE)) {
                    init.killMonitor();
                }
                done.join();
            }
            if (pid > 0) {
                exitCode();
                oomKilled(); // reads the cgroup while it exists (only when the exit was a SIGKILL)
            }
            Trace.mark("java close: exit code read");
        } catch (RuntimeException e) {
            // keep cleaning up
        } finally {
            synchronized (this) {
                closed = true;
            }
            init.close();
            Trace.mark("java close: init closed");
            try {
                closeAll(resources);
                Trace.mark("java close: resources closed");
            } finally {
                try {
                    entry.close();
                    Trace.mark("java close: state+dirs removed");
                } finally {
                    LIVE.remove(this);
                }
            }
        }
        return false;
    }

    /** Closes resources in reverse order; the first failure is thrown after all were tried. */
    private static void closeAll(List<HostResource> resources) {
        Cleanup.inReverse(resources, r -> {
            r.close();
            Trace.mark("java close " + r.getClass().getSimpleName());
        });
    }

    @Override
    public String toString() {
        return "RunningContainer[" + shortId() + " " + String.join(" ", command) + "]";
    }
}
