package io.mdocker.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time this JVM and every process it has waited for have used: user + system of the JVM
 * itself and of its reaped children and their reaped descendants (fields 14 to 17 of
 * {@code /proc/self/stat}, what {@code getrusage(RUSAGE_SELF)} plus {@code RUSAGE_CHILDREN}
 * give). An mdocker container's monitor is the JVM's child and waits for its pid 1, which waits
 * for the command, so once a container is torn down all three are counted; a runc, bwrap or
 * unshare process the same way. Kernel work done in worker threads (deferred cgroup and
 * namespace teardown, RCU) belongs to no process and is not counted for any runtime.
 */
final class CpuTime {
    private CpuTime() {}

    /** Clock ticks per second of /proc's times: USER_HZ, 100 on every Linux this runs on. */
    private static final double TICKS_PER_SECOND = 100;

    /** User + system of this process and its reaped descendants, in milliseconds. */
    static double selfAndChildrenMs() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": f[0] is field 3 (state), so field n is f[n - 3]
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks * 1000 / TICKS_PER_SECOND;
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/self/stat: " + e.getMessage(), e);
        }
    }
}
