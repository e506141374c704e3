package io.mdocker.internal.process;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.pollfd;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A generation number of this JVM's mount table, which changes whenever a mount or unmount has
 * happened in its mount namespace since the last look. A pooled monitor clones its pid 1 (and so
 * pid 1's copy of the mount table) ahead of need: where the host's mounts do not propagate (a
 * private root), a filesystem mounted afterwards (a new state root, a bind source, a rootfs) would
 * be missing in it, so {@link MonitorPool} serves only monitors spawned in the current generation.
 *
 * <p>The kernel marks an open {@code /proc/self/mountinfo} with POLLERR|POLLPRI when its mount
 * namespace changed since the descriptor's last poll; one non-blocking poll per look.
 */
final class HostMounts {
    private HostMounts() {}

    private static int fd = -2; // -2: not opened yet; -1: cannot be watched (every look is a new generation)
    private static long generation;

    /** The current generation: a new number when the mount table changed since the last call. */
    static synchronized long generation() {
        if (fd == -2) {
            try {
                fd = Posix.open("/proc/self/mountinfo", Linux.O_RDONLY() | Linux.O_CLOEXEC());
            } catch (ErrnoException e) {
                fd = -1;
            }
            changed(); // the first poll reports the table as changed: nothing to compare with
            return generation;
        }
        if (changed()) {
            generation++;
        }
        return generation;
    }

    private static boolean changed() {
        if (fd < 0) {
            return true;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfd = arena.allocate(pollfd.layout());
            pollfd.fd(pfd, fd);
            pollfd.events(pfd, (short) 0); // POLLERR|POLLPRI are reported whatever is asked for
            return Posix.poll(pfd, 1, 0) > 0 && (pollfd.revents(pfd) & Linux.POLLERR()) != 0;
        }
    }
}
