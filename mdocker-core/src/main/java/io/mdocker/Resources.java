package io.mdocker;

import io.mdocker.internal.cgroup.CgroupSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * A container's resource limits, enforced with cgroups (v1, v2 or hybrid, whichever the host
 * has): memory and memory+swap, CPU as fractional cores and as a relative weight, the CPUs it may
 * run on and the memory nodes it may allocate on, and the most processes it may have; plus where its cgroup goes. Immutable; each
 * {@code with…} method checks its value at once and returns a copy. Set them through
 * {@link Container.Builder} ({@code memory}, {@code cpus}, {@code pidsLimit}, …).
 *
 * <p>Every container gets its own cgroup, limits or not: that is what stats, OOM reporting and
 * the removal of stragglers rest on.
 */
public final class Resources {
    /** The smallest memory limit accepted (Docker's). */
    public static final DataSize MIN_MEMORY = DataSize.ofMiB(6);

    /** No limits. */
    public static final Resources NONE = new Resources(-1, -1, 0, -1, -1, null, -1, null, null);

    private final long memory;
    private final long memorySwap; // -1 unset, Long.MAX_VALUE unlimited
    private final double cpus;     // 0 unset
    private final long cpuShares;
    private final long cpuWeight;
    private final String cpusetCpus;
    private final long pidsLimit;
    private final String cgroupParent;
    private final String cpusetMems;

    private Resources(long memory, long memorySwap, double cpus, long cpuShares, long cpuWeight, String cpusetCpus,
                      long pidsLimit, String cgroupParent, String cpusetMems) {
        this.memory = memory;
        this.memorySwap = memorySwap;
        this.cpus = cpus;
        this.cpuShares = cpuShares;
        this.cpuWeight = cpuWeight;
        this.cpusetCpus = cpusetCpus;
        this.pidsLimit = pidsLimit;
        this.cgroupParent = cgroupParent;
        this.cpusetMems = cpusetMems;
    }

    /** The memory limit in bytes. */
    public OptionalLong memory() {
        return memory < 0 ? OptionalLong.empty() : OptionalLong.of(memory);
    }

    /**
     * Memory plus swap in bytes ({@code Long.MAX_VALUE}: unlimited swap). Unset with a memory
     * limit means equal to it: no swap, so the memory limit really holds.
     */
    public OptionalLong memorySwap() {
        return memorySwap < 0 ? OptionalLong.empty() : OptionalLong.of(memorySwap);
    }

    /** CPU time as a number of cores (0.5: half of one core's time). */
    public OptionalDouble cpus() {
        return cpus == 0 ? OptionalDouble.empty() : OptionalDouble.of(cpus);
    }

    /** The relative CPU weight on cgroup v1's scale (2..262144, default 1024). */
    public OptionalLong cpuShares() {
        return cpuShares < 0 ? OptionalLong.empty() : OptionalLong.of(cpuShares);
    }

    /** The relative CPU weight on cgroup v2's scale (1..10000, default 100). */
    public OptionalLong cpuWeight() {
        return cpuWeight < 0 ? OptionalLong.empty() : OptionalLong.of(cpuWeight);
    }

    /** The CPUs the container may run on, as a list such as "0-2,4". */
    public Optional<String> cpusetCpus() {
        return Optional.ofNullable(cpusetCpus);
    }

    /** The memory nodes (NUMA) the container may allocate on, as a list such as "0-1". */
    public Optional<String> cpusetMems() {
        return Optional.ofNullable(cpusetMems);
    }

    /** The most processes (threads included) the container may have. */
    public OptionalLong pidsLimit() {
        return pidsLimit < 0 ? OptionalLong.empty() : OptionalLong.of(pidsLimit);
    }

    /**
     * The cgroup the container's cgroup is made in: absolute ("/batch") from each hierarchy's
     * root, relative ("batch") from the JVM's own cgroup. Default: {@code mdocker} below the JVM's
     * cgroup on v1, {@code /mdocker} on v2.
     */
    public Optional<String> cgroupParent() {
        return Optional.ofNullable(cgroupParent);
    }

    /** Whether no limit is set (the container still gets a cgroup of its own). */
    public boolean isUnlimited() {
        return memory < 0 && memorySwap < 0 && cpus == 0 && cpuShares < 0 && cpuWeight < 0 && cpusetCpus == null
                && cpusetMems == null && pidsLimit < 0;
    }

    /** A memory limit in bytes; at least {@link #MIN_MEMORY}. */
    public Resources withMemory(long bytes) {
        if (bytes < MIN_MEMORY.bytes()) {
            throw new IllegalArgumentException("invalid memory limit " + describeBytes(bytes)
                    + ": expected at least " + MIN_MEMORY);
        }
        return new Resources(bytes, memorySwap, cpus, cpuShares, cpuWeight, cpusetCpus, pidsLimit, cgroupParent, cpusetMems);
    }

    /** Memory plus swap in bytes, at least the memory limit; -1 for unlimited swap. Needs a memory limit. */
    public Resources withMemorySwap(long bytes) {
        if (bytes != -1 && bytes < MIN_MEMORY.bytes()) {
            throw new IllegalArgumentException("invalid memory+swap limit " + describeBytes(bytes)
                    + ": expected -1 (unlimited swap) or at least the memory limit");
        }
        return new Resources(memory, bytes == -1 ? Long.MAX_VALUE : bytes, cpus, cpuShares, cpuWeight, cpusetCpus,
                pidsLimit, cgroupParent, cpusetMems);
    }

    /** CPU time as cores, from 0.01 to the number of CPUs this host has. */
    public Resources withCpus(double cores) {
        int host = HostCpus.count();
        if (!(cores >= 0.01 && cores <= host)) {
            throw new IllegalArgumentException("invalid cpus " + format(cores) + ": expected a number of CPUs from 0.01 to "
                    + host + " (this host has " + host + " CPU" + (host == 1 ? "" : "s") + ")");
        }
        return new Resources(memory, memorySwap, cores, cpuShares, cpuWeight, cpusetCpus, pidsLimit, cgroupParent, cpusetMems);
    }

    /** Relative CPU weight on cgroup v1's scale, 2..262144 (replaces a cpu weight). */
    public Resources withCpuShares(long shares) {
        if (shares < 2 || shares > 262_144) {
            throw new IllegalArgumentException("invalid cpu shares " + shares + ": expected 2 to 262144 (default 1024)");
        }
        return new Resources(memory, memorySwap, cpus, shares, -1, cpusetCpus, pidsLimit, cgroupParent, cpusetMems);
    }

    /** Relative CPU weight on cgroup v2's scale, 1..10000 (replaces cpu shares). */
    public Resources withCpuWeight(long weight) {
        if (weight < 1 || weight > 10_000) {
            throw new IllegalArgumentException("invalid cpu weight " + weight + ": expected 1 to 10000 (default 100)");
        }
        return new Resources(memory, memorySwap, cpus, -1, weight, cpusetCpus, pidsLimit, cgroupParent, cpusetMems);
    }

    /** The CPUs the container may run on: a list such as "0", "0-2" or "0,2-3" of CPUs this host has. */
    public Resources withCpusetCpus(String list) {
        String set = HostCpus.checkList(list, "cpuset", "CPU", HostCpus.online());
        return new Resources(memory, memorySwap, cpus, cpuShares, cpuWeight, set, pidsLimit, cgroupParent, cpusetMems);
    }

    /**
     * The memory nodes the container may allocate on (cpuset.mems): a list such as "0" or "0-1" of
     * nodes this host has (/sys/devices/system/node/online; node 0 alone where the kernel has no NUMA).
     */
    public Resources withCpusetMems(String list) {
        String mems = HostCpus.checkList(list, "cpuset mems", "memory node", HostCpus.memoryNodes());
        return new Resources(memory, memorySwap, cpus, cpuShares, cpuWeight, cpusetCpus, pidsLimit, cgroupParent, mems);
    }

    /** The most processes the container may have: at least 1 (its init counts, as does each thread). */
    public Resources withPidsLimit(long max) {
        if (max < 1) {
            throw new IllegalArgumentException("invalid pids limit " + max + ": expected a positive number of processes");
        }
        return new Resources(memory, memorySwap, cpus, cpuShares, cpuWeight, cpusetCpus, max, cgroupParent, cpusetMems);
    }

    /** Where the container's cgroup goes; see {@link #cgroupParent()}. */
    public Resources withCgroupParent(String parent) {
        Objects.requireNonNull(parent, "cgroup parent");
        String p = parent.length() > 1 ? parent.replaceAll("/+$", "") : parent;
        String rel = p.startsWith("/") ? p.substring(1) : p;
        boolean ok = !p.isEmpty();
        if (ok && !rel.isEmpty()) {
            for (String name : rel.split("/", -1)) {
                if (name.isEmpty() || name.equals(".") || name.equals("..") || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                    ok = false;
                }
            }
        }
        if (!ok) {
            throw new IllegalArgumentException("invalid cgroup parent '" + printable(parent)
                    + "': expected a cgroup path such as /batch or batch/jobs, without empty, '.' or '..' names");
        }
        return new Resources(memory, memorySwap, cpus, cpuShares, cpuWeight, cpusetCpus, pidsLimit, p, cpusetMems);
    }

    /** The checks that span values; {@link Container.Builder#build()} makes them. */
    void checkCombination() {
        if (memorySwap >= 0 && memory < 0) {
            throw new IllegalArgumentException("memory+swap limit " + describeSwap(memorySwap)
                    + " needs a memory limit: set memory too");
        }
        if (memorySwap >= 0 && memorySwap < memory) {
            throw new IllegalArgumentException("invalid memory+swap limit " + describeSwap(memorySwap)
                    + ": expected at least the memory limit " + describeBytes(memory) + ", or -1 for unlimited swap");
        }
    }

    /** The internal form the cgroup managers take. */
    CgroupSpec toSpec() {
        long quota = cpus == 0 ? CgroupSpec.UNSET : Math.max(1000, Math.round(cpus * CgroupSpec.DEFAULT_PERIOD_MICROS));
        return new CgroupSpec(memory, memorySwap, quota, cpus == 0 ? CgroupSpec.UNSET : CgroupSpec.DEFAULT_PERIOD_MICROS,
                cpuShares, cpuWeight, cpusetCpus, cpusetMems, pidsLimit, cgroupParent);
    }

    /** Control characters escaped, so that a message stays one line. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c == '\n') {
                b.append("\\n");
            } else if (c < 0x20 || c == 0x7f) {
                b.append(String.format(Locale.ROOT, "\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String describeBytes(long bytes) {
        return bytes > 0 && bytes % 1024 == 0 ? bytes + " bytes (" + DataSize.format(bytes) + ")" : bytes + " bytes";
    }

    private static String describeSwap(long v) {
        return v == Long.MAX_VALUE ? "unlimited" : describeBytes(v);
    }

    private static String format(double d) {
        return d == Math.rint(d) && !Double.isInfinite(d) ? String.format(Locale.ROOT, "%.1f", d) : Double.toString(d);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Resources[");
        memory().ifPresent(m -> b.append("memory=").append(DataSize.format(m)).append(' '));
        memorySwap().ifPresent(m -> b.append("memorySwap=").append(m == Long.MAX_VALUE ? "unlimited" : DataSize.format(m)).append(' '));
        cpus().ifPresent(c -> b.append("cpus=").append(c).append(' '));
        cpuShares().ifPresent(c -> b.append("cpuShares=").append(c).append(' '));
        cpuWeight().ifPresent(c -> b.append("cpuWeight=").append(c).append(' '));
        cpusetCpus().ifPresent(c -> b.append("cpusetCpus=").append(c).append(' '));
        cpusetMems().ifPresent(c -> b.append("cpusetMems=").append(c).append(' '));
        pidsLimit().ifPresent(c -> b.append("pidsLimit=").append(c).append(' '));
        cgroupParent().ifPresent(c -> b.append("cgroupParent=").append(c).append(' '));
        return b.toString().strip() + "]";
    }

    /** The CPUs this host has online, from /sys/devices/system/cpu/online. */
    static final class HostCpus {
        private HostCpus() {}

        private static volatile BitSet online;

        static BitSet online() {
            BitSet o = online;
            if (o == null) {
                try {
                    o = parseList(Files.readString(Path.of("/sys/devices/system/cpu/online")).strip());
                } catch (IOException e) {
                    o = null;
                }
                if (o == null || o.isEmpty()) {
                    o = new BitSet();
                    o.set(0, Runtime.getRuntime().availableProcessors());
                }
                online = o;
            }
            return (BitSet) o.clone();
        }

        static int count() {
            return online().cardinality();
        }

        /** The memory nodes this host has online; node 0 where the kernel shows none (no NUMA). */
        static BitSet memoryNodes() {
            try {
                BitSet nodes = parseList(Files.readString(Path.of("/sys/devices/system/node/online")).strip());
                if (nodes != null && !nodes.isEmpty()) {
                    return nodes;
                }
            } catch (IOException e) {
                // no NUMA support in this kernel
            }
            BitSet zero = new BitSet();
            zero.set(0);
            return zero;
        }

        /**
         * {@code list} checked as a list of {@code what} ("CPU") numbers and ranges, each of which
         * {@code present} holds; returned in canonical form. One-line IllegalArgumentException otherwise.
         */
        static String checkList(String list, String name, String what, BitSet present) {
            Objects.requireNonNull(list, name);
            BitSet wanted = parseList(list);
            if (wanted == null || wanted.isEmpty()) {
                throw new IllegalArgumentException("invalid " + name + " '" + list
                        + "': expected a list of " + what + " numbers and ranges such as 0-2,4");
            }
            BitSet absent = (BitSet) wanted.clone();
            absent.andNot(present);
            if (!absent.isEmpty()) {
                throw new IllegalArgumentException("invalid " + name + " '" + list + "': " + what + " " + format(absent)
                        + (absent.cardinality() == 1 ? " does" : " do") + " not exist (this host has " + what + "s "
                        + format(present) + ")");
            }
            return format(wanted);
        }

        /** "0-2,4" -> {0,1,2,4}; null when malformed. */
        static BitSet parseList(String s) {
            BitSet set = new BitSet();
            if (s.isEmpty()) {
                return null;
            }
            for (String part : s.split(",", -1)) {
                String[] r = part.split("-", -1);
                try {
                    if (r.length == 1 && r[0].matches("\\d{1,4}")) {
                        set.set(Integer.parseInt(r[0]));
                    } else if (r.length == 2 && r[0].matches("\\d{1,4}") && r[1].matches("\\d{1,4}")) {
                        int a = Integer.parseInt(r[0]);
                        int b = Integer.parseInt(r[1]);
                        if (a > b) {
                            return null;
                        }
                        set.set(a, b + 1);
                    } else {
                        return null;
                    }
                } catch (NumberFormatException e) {
                    return null;
                }
            }
            return set;
        }

        /** {0,1,2,4} -> "0-2,4". */
        static String format(BitSet set) {
            StringBuilder b = new StringBuilder();
            for (int i = set.nextSetBit(0); i >= 0; ) {
                int end = set.nextClearBit(i) - 1;
                if (b.length() > 0) {
                    b.append(',');
                }
                b.append(i);
                if (end > i) {
                    b.append('-').append(end);
                }
                i = set.nextSetBit(end + 1);
            }
            return b.toString();
        }
    }
}
