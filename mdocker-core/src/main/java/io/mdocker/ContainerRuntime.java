package io.mdocker;

import io.mdocker.internal.security.DevicesCgroupV1;
import io.mdocker.internal.state.ExecRecord;
import io.mdocker.internal.state.StateStore;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Where containers keep their state: the lib root holds their writable layers
 * ({@code /var/lib/mdocker} by default), the run root their records and locks
 * ({@code /run/mdocker}). Before its first container a runtime removes what containers of dead
 * JVMs left on the same roots; {@link #gc()} does so on demand. Thread-safe.
 */
public final class ContainerRuntime {
    private static final ContainerRuntime DEFAULTS =
            new ContainerRuntime(Path.of("/var/lib/mdocker"), Path.of("/run/mdocker"));

    private final Path libRoot;
    private final Path runRoot;
    private final StateStore store;
    private final AtomicBoolean recovered = new AtomicBoolean();

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
        int euid = io.mdocker.internal.sys.Posix.geteuid();
        if (euid != 0) {
            throw new ContainerException("mdocker needs root to create namespaces and mounts, but runs as uid "
                    + euid + ": run it with sudo or as root");
        }
    }

    /** The runtime on /var/lib/mdocker and /run/mdocker. */
    public static ContainerRuntime defaults() {
        return DEFAULTS;
    }

    /** A runtime on other roots (both are created when needed). */
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
     * of live JVMs, this one included, are not touched. Returns the ids of the containers removed.
     */
    public List<String> gc() {
        recovered.set(true);
        StateStore.Recovered r = store.recover();
        r.entries().forEach(DevicesCgroupV1::removeLeftover);
        return r.entries();
    }

    /**
     * Runs {@code exec} to its end inside the running container whose id is {@code idOrPrefix}
     * (or starts with it), which may belong to another process (a CLI, another JVM): what
     * {@link RunningContainer#exec(Exec)} does, from the container's record under the run root.
     */
    public ExecResult exec(String idOrPrefix, Exec exec) {
        return ExecProcess.run(execStart(idOrPrefix, exec, true), exec);
    }

    /** Starts {@code exec} inside the running container {@code idOrPrefix}, as {@link RunningContainer#execStart(Exec)}. */
    public ExecProcess execStart(String idOrPrefix, Exec exec) {
        return execStart(idOrPrefix, exec, false);
    }

    private ExecProcess execStart(String idOrPrefix, Exec exec, boolean forResult) {
        java.util.Objects.requireNonNull(exec, "exec");
        requireRoot();
        Path entry = store.findEntry(java.util.Objects.requireNonNull(idOrPrefix, "container id"));
        String shortId = entry.getFileName().toString().substring(0, 12);
        ExecRecord record = ExecRecord.read(entry).orElseThrow(() -> new ContainerException("container " + shortId
                + " cannot be exec'd into: its state record " + entry + " says nothing of exec (an older mdocker's)"));
        if (!record.pid1Alive()) {
            throw new ContainerException("container " + shortId + " is not running: cannot exec into it");
        }
        return ExecProcess.start(shortId, record, exec, forResult, p -> { });
    }

    StateStore store() {
        if (!recovered.get() && recovered.compareAndSet(false, true)) {
            store.recover().entries().forEach(DevicesCgroupV1::removeLeftover);
        }
        return store;
    }

    @Override
    public String toString() {
        return "ContainerRuntime[lib=" + libRoot + ", run=" + runRoot + "]";
    }
}
