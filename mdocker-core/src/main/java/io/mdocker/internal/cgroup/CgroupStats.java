package io.mdocker.internal.cgroup;

/**
 * What a container's cgroup counted, -1 where the host does not count it: memory in use and its
 * peak (bytes), CPU time (nanoseconds), processes now, and how many processes the OOM killer has
 * killed.
 */
public record CgroupStats(long memoryCurrent, long memoryPeak, long cpuUsageNanos, long pidsCurrent, long oomKills) {
    public static final CgroupStats UNKNOWN = new CgroupStats(-1, -1, -1, -1, -1);

    /** Each field from this record where it is known, else from {@code other}. */
    public CgroupStats or(CgroupStats other) {
        return new CgroupStats(pick(memoryCurrent, other.memoryCurrent), pick(memoryPeak, other.memoryPeak),
                pick(cpuUsageNanos, other.cpuUsageNanos), pick(pidsCurrent, other.pidsCurrent), pick(oomKills, other.oomKills));
    }

    private static long pick(long a, long b) {
        return a >= 0 ? a : b;
    }
}
