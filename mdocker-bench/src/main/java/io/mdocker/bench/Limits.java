package io.mdocker.bench;

import io.mdocker.Container;

/**
 * The resource limits of the "limits" rows, applied alike to mdocker and to runc's bundle.
 *
 * @param memoryBytes memory limit (swap limited to the same, so memory plus swap equals it)
 * @param cpus CPU quota in cores per 100 ms period
 * @param pids the most processes and threads
 */
public record Limits(long memoryBytes, double cpus, long pids) {
    public static final Limits DEFAULT = new Limits(64L << 20, 1.0, 64);

    public static final long CFS_PERIOD_US = 100_000;

    /** {@code spec} with these limits. */
    public Container applyTo(Container spec) {
        return spec.toBuilder().memory(memoryBytes).cpus(cpus).pidsLimit(pids).build();
    }

    public long cpuQuotaUs() {
        return Math.round(cpus * CFS_PERIOD_US);
    }

    @Override
    public String toString() {
        return "memory " + (memoryBytes >> 20) + " MiB, cpus " + cpus + ", pids " + pids;
    }
}
