package io.mdocker.internal.cgroup;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.pollfd;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Kills what is still in a container's cgroups once the container is over, and waits for it to
 * be gone, so the directories can be removed. Usually nothing is there: the container's PID
 * namespace ends with its pid 1, and the kernel has killed and reaped every process in it by
 * then. What may remain is whatever joined the cgroup without being in the namespace.
 *
 * <p>v2 writes {@code cgroup.kill}, which kills every process atomically, forks included. v1 has
 * no such file: with the freezer the cgroup is frozen (so nothing forks or exits while it is
 * listed), every listed process gets SIGKILL through a pidfd, and the cgroup is thawed so they
 * can die; without the freezer the same happens in a loop. A pid is signalled only through a
 * pidfd opened while it was listed and still listed after, so a recycled pid is never hit.
 * Waiting is on the pidfds, not on a clock.
 */
final class Stragglers {
    private Stragglers() {}

    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration FREEZE_TIMEOUT = Duration.ofSeconds(1);

    /**
     * Kills every process in {@code dirs} and waits until none is left.
     *
     * @param freezer the v1 freezer cgroup among them, or null
     * @param killFile v2's cgroup.kill, or null
     */
    static void kill(CgroupFs fs, List<Path> dirs, Path freezer, Path killFile) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            Set<Integer> pids = listed(fs, dirs);
            if (pids.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new CgroupException(pids.size() + " processes (" + pids + ") were still in " + dirs
                        + " " + TIMEOUT.toSeconds() + " s after they were killed");
            }
            List<int[]> pidfds = new ArrayList<>(); // {pid, pidfd}
            try {
                if (killFile != null) {
                    open(pids, pidfds);
                    fs.write(killFile, "1");
                } else {
                    boolean frozen = freezer != null;
                    if (frozen) {
                        freeze(fs, freezer);
                    }
                    try {
                        open(pids, pidfds);
                        Set<Integer> still = listed(fs, dirs);
                        for (int[] p : pidfds) {
                            if (still.contains(p[0])) {
                                Posix.pidfdSendSignal(p[1], Linux.SIGKILL());
                            }
                        }
                    } finally {
                        if (frozen) {
                            fs.write(freezer.resolve("freezer.state"), "THAWED");
                        }
                    }
                }
                awaitExit(pidfds, deadline);
            } finally {
                for (int[] p : pidfds) {
                    Posix.closeQuietly(p[1]);
                }
            }
        }
    }

    private static Set<Integer> listed(CgroupFs fs, List<Path> dirs) {
        Set<Integer> pids = new LinkedHashSet<>();
        for (Path d : dirs) {
            pids.addAll(fs.procs(d));
        }
        return pids;
    }

    private static void open(Set<Integer> pids, List<int[]> out) {
        for (int pid : pids) {
            try {
                out.add(new int[] {pid, Posix.pidfdOpen(pid)});
            } catch (ErrnoException e) {
                // already gone
            }
        }
    }

    /**
     * Freezes a v1 freezer cgroup. When it does not reach FROZEN in time, killing goes on all
     * the same (the kill loop then catches what forked meanwhile); the caller thaws it after.
     */
    private static void freeze(CgroupFs fs, Path freezer) {
        Path state = freezer.resolve("freezer.state");
        fs.write(state, "FROZEN");
        long deadline = System.nanoTime() + FREEZE_TIMEOUT.toNanos();
        // v1's freezer offers nothing to wait on; FREEZING turns FROZEN within microseconds.
        while (!fs.read(state).equals("FROZEN") && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Waits until every pidfd reports its process has exited, or the deadline. */
    private static void awaitExit(List<int[]> pidfds, long deadline) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfd = arena.allocate(pollfd.layout());
            for (int[] p : pidfds) {
                pollfd.fd(pfd, p[1]);
                pollfd.events(pfd, (short) Linux.POLLIN());
                while (true) {
                    long left = (deadline - System.nanoTime()) / 1_000_000;
                    if (left <= 0 || Posix.poll(pfd, 1, (int) Math.min(left, Integer.MAX_VALUE)) > 0) {
                        break;
                    }
                }
            }
        }
    }
}
