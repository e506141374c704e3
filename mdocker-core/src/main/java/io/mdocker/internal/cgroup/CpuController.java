package io.mdocker.internal.cgroup;

import java.nio.file.Path;

/**
 * cpu: a share of CPU time as a CFS quota per period (fractional cores), and a relative weight;
 * usage from cpuacct (v1) or cpu.stat (v2).
 *
 * <pre>
 *            v1 (cpu / cpuacct hierarchies)       v2
 * quota      cpu.cfs_period_us, cpu.cfs_quota_us  cpu.max "quota period"
 * weight     cpu.shares (2..262144)               cpu.weight (1..10000)
 * usage      cpuacct.usage (ns)                   cpu.stat: usage_usec
 * </pre>
 *
 * Shares and weights convert as runc converts them, so either may be given on either version.
 */
final class CpuController {
    private CpuController() {}

    /** runc's ConvertCPUSharesToCgroupV2Value. */
    static long sharesToWeight(long shares) {
        return 1 + ((shares - 2) * 9999) / 262142;
    }

    /** The inverse of {@link #sharesToWeight}, rounded up so that it maps back to the same weight. */
    static long weightToShares(long weight) {
        return 2 + ((weight - 1) * 262142 + 9998) / 9999;
    }

    static void applyV1(CgroupFs fs, Path dir, CgroupSpec s) {
        if (s.cpuQuotaMicros() != CgroupSpec.UNSET) {
            if (s.cpuPeriodMicros() != CgroupSpec.DEFAULT_PERIOD_MICROS) { // a new cgroup starts with the default
                fs.write(dir.resolve("cpu.cfs_period_us"), Long.toString(s.cpuPeriodMicros()));
            }
            fs.write(dir.resolve("cpu.cfs_quota_us"), Long.toString(s.cpuQuotaMicros()));
        }
        long shares = s.cpuShares() != CgroupSpec.UNSET ? s.cpuShares()
                : s.cpuWeight() != CgroupSpec.UNSET ? weightToShares(s.cpuWeight()) : CgroupSpec.UNSET;
        if (shares != CgroupSpec.UNSET) {
            fs.write(dir.resolve("cpu.shares"), Long.toString(shares));
        }
    }

    static void applyV2(CgroupFs fs, Path dir, CgroupSpec s) {
        if (s.cpuQuotaMicros() != CgroupSpec.UNSET) {
            fs.write(dir.resolve("cpu.max"), s.cpuQuotaMicros() + " " + s.cpuPeriodMicros());
        }
        long weight = s.cpuWeight() != CgroupSpec.UNSET ? s.cpuWeight()
                : s.cpuShares() != CgroupSpec.UNSET ? sharesToWeight(s.cpuShares()) : CgroupSpec.UNSET;
        if (weight != CgroupSpec.UNSET) {
            fs.write(dir.resolve("cpu.weight"), Long.toString(weight));
        }
    }

    /** cpuacct.usage in the cpuacct hierarchy's directory: nanoseconds. */
    static long usageV1(CgroupFs fs, Path cpuacctDir) {
        return fs.readLong(cpuacctDir.resolve("cpuacct.usage"));
    }

    /** cpu.stat usage_usec, in nanoseconds. */
    static long usageV2(CgroupFs fs, Path dir) {
        Long usec = fs.readKeyed(dir.resolve("cpu.stat")).get("usage_usec");
        return usec == null ? -1 : usec * 1000;
    }
}
