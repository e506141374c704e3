package io.mdocker;

import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.run.ContainerStart;
import io.mdocker.internal.run.Copying;
import io.mdocker.internal.run.Execs;
import io.mdocker.internal.run.Pausing;
import io.mdocker.internal.run.RecordTarget;
import io.mdocker.internal.security.DevicesCgroupV1;
import io.mdocker.internal.state.ContainerRecord;
import io.mdocker.internal.state.HealthLog;
import io.mdocker.internal.state.HealthRecord;
import io.mdocker.internal.state.StateRoots;
import io.mdocker.internal.state.StateStore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Where containers keep their state: the lib root holds their writable layers
 * ({@code /var/lib/mdocker} by default), the run root their records and locks
 * ({@code /run/mdocker}); rootless (a JVM whose effective uid is not 0) the user's own,
 * {@code $XDG_DATA_HOME/mdocker} (else {@code ~/.local/share/mdocker}) and
 * {@code $XDG_RUNTIME_DIR/mdocker} (else {@code /tmp/mdocker-<uid>}). Before its first container a runtime removes what containers of dead
 * JVMs left on the same roots; {@link #gc()} does so on demand. Thread-safe.
 */
public final class ContainerRuntime {
    /** The default runtime, made on first use (its roots depend on this process's uid, read from /proc). */
    private static final class Defaults {
        static final ContainerRuntime RUNTIME = io.mdocker.internal.sys.Namespaces.rootless()
                ? new ContainerRuntime(userLibRoot(), userRunRoot())
                : new ContainerRuntime(Path.of("/var/lib/mdocker"), Path.of("/run/mdocker"));
    }

    private final Path libRoot;
    private final Path runRoot;
    private final StateStore store;
    private final AtomicBoolean recovered = new AtomicBoolean();
    private volatile boolean secured;
    private final java.util.concurrent.CopyOnWriteArrayList<ContainerPool> pools = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ContainerRuntime(Path libRoot, Path runRoot) {
        this.libRoot = libRoot.toAbsolutePath().normalize();
        this.runRoot = runRoot.toAbsolutePath().normalize();
        this.store = new StateStore(this.libRoot, this.runRoot);
    }

    /**
     * Throws unless this process runs as root, which creating namespaces, mounts and cgroups
     * needs.
     */
    public static void requireRoot() {
        ContainerStart.requireRoot();
    }

    /**
     * Whether this JVM runs containers rootless: its effective uid is not 0, so every container
     * gets a user namespace where root is this user (see docs/rootless.md).
     */
    public static boolean rootless() {
        return io.mdocker.internal.sys.Namespaces.rootless();
    }

    /**
     * Sets the iptables binary that bridge and veth networks install their NAT and forwarding
     * rules with, for every runtime of this JVM; null looks in the usual places again
     * ({@code /usr/sbin}, {@code /sbin}, {@code /usr/bin}, {@code /bin}, {@code /usr/local/sbin}).
     *
     * @throws IllegalArgumentException when {@code binary} is not an executable file
     */
    public static void setIptables(Path binary) {
        if (binary != null && !(java.nio.file.Files.isRegularFile(binary) && java.nio.file.Files.isExecutable(binary))) {
            throw new IllegalArgumentException("iptables " + binary + " is not an executable file: expected the path of "
                    + "the iptables binary");
        }
        io.mdocker.internal.net.Nat.use(binary == null ? null : binary.toAbsolutePath());
    }

    /** The iptables binary set with {@link #setIptables}; empty when the usual places are searched. */
    public static Optional<Path> iptables() {
        return io.mdocker.internal.net.Nat.configured();
    }

    /**
     * Sets how many ready mdocker-init monitors this JVM keeps, each with its pid 1 already
     * cloned, so that a start finds one instead of spawning it (default 2, so that back-to-back
     * runs find one while the previous one's replacement is made; 0 turns the pool off, as a
     * one-shot program such as a CLI wants). Idle monitors cost about 350 KiB each.
     *
     * @throws IllegalArgumentException when {@code size} is not 0 to 16
     */
    public static void setMonitorPoolSize(int size) {
        if (size < 0 || size > io.mdocker.internal.process.MonitorPool.MAX_SIZE) {
            throw new IllegalArgumentException("invalid monitor pool size " + size + ": expected 0 to "
                    + io.mdocker.internal.process.MonitorPool.MAX_SIZE);
        }
        io.mdocker.internal.process.MonitorPool.setSize(size);
    }

    /** The number of ready monitors this JVM keeps ({@link #setMonitorPoolSize}). */
    public static int monitorPoolSize() {
        return io.mdocker.internal.process.MonitorPool.size();
    }

    /** Rootless: $XDG_DATA_HOME/mdocker, else ~/.local/share/mdocker (verified on first use as any root). */
    private static Path userLibRoot() {
        String data = System.getenv("XDG_DATA_HOME");
        return data != null && data.startsWith("/") ? Path.of(data, "mdocker")
                : Path.of(System.getProperty("user.home"), ".local", "share", "mdocker");
    }

    /** Rootless: $XDG_RUNTIME_DIR/mdocker, else /tmp/mdocker-UID (refused when another user made it first). */
    private static Path userRunRoot() {
        String run = System.getenv("XDG_RUNTIME_DIR");
        return run != null && run.startsWith("/") ? Path.of(run, "mdocker")
                : Path.of("/tmp", "mdocker-" + io.mdocker.internal.sys.SelfIds.euid());
    }

    /**
     * The runtime on /var/lib/mdocker and /run/mdocker; rootless, on the user's own roots (see the
     * class comment).
     */
    public static ContainerRuntime defaults() {
        return Defaults.RUNTIME;
    }

    /**
     * A runtime on other roots (both are created when needed, 0711, their directories 0700). On
     * first use each root and every parent is checked: one another user owns or may write (a
     * sticky parent such as /tmp excepted), or a symbolic link on the way another user owns, is
     * refused with a one-line {@link ContainerException} before anything is created or read there.
     */
    public static ContainerRuntime at(Path libRoot, Path runRoot) {
        return new ContainerRuntime(libRoot, runRoot);
    }

    public Path libRoot() {
        return libRoot;
    }

    public Path runRoot() {
        return runRoot;
    }

    /**
     * Removes what containers of dead JVMs left on these roots: kills their mdocker-init if it
     * still runs, removes their veth pairs, address leases, directories and records. Containers
     * of live JVMs, this one included, are not touched, nor are detached containers: running ones
     * not at all, exited ones only lose their cgroups and network (they stay listed, with their
     * logs and writable layer, until removed). Then removes the exec identity files that no
     * record names and nobody used for 10 minutes. Returns the ids of the containers removed.
     */
    public List<String> gc() {
        secureRoots();
        recovered.set(true);
        return recover();
    }

    /** Removes what dead JVMs' containers left (their devices cgroups too); returns their ids. */
    private List<String> recover() {
        List<String> removed = store.recover().entries();
        removed.forEach(DevicesCgroupV1::removeLeftover);
        return removed;
    }

    /**
     * Runs {@code exec} to its end inside the running container whose id is {@code idOrPrefix}
     * (or starts with it, or whose name it is), which may belong to another process (a CLI, another JVM): what
     * {@link RunningContainer#exec(Exec)} does, from the container's record under the run root.
     */
    public ExecResult exec(String idOrPrefix, Exec exec) {
        return ExecProcess.run(running(idOrPrefix), exec);
    }

    /** Starts {@code exec} inside the running container {@code idOrPrefix}, as {@link RunningContainer#execStart(Exec)}. */
    public ExecProcess execStart(String idOrPrefix, Exec exec) {
        return ExecProcess.start(running(idOrPrefix), exec);
    }

    /**
     * Starts {@code exec} inside the running container {@code idOrPrefix} (of any process) and
     * leaves its process there, as {@link ContainerHandle#execDetached(Exec)}; its host pid.
     */
    public int execDetached(String idOrPrefix, Exec exec) {
        return Execs.startDetached(running(idOrPrefix), java.util.Objects.requireNonNull(exec, "exec").spec());
    }

    /**
     * The processes running now in the container {@code idOrPrefix} (or whose name it is), of any
     * process on these roots, as {@link ContainerHandle#processes()} lists them: its pid 1 first;
     * empty when it has exited.
     *
     * @throws IllegalArgumentException as {@link #inspect}
     * @throws ContainerException       as {@link #inspect}
     */
    public List<ProcessHandle> processes(String idOrPrefix) {
        ContainerInfo c = inspect(idOrPrefix);
        return c.running() && c.pid() > 0 ? io.mdocker.internal.run.ContainerProcesses.of(c.pid()) : List.of();
    }

    /**
     * The containers on these roots, of every JVM: running ones, and detached ones that exited and
     * were not removed yet. Oldest first.
     */
    public List<ContainerInfo> list() {
        List<ContainerInfo> out = new ArrayList<>();
        for (ContainerRecord r : store().records()) {
            out.add(info(r));
        }
        out.sort(Comparator.comparing(ContainerInfo::created));
        return out;
    }

    /**
     * The containers of {@link #list()} that pass {@code filters} together (Docker's
     * {@code ps --filter}, repeated: every label filter, and one at least of each other kind given;
     * {@link ContainerFilter#matchesAll}): {@code list(ContainerFilter.label("app", "web"))}.
     * Oldest first; all of them when no filter is given.
     */
    public List<ContainerInfo> list(ContainerFilter... filters) {
        List<ContainerFilter> all = List.of(filters); // null-hostile: a null filter is an error
        return list().stream().filter(c -> ContainerFilter.matchesAll(all, c)).toList();
    }

    /**
     * Copies the host file, directory tree or link {@code source} to {@code target} in the running
     * container {@code idOrName} of any process on these roots, as {@link RunningContainer#copyIn}
     * does (resolved inside the container's root; mode bits kept).
     *
     * @throws ContainerException when no such container runs
     */
    public void copyIn(String idOrName, Path source, String target) {
        Copying.copyIn(running(idOrName), source, target);
    }

    /**
     * Copies {@code source} (a host path, or one file's content with its mode) to {@code target}
     * in the running container {@code idOrName} of any process on these roots, as
     * {@link ContainerHandle#copyIn(CopySource, String)} does.
     *
     * @throws ContainerException when no such container runs
     */
    public void copyIn(String idOrName, CopySource source, String target) {
        Copying.copyIn(running(idOrName), java.util.Objects.requireNonNull(source, "source").toFileSource(), target);
    }

    /**
     * Copies {@code source} (a file or directory tree) in the running container {@code idOrName}
     * to the host path {@code target}, as {@link RunningContainer#copyOut} does.
     *
     * @throws ContainerException when no such container runs
     */
    public void copyOut(String idOrName, String source, Path target) {
        Copying.copyOut(running(idOrName), source, target);
    }

    /** Whether {@code path} is a directory in the running container {@code idOrName}. */
    public boolean isDirectory(String idOrName, String path) {
        return Copying.isDirectory(running(idOrName), path);
    }

    private RecordTarget running(String idOrName) {
        requireRoot();
        return new RecordTarget(find(idOrName));
    }

    /**
     * The container whose id is {@code id}, whose name it is, or whose id starts with it (in that
     * order, as Docker's), detached or not, started by any JVM on these roots, as Docker's
     * {@code inspect} shows it.
     *
     * @throws IllegalArgumentException when {@code id} is neither hex digits nor a container name
     * @throws ContainerException when no container or more than one matches
     */
    public ContainerInfo inspect(String id) {
        return info(find(id));
    }

    /** What the record says, with the monitor's liveness read once (list() does this for every container). */
    private static ContainerInfo info(ContainerRecord r) {
        boolean running = r.running();
        Optional<String> address = running
                ? Optional.ofNullable(ContainerNetwork.recorded(r.dir()).get("address")) : Optional.empty();
        ContainerInfo.State state = !running ? ContainerInfo.State.EXITED
                : Pausing.isPaused(new RecordTarget(r).cgroupDirs()) ? ContainerInfo.State.PAUSED
                : ContainerInfo.State.RUNNING;
        int pid = running ? r.containerPidOfRunning() : -1;
        return new ContainerInfo(r.id(), r.detached(), state,
                running ? OptionalInt.empty() : r.exitCode(), pid, r.created(), r.command(),
                r.ports().stream().map(PortMapping::ofBound).toList(), r.networkMode(), address, r.name(), r.labels(),
                health(r), r.image());
    }

    /** The recorded health of a container whose record keeps a check (not NONE); starting before any run. */
    private static Optional<HealthStatus> health(ContainerRecord r) {
        Optional<HealthRecord> check = HealthRecord.of(r.state());
        if (check.isEmpty() || check.get().test().isEmpty() || check.get().test().get(0).equals("NONE")) {
            return Optional.empty();
        }
        return Optional.of(HealthLog.readFrom(r.dir()).map(HealthMonitor::statusOf)
                .orElse(new HealthStatus(HealthStatus.Status.STARTING, 0, List.of())));
    }

    /**
     * A handle on the detached container whose id is {@code id}, whose name it is, or whose id
     * starts with it (as {@link #inspect}), started by any JVM on these roots.
     *
     * @throws IllegalArgumentException when {@code id} is neither hex digits nor a container name
     * @throws ContainerException when no container or more than one matches, or the one that
     *                            matches is not detached (its JVM owns it)
     */
    public DetachedContainer attach(String id) {
        ContainerRecord r = find(id);
        if (!r.detached()) {
            throw new ContainerException("container " + id + " is not detached: the JVM with pid " + r.ownerPid()
                    + " that started it stops and removes it");
        }
        return new DetachedContainer(this, r);
    }

    /**
     * The record that {@code id} names, as Docker resolves it: a full id, else a container name,
     * else a unique prefix of an id.
     */
    /** The record of {@code nameOrId}, as {@link #inspect} finds it (for the engine's snapshot of a definition). */
    ContainerRecord record(String nameOrId) {
        return find(nameOrId);
    }

    private ContainerRecord find(String id) {
        boolean hex = id != null && id.matches("[0-9a-f]{1,64}");
        if (!hex && !StateStore.validName(id)) {
            throw new IllegalArgumentException("container '" + id + "': expected an id, a unique prefix of one "
                    + "(lowercase hex digits), or a container name");
        }
        if (hex && id.length() == 64) { // a full id: its record, without reading every other one
            ContainerRecord r = store().record(id);
            if (r == null) {
                throw new ContainerException("no such container: " + id);
            }
            return r;
        }
        String named = store().nameHolder(id);
        ContainerRecord byName = named == null ? null : store().record(named);
        if (byName != null) {
            return byName;
        }
        List<ContainerRecord> matches = hex ? store().recordsStartingWith(id) : List.of();
        if (matches.isEmpty()) {
            throw new ContainerException("no such container: " + id);
        }
        if (matches.size() > 1) {
            throw new ContainerException("container id prefix " + id + " is ambiguous: it matches " + matches.size()
                    + " containers (" + String.join(", ", matches.stream().map(r -> r.id().substring(0, 12)).toList())
                    + "): give more digits");
        }
        return matches.get(0);
    }

    /** Releases the cgroups and network of detached container {@code id} if it has exited. */
    void releaseIfExited(String id) {
        ContainerRecord r = store.record(id);
        if (r != null && r.detached() && !r.running()) {
            store.releaseIfExited(r);
        }
    }

    /**
     * A warm pool of {@code size} sandboxes of {@code definition} (a definition of this runtime),
     * which starts filling in the background at once; while it is open, {@link ContainerPool#run},
     * {@link ContainerPool#start} and the {@code run()}/{@code start()} of every definition that
     * matches it (see {@link ContainerPool}) claim its sandboxes. Close it to remove them.
     *
     * @throws IllegalArgumentException when {@code size} is not 1 to {@link ContainerPool#MAX_SIZE},
     *                                  {@code definition} belongs to another runtime, or a sandbox
     *                                  cannot serve it (a name, a tty, published ports, inherited streams)
     */
    public ContainerPool pool(Container definition, int size) {
        java.util.Objects.requireNonNull(definition, "definition");
        if (definition.runtime() != this && !(definition.runtime().libRoot.equals(libRoot)
                && definition.runtime().runRoot.equals(runRoot))) {
            throw new IllegalArgumentException("the definition's runtime " + definition.runtime() + " is not " + this
                    + ": expected a definition built with runtime(this runtime)");
        }
        ContainerPool[] made = new ContainerPool[1];
        made[0] = new ContainerPool(definition, size, () -> pools.remove(made[0]));
        pools.add(made[0]);
        return made[0];
    }

    /** The warm pools of this runtime that are open now ({@link #pool}), oldest first. */
    public List<ContainerPool> pools() {
        return List.copyOf(pools);
    }

    /**
     * Waits until the containers whose {@link Container#run run()} has returned are completely
     * gone: run() returns once the command has ended and its output is complete, and leaves the
     * rest of the teardown (pid 1's and the monitor's exit, the cgroups, the writable layer, the
     * state record) to a background thread; the JVM's exit waits for it too.
     * {@link RunningContainer#close()} does all of it before it returns. Also waits for the spare
     * monitors being spawned to replace the ones containers took, so that what this JVM holds is
     * settled when it returns.
     */
    public static void awaitCleanup() {
        io.mdocker.internal.BackgroundCleanup.awaitIdle();
        io.mdocker.internal.process.MonitorPool.awaitSpawns();
    }

    /**
     * Verifies the roots and their parents (and makes what is missing) before anything is read,
     * removed or written below them: refused in one line when another user could change them.
     */
    private void secureRoots() {
        if (!secured) {
            synchronized (this) {
                if (!secured) {
                    StateRoots.secure(libRoot, StateRoots.LIB_DIRS);
                    StateRoots.secure(runRoot, StateRoots.RUN_DIRS);
                    secured = true;
                }
            }
        }
    }

    StateStore store() {
        secureRoots();
        if (!recovered.get() && recovered.compareAndSet(false, true)) {
            recover();
        }
        return store;
    }

    @Override
    public String toString() {
        return "ContainerRuntime[lib=" + libRoot + ", run=" + runRoot + "]";
    }
}
