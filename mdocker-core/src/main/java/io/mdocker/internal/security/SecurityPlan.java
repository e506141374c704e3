package io.mdocker.internal.security;

import io.mdocker.Capability;
import io.mdocker.Ulimit;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.process.Protocol;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a container's security settings into the CONFIG records mdocker-init applies (protocol.h
 * says how and in which order): capability sets, no_new_privs, the seccomp program, rlimits,
 * supplementary groups, masked and read-only paths, a read-only rootfs, tmpfs mounts.
 * Stateless; the seccomp program comes from {@link SeccompCompiler}'s cache.
 */
public final class SecurityPlan {
    private SecurityPlan() {}

    /** Docker's masked paths: a /dev/null bind over files, an empty read-only tmpfs over directories. */
    public static final List<String> MASKED_PATHS = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware", "/sys/devices/virtual/powercap");

    /** Docker's read-only paths (bind-remounted read-only); /sys as a whole is mounted read-only too. */
    public static final List<String> READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    /** Appends the security records of {@code spec} to {@code config}. */
    public static void write(SecuritySpec spec, Protocol.ConfigWriter config) {
        writeIdentity(spec, config, null);
        writeMounts(spec, config);
    }

    /**
     * The records of the identity and confinement of the container's processes, the command's
     * and every exec'd one's alike: capability sets, no_new_privs and the other flags, the
     * seccomp program, rlimits, supplementary groups.
     */
    public static void writeIdentity(SecuritySpec spec, Protocol.ConfigWriter config) {
        writeIdentity(spec, config, null);
    }

    /**
     * As {@link #writeIdentity(SecuritySpec, Protocol.ConfigWriter)}, with the compiled seccomp
     * program cached on disk under {@code libRoot} (null: in memory only), see {@link SeccompCompiler}.
     */
    public static void writeIdentity(SecuritySpec spec, Protocol.ConfigWriter config, java.nio.file.Path libRoot) {
        Set<Capability> caps = spec.capabilities();
        long set = spec.privileged() ? -1L : mask(caps);
        // bounding, effective, permitted, inheritable (empty, as Docker since 20.10.14: CVE-2022-24769), ambient
        config.caps(set, set, set, 0L, 0L);
        int flags = 0;
        if (spec.noNewPrivileges()) {
            flags |= Protocol.SEC_NO_NEW_PRIVS;
        }
        if (spec.readOnlyRootfs()) {
            flags |= Protocol.SEC_READONLY_ROOTFS;
        }
        if (spec.privileged()) {
            flags |= Protocol.SEC_SYSFS_RW;
        }
        config.u32(Protocol.T_SECURITY, flags);
        byte[] program = spec.seccomp().isPresent() ? SeccompCompiler.compile(spec.seccomp().get(), caps, libRoot)
                : SeccompCompiler.compileDockerDefault(caps, libRoot);
        if (program.length > 0) {
            config.bytes(Protocol.T_SECCOMP, program);
        }
        for (Ulimit u : spec.ulimits()) {
            config.rlimit(u.resource(), u.soft(), u.hard());
        }
        if (!spec.groups().isEmpty()) {
            config.u32s(Protocol.T_GROUPS, spec.groups());
        }
    }

    /** The records of the container's filesystem protections: masked and read-only paths, tmpfs mounts. */
    public static void writeMounts(SecuritySpec spec, Protocol.ConfigWriter config) {
        if (!spec.privileged()) {
            for (String p : MASKED_PATHS) {
                config.string(Protocol.T_MASK, p);
            }
            for (String p : READONLY_PATHS) {
                config.string(Protocol.T_READONLY, p);
            }
        }
        for (Map.Entry<String, String> t : spec.tmpfs().entrySet()) {
            MountOptions o = MountOptions.tmpfs(t.getKey(), t.getValue());
            config.tmpfs(t.getKey(), o.flags(), o.data());
        }
    }

    /**
     * The records of the container's cgroup file systems: read-only (Docker's default; the limits
     * are the host's to change), read-write when privileged, as Docker's are.
     */
    public static void writeCgroupMounts(SecuritySpec spec, List<ContainerCgroups.Mount> mounts, Protocol.ConfigWriter config) {
        long flags = MountOptions.MS_NOSUID | MountOptions.MS_NODEV | MountOptions.MS_NOEXEC
                | (spec.privileged() ? 0 : MountOptions.MS_RDONLY);
        for (ContainerCgroups.Mount m : mounts) {
            config.cgroupfs(m.target(), flags, m.controllers());
        }
    }

    private static final Set<Capability> HELD = readHeld();

    /**
     * The capabilities this process (and so mdocker-init) holds in its permitted set: what
     * "privileged" and {@code capAdd("ALL")} can give. Less than all in some sandboxes.
     */
    public static Set<Capability> held() {
        return HELD;
    }

    private static Set<Capability> readHeld() {
        java.util.EnumSet<Capability> held = java.util.EnumSet.allOf(Capability.class);
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("CapPrm:")) {
                    long bits = Long.parseUnsignedLong(line.substring(7).trim(), 16);
                    held.removeIf(c -> (bits & (1L << c.number())) == 0);
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            // no /proc: assume all, and let the init name what is missing
        }
        return java.util.Collections.unmodifiableSet(held);
    }

    /** The capability bits of {@code caps}. */
    public static long mask(Set<Capability> caps) {
        long m = 0;
        for (Capability c : caps) {
            m |= 1L << c.number();
        }
        return m;
    }
}
