package io.mdocker;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.BackgroundCleanup;
import io.mdocker.internal.Cleanup;
import io.mdocker.internal.HostResource;
import io.mdocker.internal.Trace;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.internal.cgroup.MonitorCgroups;
import io.mdocker.internal.cgroup.CgroupStats;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.fs.ContainerDirs;
import io.mdocker.internal.fs.ContainerFiles;
import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.MonitorPool;
import io.mdocker.internal.process.OutputLog;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.security.DevicesCgroupV1;
import io.mdocker.internal.security.SecurityPlan;
import io.mdocker.internal.state.ContainerRecord;
import io.mdocker.internal.state.ExecRecord;
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
 * <p>{@link #exec} and {@link #execStart} start more processes inside the running container
 * (Docker's {@code exec}); closing the container ends them and releases what they hold.
 *
 * <p>Thread-safe: any thread may wait, signal, exec or close; several execs may run at once.
 */
public final class RunningContainer implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Set<RunningContainer> LIVE = ConcurrentHashMap.newKeySet();
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);
    /** Bytes of recent output lines a started container's log keeps. */
    public static final int LOG_CAPACITY = 256 * 1024;
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
    private String name; // set once, before the handle is shared
    private final List<String> command;
    private final StateStore.Entry entry;
    private final List<HostResource> resources;
    /** The cgroup v2 directory that gets the device program, or null (privileged, or v1 devices). */
    private Path deviceCgroupV2;
    private List<ContainerCgroups.Mount> cgroupMounts = List.of();
    private final ContainerNetwork network;
    private final InitProcess init;
    private final long startNanos;
    private final ByteArrayOutputStream capturedOut;
    private final ByteArrayOutputStream capturedErr;
    private final OutputLog log;
    private boolean detached; // set once, before the handshake
    private TtySize tty; // the terminal's initial size, or null; set once, before the handshake
    private volatile int pid = -1;
    private volatile long exitNanos;
    private final java.util.concurrent.CompletableFuture<Void> done;
    /** What exec needs of this container (also in its state record, for other processes), pid 1 not yet known. */
    private ExecRecord execBasis;
    private List<Path> cgroupDirs = List.of(); // the container's own cgroups, for pause(); set once, before sharing
    /** The same with pid 1, once it exists. */
    private volatile ExecRecord execRecord;
    private final Set<ExecProcess> execs = ConcurrentHashMap.newKeySet();
    private Integer exitCode; // guarded by this
    private boolean closed; // guarded by this
    private Boolean oomKilled; // guarded by this

    private RunningContainer(String id, List<String> command, StateStore.Entry entry, List<HostResource> resources,
                             ContainerNetwork network, InitProcess init, long startNanos, ByteArrayOutputStream out,
                             ByteArrayOutputStream err, OutputLog log) {
        this.log = log;
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
        RunningContainer c = start(spec, command, true, false);
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
     * The start sequence (sync numbers as in mdocker-init's main.c): validate; take a monitor (mdocker-init),
     * whose pid 1 already exists in its new namespaces (sync 1 PID, read as it was spawned);
     * record state, create dirs, stage the spec's copies into the writable layer; sync 2 CONFIG,
     * with which pid 1 builds its filesystem while the JVM does the host-side setup (cgroups,
     * network); sync 3 GO; sync 4 STARTED or ERROR. Sync 5, EXIT, is read in {@link #exitCode()}.
     * A detached container's output goes to log files pid 1 opens, and after STARTED the handle
     * gives the container up ({@link #handOver}).
     */
    static RunningContainer start(Container spec, List<String> command, boolean forRun, boolean detached) {
        long t0 = System.nanoTime();
        Trace.mark("java start");
        if (detached && spec.tty().isPresent()) {
            throw new IllegalArgumentException("a detached container cannot have a tty (" + spec.tty().get()
                    + "): nothing would hold its terminal; drop tty() or run it attached");
        }
        spec.checkHost();
        ContainerRuntime.requireRoot();
        if (spec.name() != null) { // the usual conflict, before anything exists; recording the state claims it
            String holder = spec.runtime().store().nameHolder(spec.name());
            if (holder != null) {
                throw new ContainerException(StateStore.NameInUseException.message(spec.name(), holder));
            }
        }
        // capabilities, no_new_privs, seccomp, rlimits, groups: the command's and every exec's
        Protocol.ConfigWriter identity = new Protocol.ConfigWriter();
        SecurityPlan.writeIdentity(spec, identity);
        Trace.mark("java checkHost+root");
        // Checks the network plan against the host and binds published ports (an attached container's;
        // a detached one's monitor binds them, below): before anything exists.
        ContainerNetwork network = NetworkPlans.prepare(spec, detached);
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
        // With a tty, stdout and stderr are one stream: the terminal's, read as stdout.
        ByteArrayOutputStream err = forRun && spec.stderr().kind() == Stdio.Kind.PIPE && spec.tty().isEmpty()
                ? new ByteArrayOutputStream() : null;
        // A started (attached) container's piped output is drained into a bounded log (logs(),
        // followLogs()), and stdout()/stderr() read it from there.
        OutputLog log = !forRun && !detached
                && (spec.stdout().kind() == Stdio.Kind.PIPE || spec.stderr().kind() == Stdio.Kind.PIPE)
                ? new OutputLog(LOG_CAPACITY) : null;
        // Detached: the monitor replaces the three streams with /dev/null and the log files.
        InitProcess.StdioPlan stdio = detached
                ? new InitProcess.StdioPlan(Redirect.DISCARD, Redirect.DISCARD, null, Redirect.DISCARD, null)
                : new InitProcess.StdioPlan(stdinRedirect(spec.stdin(), forRun),
                        redirect(spec.stdout(), out), sink(spec.stdout(), out),
                        redirect(spec.stderr(), err), sink(spec.stderr(), err), log, spec.tty().isPresent());
        // The monitor comes first (usually ready-made, from the pool) so that the state record
        // names it in one write. It has made nothing yet, and exits by itself should this JVM die
        // before the record exists.
        InitProcess init;
        try {
            init = MonitorPool.take(stdio, namespaces(network));
        } catch (RuntimeException e) {
            network.close();
            throw wrap("starting mdocker-init", e);
        }
        // A detached container's published ports: bound by its monitor, which outlives this JVM.
        if (!network.monitorPorts().isEmpty()) {
            try {
                network.boundByMonitor(MonitorPorts.bind(init, network.monitorPorts(), spec.startTimeout().toMillis()));
            } catch (RuntimeException e) {
                discardMonitor(init, network);
                throw e instanceof IllegalArgumentException || e instanceof ContainerException ? e
                        : wrap("publishing the ports of a detached container", e);
            }
        }
        // What exec needs, recorded with the state so that other processes can exec in too.
        List<Path> execCgroups = new ArrayList<>(cgroups.dirs());
        if (!spec.privileged()) {
            DevicesCgroupV1.plannedPath(id).ifPresent(execCgroups::add);
        }
        ExecRecord execBasis = ExecRecord.basis(execCgroups, spec.uid(), spec.gid(), spec.workdir(),
                environment(spec, id.substring(0, 12)), identity.records());
        StateStore.Entry entry;
        try {
            Map<String, String> info = new LinkedHashMap<>();
            info.put("command", String.join(" ", command));
            info.put("rootfs", spec.layers().toString());
            info.put(ContainerRecord.NETWORK, network.mode());
            if (spec.name() != null) {
                info.put(ContainerRecord.NAME, spec.name());
            }
            info.putAll(cgroups.stateInfo());
            info.putAll(execBasis.stateInfo(spec.runtime().runRoot()));
            if (detached) {
                info.put("detached", "true");
            }
            if (!network.ports().isEmpty()) {
                info.put(ContainerRecord.PORTS, String.join(",", network.ports().stream()
                        .map(p -> new PortMapping(p.hostIp(), p.hostPort(), p.containerPort()).toString()).toList()));
            }
            Trace.mark("java monitor taken " + init.pid());
            entry = spec.runtime().store().create(id, info, init.pid());
            Trace.mark("java state+dirs");
        } catch (StateStore.NameInUseException e) { // claimed by another process since the check above
            discardMonitor(init, network);
            throw new ContainerException(e.getMessage(), e);
        } catch (RuntimeException e) {
            discardMonitor(init, network);
            throw wrap("recording container " + id.substring(0, 12), e);
        }
        RunningContainer c = new RunningContainer(id, command, entry, resources, network, init, t0, out, err, log);
        c.execBasis = execBasis;
        c.cgroupDirs = cgroups.dirs();
        c.detached = detached;
        c.name = spec.name();
        c.tty = spec.tty().orElse(null);
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
            c.cgroupMounts = new ArrayList<>(cgroups.containerMounts());
            if (!spec.privileged()) { // the v1 devices cgroup made below, when this host has one
                DevicesCgroupV1.containerMount().ifPresent(c.cgroupMounts::add);
            }
            // Before CONFIG: pid 1 mounts the overlay as soon as it has it, and the upper dir must
            // not change under a mounted overlay.
            c.stageCopies(spec);
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
            if (detached) { // out of this process's cgroup: its service's end must not end the container
                resources.add(MonitorCgroups.forDetached(CgroupLayout.host(), CgroupFs.REAL, init.pid(), cgroups.dirs()));
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

    /** Before the state record exists: the monitor (which has made nothing) and the network plan go. */
    private static void discardMonitor(InitProcess init, ContainerNetwork network) {
        MonitorPool.replenish(init.nsflags());
        init.killMonitor();
        init.monitorStatus().join();
        init.close();
        network.close();
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

    static Redirect stdinRedirect(Stdio s, boolean forRun) {
        return switch (s.kind()) {
            case PIPE -> forRun ? Redirect.DISCARD : Redirect.PIPE;
            case INHERIT -> Redirect.INHERIT;
            case DISCARD, SINK -> Redirect.DISCARD;
        };
    }

    static Redirect redirect(Stdio s, ByteArrayOutputStream capture) {
        return switch (s.kind()) {
            case PIPE -> capture != null ? Redirect.CAPTURE : Redirect.PIPE;
            case INHERIT -> Redirect.INHERIT;
            case DISCARD -> Redirect.DISCARD;
            case SINK -> Redirect.CAPTURE;
        };
    }

    static OutputStream sink(Stdio s, ByteArrayOutputStream capture) {
        return s.kind() == Stdio.Kind.SINK ? s.sink() : capture;
    }

    /**
     * Copies the spec's files into the writable layer, before pid 1 mounts the overlay; parent
     * directories the copy makes take the mode the image gives them.
     */
    private void stageCopies(Container spec) {
        if (spec.copies().isEmpty()) {
            return;
        }
        try (ContainerFiles upper = ContainerFiles.open(entry.dirs().upper(), shortId(), path -> imageDirectory(spec, path))) {
            for (FileCopy copy : spec.copies()) {
                upper.copyIn(copy.source(), copy.target());
            }
        }
    }

    /** The directory {@code path} in the topmost image layer that has it; a symbolic link there is refused. */
    private static Optional<ContainerFiles.FileMeta> imageDirectory(Container spec, String path) {
        for (Path layer : spec.layers()) {
            Path p = layer.resolve(path.substring(1));
            try {
                ContainerFiles.FileMeta meta = ContainerFiles.FileMeta.of(p, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                if (meta.isSymbolicLink()) {
                    throw new IllegalArgumentException("cannot copy below " + path + ": it is a symbolic link in the image; "
                            + "copy to the path it points to");
                }
                return meta.isDirectory() ? Optional.of(meta) : Optional.empty();
            } catch (java.nio.file.NoSuchFileException e) {
                // not in this layer
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Optional.empty();
    }

    /**
     * Copies the host file, directory tree or symbolic link {@code source} to {@code target} in
     * the running container (the path the copy gets; missing parents are made, an existing file
     * replaced, a directory merged into). The target is resolved inside the container's root
     * ({@code openat2(RESOLVE_IN_ROOT)}): no link in the container leads the copy out to the host.
     * Mode bits are kept. A missing source or a bad target is a one-line
     * {@link IllegalArgumentException}.
     */
    public void copyIn(Path source, String target) {
        try (ContainerFiles files = rootFiles()) {
            files.copyIn(source.toAbsolutePath(), target);
        }
    }

    /**
     * Copies {@code source} in the running container (a file or a directory tree) to the host
     * path {@code target}, keeping mode bits; resolved inside the container's root as
     * {@link #copyIn} is. Links inside a copied tree are copied as links.
     */
    public void copyOut(String source, Path target) {
        try (ContainerFiles files = rootFiles()) {
            files.copyOut(source, target);
        }
    }

    private ContainerFiles rootFiles() {
        if (!isRunning()) {
            throw new IllegalStateException("container " + shortId() + " is not running: copy files before it starts "
                    + "(Container.Builder.copyIn) or while it runs");
        }
        return ContainerFiles.open(Path.of("/proc", Integer.toString(pid), "root"), shortId(), path -> Optional.empty());
    }

    /** sync 2: CONFIG, which pid 1 (cloned with the monitor, sync 1) starts to build its filesystem with. */
    private void sendConfig(Container spec) {
        ContainerDirs dirs = entry.dirs();
        Protocol.ConfigWriter config = new Protocol.ConfigWriter();
        for (String arg : command) {
            config.string(Protocol.T_ARG, arg);
        }
        for (Map.Entry<String, String> e : execBasis.env().entrySet()) {
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
        if (!network.monitorPorts().isEmpty()) { // where the monitor's published ports lead
            config.bytes(Protocol.T_FORWARD, network.addressBytes());
        }
        if (tty != null) {
            config.tty(tty.rows(), tty.columns());
        }
        if (detached) {
            config.string(Protocol.T_DETACH, entry.exitFile().toString())
                    .string(Protocol.T_STDOUT, entry.stdoutLog().toString())
                    .string(Protocol.T_STDERR, entry.stderrLog().toString());
        }
        config.records(execBasis.identity()); // capabilities, no_new_privs, seccomp, rlimits, groups
        SecurityPlan.writeMounts(spec, config); // masked and read-only paths, tmpfs
        SecurityPlan.writeCgroupMounts(spec, cgroupMounts, config); // mounted in the cgroup namespace
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
        execRecord = execBasis.withPid1(pid);
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

    static ContainerException setupError(int step, int errno, String object) {
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

    private static Map<String, String> environment(Container spec, String shortId) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", Container.DEFAULT_PATH);
        env.put("HOSTNAME", spec.hostname() != null ? spec.hostname() : shortId);
        env.put("HOME", defaultHome(spec.uid()));
        env.putAll(spec.env());
        return env;
    }

    /** HOME where the environment does not set it (Docker's, without a passwd lookup). */
    static String defaultHome(int uid) {
        return uid == 0 ? "/root" : "/";
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

    /** The container's name, when it was given one ({@link Container.Builder#name}). */
    public java.util.Optional<String> name() {
        return java.util.Optional.ofNullable(name);
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

    /**
     * The host address at which the container's published ports are reached, as Testcontainers'
     * {@code getHost()}: the address the first published port is bound to, or {@code 127.0.0.1}
     * where it is bound to every address (or nothing is published). Use it with
     * {@link #mappedPort(int)}.
     */
    public String host() {
        return PortMapping.host(ports());
    }

    /**
     * Waits until {@code strategy} finds the container ready: a log line, a listening port, an
     * HTTP answer, a command's success (see {@link Wait}). Throws {@link WaitTimeoutException}
     * naming what was awaited, with the container's last output, when its timeout passes or the
     * container exits first.
     *
     * @return this container, ready
     */
    public RunningContainer await(WaitStrategy strategy) {
        java.util.Objects.requireNonNull(strategy, "strategy").waitUntilReady(this);
        return this;
    }

    /** The host port that forwards to {@code containerPort} (as Testcontainers' {@code getMappedPort}). */
    public int mappedPort(int containerPort) {
        return PortMapping.mappedPort(ports(), containerPort);
    }

    /** The command as started. */
    public List<String> command() {
        return command;
    }

    /**
     * The container's stdin when it is piped ({@link Stdio#pipe()}, the default for start). With a
     * tty ({@link Container.Builder#tty}): the terminal's input, as typed (0x03 is ^C, which
     * interrupts the foreground process group); closing it does not end the input.
     */
    public OutputStream stdin() {
        return stream(init.stdin(), "container's stdin");
    }

    /**
     * The container's stdout when it is piped; read it, or the container blocks once the pipe is
     * full. With a tty: what the terminal shows (stdout and stderr, lines ending "\r\n"), to its
     * end once every process holding the terminal has ended.
     */
    public InputStream stdout() {
        return stream(init.stdout(), "container's stdout");
    }

    /** The container's stderr when it is piped; with a tty there is none (it is part of {@link #stdout()}). */
    public InputStream stderr() {
        if (tty != null) {
            throw new IllegalStateException("container " + shortId() + " has a tty: its stderr is part of stdout()");
        }
        return stream(init.stderr(), "container's stderr");
    }

    /**
     * Sets the window size of the container's tty: its foreground process group gets SIGWINCH and
     * {@code stty size} shows the new size. A size out of 1..65535 is an {@link IllegalArgumentException};
     * a container without a tty, or closed, an {@link IllegalStateException}.
     */
    public void resizeTty(int rows, int columns) {
        TtySize size = new TtySize(rows, columns);
        if (tty == null) {
            throw new IllegalStateException("container " + shortId() + " has no tty to resize (Container.Builder.tty)");
        }
        init.resizeTty(size.rows(), size.columns());
    }

    /**
     * The container's recent output: the last lines of stdout and stderr (at most
     * {@link #LOG_CAPACITY} bytes, oldest dropped first) in the order they arrived, each ending
     * with a newline but a last unfinished one. Readable while it runs and after it exited or was
     * closed. Needs piped stdout or stderr ({@link Stdio#pipe()}, the default).
     */
    public String logs() {
        StringBuilder b = new StringBuilder();
        for (OutputLog.Line line : requireLog().lines()) {
            b.append(new String(line.bytes(), java.nio.charset.StandardCharsets.UTF_8));
            if (line.newline()) {
                b.append('\n');
            }
        }
        return b.toString();
    }

    /** The container's recent output as lines, oldest first (see {@link #logs()}). */
    public List<LogLine> logLines() {
        return requireLog().lines().stream().map(RunningContainer::logLine).toList();
    }

    /**
     * Calls {@code follower} with each retained line, then with every new line as the container
     * writes it, until the returned subscription is closed. The follower runs on mdocker's reaper
     * thread: it must return quickly and never block (hand lines to a queue for slow work).
     */
    public LogSubscription followLogs(java.util.function.Consumer<LogLine> follower) {
        java.util.Objects.requireNonNull(follower, "follower");
        Runnable stop = requireLog().follow(line -> follower.accept(logLine(line)));
        return stop::run;
    }

    private static LogLine logLine(OutputLog.Line line) {
        return new LogLine(line.stream() == OutputLog.STDERR ? LogLine.Source.STDERR : LogLine.Source.STDOUT,
                new String(line.bytes(), java.nio.charset.StandardCharsets.UTF_8));
    }

    private OutputLog requireLog() {
        if (log == null) {
            throw new IllegalStateException("container " + shortId() + " keeps no log: its stdout and stderr are not "
                    + "piped (Stdio.pipe(), the default for start())");
        }
        return log;
    }

    static <T> T stream(T s, String name) {
        if (s == null) {
            throw new IllegalStateException("the " + name + " is not piped to Java");
        }
        return s;
    }

    /** Whether the container still runs. */
    public boolean isRunning() {
        return !done.isDone();
    }

    /** Waits for the container to exit and returns its exit code (128+n when signal n killed it). */
    public int waitFor() {
        Waiting.await(done, "container " + shortId());
        return exitCode();
    }

    /** Waits at most {@code timeout}; true when the container has exited. */
    public boolean waitFor(Duration timeout) {
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
        return ResourceStats.of(s);
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

    /**
     * Runs {@code command} inside the running container to its end and returns its exit code and
     * output, as {@code docker exec}: in all of the container's namespaces and cgroups, with its
     * command's user, capabilities, seccomp filter, no_new_privs, rlimits, environment and
     * working directory. A command that cannot be executed throws {@link ExecFailedException}
     * (127 not found, 126 not executable); a container that has exited, {@link ContainerException}.
     */
    public ExecResult exec(String... command) {
        return exec(Exec.builder(command).build());
    }

    /** {@link #exec(String...)} with the options of {@code exec}: environment, working directory, user, input, timeout. */
    public ExecResult exec(Exec exec) {
        return ExecProcess.run(startExec(exec, true), exec);
    }

    /** Starts {@code command} inside the running container and returns its handle (streams, waitFor, kill). */
    public ExecProcess execStart(String... command) {
        return execStart(Exec.builder(command).build());
    }

    /** Starts {@code exec} inside the running container and returns its handle; close it when done. */
    public ExecProcess execStart(Exec exec) {
        return startExec(exec, false);
    }

    private ExecProcess startExec(Exec exec, boolean forResult) {
        java.util.Objects.requireNonNull(exec, "exec");
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("container " + shortId() + " is closed: cannot exec into it");
            }
        }
        if (!isRunning()) {
            throw new ContainerException("container " + shortId() + " has exited (exit code " + exitCode()
                    + "): cannot exec into it");
        }
        Pausing.refuseExecIfPaused(shortId(), cgroupDirs);
        ExecProcess p = ExecProcess.start(shortId(), execRecord, exec, forResult, execs::remove);
        execs.add(p);
        synchronized (this) {
            if (!closed) {
                return p;
            }
        }
        p.close(); // the container was closed meanwhile
        throw new IllegalStateException("container " + shortId() + " is closed: cannot exec into it");
    }

    /** Sends {@code signal} to the container's pid 1 (with the init, it reaches the command). */
    public void kill(Signal signal) {
        if (done.isDone()) {
            return;
        }
        init.send(Protocol.signal(signal.number()));
        Pausing.thaw(cgroupDirs); // a frozen process acts on no signal until thawed
    }

    /**
     * Pauses the container (Docker's {@code pause}): every process in its cgroups is frozen where it
     * is (cgroup v2 {@code cgroup.freeze}, or the v1 freezer) until {@link #unpause()}. A paused
     * container refuses exec; a signal ({@link #kill}, {@link #stop}, {@link #close}) unpauses it so
     * that the signal takes effect.
     *
     * @throws ContainerException when it is not running, or its cgroups have no freezer
     */
    public void pause() {
        setPaused(true);
    }

    /** Thaws a paused container ({@link #pause()}). */
    public void unpause() {
        setPaused(false);
    }

    /** Whether the container is paused. */
    public boolean isPaused() {
        return !done.isDone() && Pausing.isPaused(cgroupDirs);
    }

    private void setPaused(boolean paused) {
        Pausing.set(shortId(), isRunning(), cgroupDirs, paused);
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
            Trace.mark("java close: exit code read");
        } catch (RuntimeException e) {
            // keep cleaning up
        } finally {
            synchronized (this) {
                closed = true;
            }
            for (ExecProcess p : execs) { // ended with the container's PID namespace
                p.close();
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

    /**
     * Detached, once the command runs: gives the container up. The record says it started and is
     * handed over; closing the sync socket tells the monitor to keep the container (and to record
     * its exit); the host resources stay with the container. When the monitor exits while this
     * JVM lives (it is this JVM's child, reaped by the event loop), the cgroups and network are
     * released at once; otherwise by the next runtime, list, rm or gc that finds it exited.
     */
    void handOver(ContainerRuntime runtime) {
        try {
            entry.markStarted(pid);
        } catch (RuntimeException e) { // still ours: ends like any failed start
            close();
            throw wrap("recording that detached container " + shortId() + " runs", e);
        }
        LIVE.remove(this);
        synchronized (this) {
            closed = true;
        }
        init.close();
        entry.handOver();
        init.monitorStatus().whenComplete((status, e) -> Thread.ofVirtual().name("mdocker-release-" + shortId()).start(() -> {
            try {
                runtime.releaseIfExited(id);
            } catch (RuntimeException failure) {
                System.getLogger(RunningContainer.class.getName()).log(System.Logger.Level.WARNING,
                        "releasing the resources of detached container " + shortId() + ": " + failure.getMessage());
            }
        }));
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
