package io.mdocker;

import java.time.Duration;

/**
 * What a container's cgroup has counted, the same on cgroup v1 and v2; -1 where this host does
 * not count it (a controller it lacks, or {@code memory.peak} before Linux 5.19).
 *
 * @param memoryBytes     memory in use now, page cache included (v1 memory.usage_in_bytes, v2 memory.current)
 * @param memoryPeakBytes the most it has used (v1 memory.max_usage_in_bytes, v2 memory.peak)
 * @param cpuUsageNanos   CPU time used by all its processes (v1 cpuacct.usage, v2 cpu.stat usage_usec)
 * @param pids            processes and threads now (pids.current)
 * @param oomKills        processes the kernel's OOM killer has killed in it
 */
public record ResourceStats(long memoryBytes, long memoryPeakBytes, long cpuUsageNanos, long pids, long oomKills) {
    static ResourceStats of(io.mdocker.internal.cgroup.CgroupStats s) {
        return new ResourceStats(s.memoryCurrent(), s.memoryPeak(), s.cpuUsageNanos(), s.pidsCurrent(), s.oomKills());
    }

    /** The CPU time used; empty when unknown. */
    public java.util.Optional<Duration> cpuUsage() {
        return cpuUsageNanos < 0 ? java.util.Optional.empty() : java.util.Optional.of(Duration.ofNanos(cpuUsageNanos));
    }
}
