package io.mdocker.internal.cgroup;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The limits one container's cgroup gets, already checked by the public API: sizes in bytes,
 * CPU time in microseconds, {@link #UNSET} where the user set nothing. {@code memorySwap} is
 * memory plus swap, as Docker counts it: {@link #UNSET} means "no swap beyond the memory limit"
 * (so the memory limit really holds), {@link #UNLIMITED} means unlimited swap. Exactly one of
 * {@code cpuShares} (v1 scale, 2..262144) and {@code cpuWeight} (v2 scale, 1..10000) may be set;
 * each manager converts to its own scale. {@code parent} is null for the default placement.
 */
public record CgroupSpec(long memory, long memorySwap, long cpuQuotaMicros, long cpuPeriodMicros,
                         long cpuShares, long cpuWeight, String cpusetCpus, String cpusetMems, long pidsMax,
                         String parent) {
    public static final long UNSET = -1;
    public static final long UNLIMITED = Long.MAX_VALUE;
    /** The CFS period mdocker uses, as Docker's --cpus does. */
    public static final long DEFAULT_PERIOD_MICROS = 100_000;

    /** No limits: the container still gets its cgroup (accounting, stats, teardown). */
    public static final CgroupSpec NONE = new CgroupSpec(UNSET, UNSET, UNSET, UNSET, UNSET, UNSET, null, UNSET, null);

    /** Without memory nodes (cpuset.mems as the parent's). */
    public CgroupSpec(long memory, long memorySwap, long cpuQuotaMicros, long cpuPeriodMicros, long cpuShares,
                      long cpuWeight, String cpusetCpus, long pidsMax, String parent) {
        this(memory, memorySwap, cpuQuotaMicros, cpuPeriodMicros, cpuShares, cpuWeight, cpusetCpus, null, pidsMax, parent);
    }

    /**
     * The controllers a limit needs, with the limit's name for messages (controller -> "memory
     * limit"), in a stable order.
     */
    public Map<String, String> required() {
        Map<String, String> r = new LinkedHashMap<>();
        if (memory != UNSET) {
            r.put("memory", "memory limit");
        }
        if (cpuQuotaMicros != UNSET) {
            r.put("cpu", "cpus limit");
        } else if (cpuShares != UNSET) {
            r.put("cpu", "cpu shares");
        } else if (cpuWeight != UNSET) {
            r.put("cpu", "cpu weight");
        }
        if (cpusetCpus != null) {
            r.put("cpuset", "cpuset");
        } else if (cpusetMems != null) {
            r.put("cpuset", "cpuset mems");
        }
        if (pidsMax != UNSET) {
            r.put("pids", "pids limit");
        }
        return r;
    }

    /** Memory plus swap in bytes, UNLIMITED, or UNSET when there is no memory limit. */
    public long effectiveMemorySwap() {
        if (memory == UNSET) {
            return UNSET;
        }
        return memorySwap == UNSET ? memory : memorySwap;
    }
}
