package io.mdocker.internal.process;

import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.InitProcess.StdioPlan;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Monitors spawned ahead of need. Spawning mdocker-init (posix_spawn, exec of a static binary,
 * its start-up) and its clone of the container's pid 1 into new namespaces are fixed costs of
 * every container; a monitor spawned in advance has done both and waits for its CONFIG with all
 * three streams on pipes, and {@link InitProcess#bind} decides what they become when a container
 * takes it. Once that container has started ({@link #replenish}), one replacement is spawned on
 * the {@code mdocker-spawner} thread, off the caller's path, with the namespaces it asked for.
 *
 * <p>An idle monitor has made nothing but its pid 1's namespaces: when this JVM dies its socket
 * closes, and it kills its pid 1 and exits. Streams inherited from the JVM (a CLI's terminal)
 * cannot be served from the pool and are spawned directly, as is a container whose namespaces
 * differ from the idle monitor's, or when the host's mount table changed since the idle one's pid 1
 * was cloned ({@link HostMounts}: its copy of the mounts would lack the new ones). {@link #setSize}
 * sets the number kept ready (default 2, so that back-to-back run()s find one while the previous
 * one's replacement is being made; 0 turns the pool off).
 */
public final class MonitorPool {
    private MonitorPool() {}

    private static final Redirect[] ALL_PIPES = {Redirect.PIPE, Redirect.PIPE, Redirect.PIPE};
    /** The most ready monitors this JVM keeps. */
    public static final int MAX_SIZE = 16;
    private static volatile int size = 2;
    private static final ConcurrentLinkedQueue<InitProcess> IDLE = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger PENDING = new AtomicInteger();
    private static final ExecutorService SPAWNER = Executors.newSingleThreadExecutor(r ->
            Thread.ofPlatform().daemon().name("mdocker-spawner").unstarted(r));

    /** Keeps {@code n} (0 to {@link #MAX_SIZE}) ready monitors from now on; surplus idle ones are closed. */
    public static void setSize(int n) {
        size = n;
        while (IDLE.size() > n) {
            InitProcess p = IDLE.poll();
            if (p == null) {
                break;
            }
            p.close(); // its EOF ends it
        }
    }

    /** The number of ready monitors kept. */
    public static int size() {
        return size;
    }

    /**
     * A monitor for {@code plan} whose pid 1 has the CLONE_NEW* namespaces {@code nsflags}: a
     * ready one when it fits, else a new one.
     */
    public static InitProcess take(StdioPlan plan, long nsflags) {
        if (size > 0 && InitProcess.canServe(ALL_PIPES, plan)) {
            InitProcess p;
            long mounts = HostMounts.generation();
            while ((p = IDLE.poll()) != null) {
                if (!p.exited() && p.nsflags() == nsflags && p.mountGeneration() == mounts) {
                    p.bind(plan);
                    return p;
                }
                p.close(); // killed while idle, other namespaces, or mounts since: its EOF ends it
            }
        }
        return InitProcess.spawn(plan, nsflags);
    }

    /**
     * Spawns a replacement for the monitor a container took, on the spawner thread. Called once
     * the container has started, so that the replacement's spawn and clone (CPU work on a
     * machine that may have two cores) do not compete with that container's own start.
     */
    public static void replenish(long nsflags) {
        if (size > 0) {
            refill(nsflags);
        }
    }

    /**
     * Spawns the replacement on the calling thread (the cleanup thread, after a run()'s teardown,
     * so that it competes with neither that container's end nor, usually, the next one's start).
     */
    public static void replenishNow(long nsflags) {
        if (size == 0 || IDLE.size() + PENDING.get() >= size) {
            return;
        }
        PENDING.incrementAndGet();
        try {
            IDLE.add(spawnPooled(nsflags));
        } catch (RuntimeException e) {
            // The next take spawns directly and reports the failure to its caller.
        } finally {
            PENDING.decrementAndGet();
        }
    }

    /**
     * Waits until every replacement asked for before this call has been spawned (or failed): until
     * then a spawn in progress holds descriptors (its pipes, both ends for a moment) that a count
     * of the JVM's would see come and go.
     */
    public static void awaitSpawns() {
        try {
            SPAWNER.submit(() -> { }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("cannot happen: an empty task failed", e);
        }
    }

    /** The pids of the monitors waiting now (for tests). */
    static java.util.List<Integer> idlePids() {
        return IDLE.stream().map(InitProcess::pid).toList();
    }

    /**
     * A monitor for the pool. A rootless pid 1 gets its id maps at once (newuidmap/newgidmap, the
     * rootless start's main cost), here rather than on its container's start path.
     */
    private static InitProcess spawnPooled(long nsflags) {
        InitProcess p = InitProcess.spawnRaw(ALL_PIPES.clone(), nsflags);
        if (UserNamespace.rootless() && (nsflags & io.mdocker.bindings.Linux.CLONE_NEWUSER()) != 0) {
            try {
                UserNamespace.maps().write(p.containerPid());
                p.markIdMapped();
            } catch (RuntimeException e) {
                p.close(); // its EOF ends it; the next take spawns directly and reports the failure
                throw e;
            }
        }
        return p;
    }

    private static void refill(long nsflags) {
        if (IDLE.size() + PENDING.get() >= size) {
            return;
        }
        PENDING.incrementAndGet();
        SPAWNER.execute(() -> {
            try {
                IDLE.add(spawnPooled(nsflags));
            } catch (RuntimeException e) {
                // The next take spawns directly and reports the failure to its caller.
            } finally {
                PENDING.decrementAndGet();
            }
        });
    }
}
