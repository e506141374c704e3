package io.mdocker;

import io.mdocker.internal.security.DevicesCgroupV1;
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
     * Waits until the containers whose {@link Container#run run()} has returned are completely
     * gone: run() returns once the command has ended and its output is complete, and leaves the
     * rest of the teardown (pid 1's and the monitor's exit, the cgroups, the writable layer, the
     * state record) to a background thread; the JVM's exit waits for it too.
     * {@link RunningContainer#close()} does all of it before it returns.
     */
    public static void awaitCleanup() {
        io.mdocker.internal.BackgroundCleanup.awaitIdle();
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
