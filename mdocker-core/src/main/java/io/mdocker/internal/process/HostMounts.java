package io.mdocker.internal.process;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.pollfd;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A generation number of this JVM's mount table, which changes whenever the set of mounts in its
 * mount namespace differs from the one at the last look. A pooled monitor clones its pid 1 (and so
 * pid 1's copy of the mount table) ahead of need: where the host's mounts do not propagate (a
 * private root), a filesystem mounted afterwards (a new state root, a bind source, a rootfs) would
 * be missing in it, so {@link MonitorPool} serves only monitors spawned in the current generation.
 *
 * <p>The kernel marks an open {@code /proc/self/mountinfo} with POLLERR|POLLPRI when its mount
 * namespace changed since the descriptor's last poll; one non-blocking poll per look. Only then
 * is the table read and compared with the last one: a mount that came and went meanwhile (runc
 * makes such transient mounts in the host's namespace) leaves the same table and the same
 * generation, so the pool's monitors stay usable.
 */
final class HostMounts {
    private HostMounts() {}

    private static int fd = -2; // -2: not opened yet; -1: cannot be watched (every look is a new generation)
    private static long generation;
    private static String table; // the mount table of this generation; null: unreadable

    /** The current generation: a new number when the mount table changed since the last call. */
    static synchronized long generation() {
        if (fd == -2) {
            try {
                fd = Posix.open("/proc/self/mountinfo", Linux.O_RDONLY() | Linux.O_CLOEXEC());
            } catch (ErrnoException e) {
                fd = -1;
            }
            changed(); // resets the descriptor's mark; the table read next is the baseline
            table = read();
            return generation;
        }
        if (changed()) {
            String now = read();
            if (now == null || !now.equals(table)) {
                generation++;
                table = now;
            }
        }
        return generation;
    }

    private static String read() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/mountinfo"));
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return null;
        }
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
