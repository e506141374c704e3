package io.mdocker.cli.oci;

import io.mdocker.SeccompProfile;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A bundle's {@code config.json} (OCI runtime-spec 1.0–1.1, Linux), as far as mdocker-runtime
 * reads it: every field here is acted on; {@link OciConfigReader} refuses any other field with a
 * one-line error naming it. Relative paths are kept as written ({@code root.path} is relative to
 * the bundle).
 *
 * @param ociVersion  the spec version the file claims
 * @param process     the container's process
 * @param root        its root filesystem
 * @param mounts      mounts in order, onto the root
 * @param hostname    the UTS hostname; empty to keep the inherited one
 * @param linux       the Linux section
 * @param hooks       the life-cycle hooks
 * @param annotations free-form metadata, reported by {@code state}
 */
public record OciConfig(String ociVersion, Process process, Root root, List<Mount> mounts, Optional<String> hostname,
                        Linux linux, Hooks hooks, Map<String, String> annotations) {

    /**
     * {@code process}.
     *
     * @param terminal        whether the process gets a pseudo-terminal (sent over the console socket)
     * @param consoleSize     the terminal's initial size
     * @param user            the user it runs as
     * @param args            its argv, at least one
     * @param env             {@code KEY=VALUE} entries
     * @param cwd             its absolute working directory
     * @param capabilities    its capability sets; empty when the section is absent (no capabilities)
     * @param rlimits         resource limits
     * @param noNewPrivileges PR_SET_NO_NEW_PRIVS
     * @param oomScoreAdj     /proc/self/oom_score_adj
     */
    public record Process(boolean terminal, Optional<ConsoleSize> consoleSize, User user, List<String> args,
                          List<String> env, String cwd, Optional<Capabilities> capabilities, List<Rlimit> rlimits,
                          boolean noNewPrivileges, OptionalInt oomScoreAdj) {}

    /** A terminal size in rows ({@code height}) and columns ({@code width}). */
    public record ConsoleSize(int height, int width) {}

    /** uid, gid, umask and supplementary groups ({@code additionalGids}). */
    public record User(int uid, int gid, OptionalInt umask, List<Integer> additionalGids) {}

    /** The five capability sets, by their {@code CAP_} names. */
    public record Capabilities(List<String> bounding, List<String> effective, List<String> inheritable,
                               List<String> permitted, List<String> ambient) {}

    /** One {@code RLIMIT_*} with its soft and hard values. */
    public record Rlimit(String type, long soft, long hard) {}

    /** {@code root}: the path (relative to the bundle or absolute) and whether it is mounted read-only. */
    public record Root(String path, boolean readonly) {}

    /** One entry of {@code mounts}; {@code type} is {@code bind} when the options say bind or rbind. */
    public record Mount(String destination, String type, String source, List<String> options) {}

    /**
     * {@code linux}.
     *
     * @param namespaces        the namespaces, each new or joined by path
     * @param uidMappings       user namespace uid mappings
     * @param gidMappings       user namespace gid mappings
     * @param resources         cgroup limits
     * @param cgroupsPath       the cgroup path ({@code /a/b}, relative, or systemd's {@code slice:prefix:name})
     * @param devices           device nodes to create in /dev
     * @param maskedPaths       paths hidden in the container
     * @param readonlyPaths     paths made read-only
     * @param seccomp           the seccomp filter
     * @param sysctl            sysctls set in the container's namespaces
     * @param rootfsPropagation the root mount's propagation
     */
    public record Linux(List<Namespace> namespaces, List<IdMapping> uidMappings, List<IdMapping> gidMappings,
                        Resources resources, Optional<String> cgroupsPath, List<Device> devices,
                        List<String> maskedPaths, List<String> readonlyPaths, Optional<SeccompProfile> seccomp,
                        Map<String, String> sysctl, Optional<String> rootfsPropagation) {}

    /** A namespace of {@code type} (pid, network, mount, ipc, uts, user, cgroup, time), new or joined at {@code path}. */
    public record Namespace(String type, Optional<String> path) {}

    /** A user namespace id range. */
    public record IdMapping(long containerId, long hostId, long size) {}

    /**
     * {@code linux.resources}.
     *
     * @param memoryLimit       memory.limit in bytes
     * @param memoryReservation memory.reservation in bytes
     * @param memorySwap        memory.swap (memory plus swap) in bytes; -1 unlimited
     * @param memorySwappiness  memory.swappiness
     * @param cpuShares         cpu.shares
     * @param cpuQuota          cpu.quota in microseconds per period
     * @param cpuPeriod         cpu.period in microseconds
     * @param cpusetCpus        cpu.cpus
     * @param cpusetMems        cpu.mems
     * @param pidsLimit         pids.limit; -1 or 0 unlimited
     * @param devices           the device cgroup rules, in order
     */
    public record Resources(OptionalLong memoryLimit, OptionalLong memoryReservation, OptionalLong memorySwap,
                            OptionalLong memorySwappiness, OptionalLong cpuShares, OptionalLong cpuQuota,
                            OptionalLong cpuPeriod, Optional<String> cpusetCpus, Optional<String> cpusetMems,
                            OptionalLong pidsLimit, List<DeviceRule> devices) {
        /** No limits, no device rules. */
        public static final Resources NONE = new Resources(OptionalLong.empty(), OptionalLong.empty(),
                OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
                OptionalLong.empty(), Optional.empty(), Optional.empty(), OptionalLong.empty(), List.of());
    }

    /** A device cgroup rule: allow or deny {@code access} (of r, w, m) to type a, c or b, major:minor (-1 any). */
    public record DeviceRule(boolean allow, String type, long major, long minor, String access) {
        // equals and hashCode written out: a record's generated ones are made by method handles
        // spun on first use (a dozen classes, milliseconds of every create).
        @Override
        public boolean equals(Object o) {
            return o instanceof DeviceRule d && d.allow == allow && d.type.equals(type) && d.major == major
                    && d.minor == minor && d.access.equals(access);
        }

        @Override
        public int hashCode() {
            return ((type.hashCode() * 31 + Long.hashCode(major)) * 31 + Long.hashCode(minor)) * 31 + access.hashCode()
                    + (allow ? 1 : 0);
        }
    }

    /** A device node to create: type c, b, u or p, at an absolute path. */
    public record Device(String type, String path, long major, long minor, OptionalInt fileMode,
                         OptionalInt uid, OptionalInt gid) {}

    /**
     * {@code hooks}: each list runs in order at its point of the life cycle.
     *
     * @param prestart        deprecated; run with createRuntime
     * @param createRuntime   in the runtime's namespaces, after the container's are made
     * @param createContainer in the container's mount namespace, before pivot_root (run in the runtime's here)
     * @param startContainer  in the container, before the process's exec
     * @param poststart       after the process started, in the runtime's namespaces
     * @param poststop        after the container is deleted
     */
    public record Hooks(List<Hook> prestart, List<Hook> createRuntime, List<Hook> createContainer,
                        List<Hook> startContainer, List<Hook> poststart, List<Hook> poststop) {
        /** No hooks. */
        public static final Hooks NONE = new Hooks(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /** One hook: an absolute path, its argv and environment, and a timeout in seconds. */
    public record Hook(String path, List<String> args, List<String> env, OptionalInt timeout) {}
}
