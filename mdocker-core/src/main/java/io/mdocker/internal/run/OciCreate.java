package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.SeccompProfile;
import io.mdocker.TtySize;
import io.mdocker.Ulimit;
import io.mdocker.internal.HostResource;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.internal.cgroup.CgroupSpec;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.security.DeviceRules;
import io.mdocker.internal.security.DevicesCgroupV1;
import io.mdocker.internal.security.SeccompCompiler;
import io.mdocker.internal.state.ProcStat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.IntConsumer;

/**
 * The {@code create} of an OCI runtime (mdocker-runtime, docs/oci-runtime.md): the start
 * sequence of {@link ContainerStart} for a bundle's root and mounts, up to the user process's
 * exec, which waits on an exec fifo. mdocker-init's monitor clones pid 1 (sync 1), CONFIG with
 * ROOTFS, MOUNT, EXECFIFO (sync 2), the cgroups made and joined, GO (sync 3); pid 1 answers
 * CREATED, the monitor exits, and pid 1 — the process {@code start} lets exec — is left to the
 * nearest subreaper among its ancestors (the caller). Nothing of mdocker stays in between but pid 1.
 * Every failure before CREATED kills pid 1 and removes the cgroups made.
 *
 * <p>No state store of the library's is used: the OCI runtime keeps its own state (its
 * {@code --root}), since a container here outlives its monitor by design.
 */
public final class OciCreate {
    /** clone(2)'s flag for a pid namespace (the bindings are not the engine's to use). */
    private static final long CLONE_NEWPID = 0x20000000L;

    private static final long TIMEOUT_MILLIS = 30_000;
    private static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8;

    private OciCreate() {}

    /**
     * One mount of the bundle, as mdocker-init mounts it.
     *
     * @param type        the file system type (bind for a bind mount)
     * @param source      the source (a host path for a bind)
     * @param target      the absolute path in the container
     * @param flags       MS_* flags (MS_BIND, MS_REC for binds)
     * @param propagation MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE (with MS_REC), 0 for none
     * @param data        the file system's options
     */
    public record Mount(String type, String source, String target, long flags, long propagation, String data) {
        public Mount {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(data, "data");
        }
    }

    /**
     * What {@link #create} makes, every value checked by the caller.
     *
     * @param id             the container's id (the cgroup's name unless {@code cgroupLeaf} says otherwise)
     * @param rootfs         the root filesystem (absolute)
     * @param args           the process's argv
     * @param env            its environment, KEY=VALUE
     * @param cwd            its working directory
     * @param uid            its uid
     * @param gid            its gid
     * @param groups         its supplementary groups
     * @param hostname       the UTS hostname, where the container has its own UTS namespace
     * @param nsflags        the CLONE_NEW* namespaces of pid 1 (mount and pid required)
     * @param joinNamespaces namespaces pid 1 enters instead (CLONE_NEWNET, CLONE_NEWIPC or CLONE_NEWUTS to a
     *                       namespace file, entered by pid 1; CLONE_NEWPID, entered by the monitor before it
     *                       clones pid 1 into it)
     * @param mounts         the mounts, in order
     * @param caps           bounding, effective, permitted, inheritable, ambient (capability bit masks)
     * @param noNewPrivileges PR_SET_NO_NEW_PRIVS
     * @param readonlyRoot   whether / is read-only
     * @param seccomp        the seccomp filter, if any
     * @param rlimits        resource limits
     * @param masked         masked paths
     * @param readonly       read-only paths
     * @param sysctl         sysctls
     * @param cgroups        the limits
     * @param cgroupLeaf     the cgroup's own name
     * @param cgroupMount    whether a cgroup file system is mounted at /sys/fs/cgroup, and read-only unless {@code cgroupMountRw}
     * @param cgroupMountRw  the cgroup file system writable
     * @param deviceRules    the device cgroup's rules (linux.resources.devices)
     * @param tty            the terminal's size, if the process has one
     * @param consoleSocket  where its master goes
     * @param execFifo       the fifo pid 1 waits on (the empty path for none: run)
     * @param oomScoreAdj    the process's oom_score_adj
     * @param libRoot        where compiled seccomp programs are cached
     * @param devices        device nodes made in the container's /dev after its mounts
     */
    public record Plan(String id, Path rootfs, List<String> args, List<String> env, String cwd, int uid, int gid,
                       List<Integer> groups, Optional<String> hostname, long nsflags, Map<Long, Path> joinNamespaces,
                       List<Mount> mounts, long[] caps,
                       boolean noNewPrivileges, boolean readonlyRoot, Optional<SeccompProfile> seccomp,
                       List<Ulimit> rlimits, List<String> masked, List<String> readonly, Map<String, String> sysctl,
                       CgroupSpec cgroups, String cgroupLeaf, boolean cgroupMount, boolean cgroupMountRw,
                       DeviceRules deviceRules, Optional<TtySize> tty, Optional<Path> consoleSocket, Path execFifo,
                       OptionalInt oomScoreAdj, Path libRoot, List<Device> devices) {
        public Plan {
            args = List.copyOf(args);
            env = List.copyOf(env);
            groups = List.copyOf(groups);
            joinNamespaces = Map.copyOf(joinNamespaces);
            mounts = List.copyOf(mounts);
            caps = caps.clone();
            if (caps.length != 5) {
                throw new IllegalArgumentException("caps: 5 sets expected, got " + caps.length);
            }
            rlimits = List.copyOf(rlimits);
            masked = List.copyOf(masked);
            readonly = List.copyOf(readonly);
            sysctl = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(sysctl));
            devices = List.copyOf(devices);
            Objects.requireNonNull(deviceRules, "deviceRules");
        }
    }

    /**
     * A device node: {@code type} S_IFCHR, S_IFBLK or S_IFIFO (stat(2)'s bits), at {@code path}
     * under /dev, with the permission bits {@code mode} and the owner {@code uid}:{@code gid}.
     */
    public record Device(int type, int major, int minor, int mode, int uid, int gid, String path) {}

    /**
     * A created container.
     *
     * @param pid        the host pid of its process (pid 1, waiting on the exec fifo)
     * @param startTime  that process's start time (field 22 of /proc/PID/stat), against pid reuse
     * @param cgroupInfo the cgroups as {@link ContainerCgroups#stateInfo()} records them, and the
     *                   v1 devices cgroup under {@code devices}
     */
    public record Created(int pid, long startTime, Map<String, String> cgroupInfo) {}

    /**
     * Creates the container; {@code createRuntime} runs with pid 1's host pid once its namespaces
     * exist, before its filesystem is made (the OCI hooks createRuntime and createContainer).
     *
     * @throws IllegalArgumentException when the plan does not fit the host (before anything exists)
     * @throws ContainerException       when a step fails (everything made is removed first)
     */
    public static Created create(Plan plan, IntConsumer createRuntime) {
        return start(plan, createRuntime, null);
    }

    /**
     * {@code run}: creates the container without an exec fifo (its process execs at GO) and with
     * its monitor kept, calls {@code started} with what was made once the process runs, waits for
     * its end and returns its exit code (128+n when signal n killed it). The cgroups are the
     * caller's to remove ({@code started} has their record).
     */
    public static int run(Plan plan, IntConsumer createRuntime, java.util.function.Consumer<Created> started) {
        int[] code = new int[1];
        start(plan, createRuntime, (created, init) -> {
            started.accept(created);
            init.monitorStatus().join();
            code[0] = init.exitCodeAfterExit();
        });
        return code[0];
    }

    private interface Running {
        void accept(Created created, InitProcess init);
    }

    private static Created start(Plan plan, IntConsumer createRuntime, Running running) {
        ContainerStart.requireRoot();
        ContainerCgroups cgroups;
        try {
            cgroups = ContainerCgroups.plan(CgroupLayout.host(), plan.cgroups(), plan.cgroupLeaf(), CgroupFs.REAL);
        } catch (java.io.UncheckedIOException e) {
            throw new ContainerException("detecting the cgroup layout: " + e.getMessage(), e);
        }
        // Without a terminal the process has the caller's stdio (a pipe, a socket, a terminal or
        // a file: conmon and the shim pass pipes); with one, the terminal only.
        Redirect stdio = plan.tty().isPresent() ? Redirect.DISCARD : Redirect.INHERIT;
        InitProcess init = InitProcess.spawn(new InitProcess.StdioPlan(stdio, stdio, null, stdio, null), plan.nsflags(),
                Optional.ofNullable(plan.joinNamespaces().get(CLONE_NEWPID)));
        List<HostResource> made = new ArrayList<>();
        boolean created = false;
        try {
            int pid = init.containerPid();
            long startTime = ProcStat.startTime(pid);
            createRuntime.accept(pid);
            Optional<Path> v2Devices = !plan.deviceRules().allowsAll() && DevicesCgroupV1.mountPoint().isEmpty()
                    ? cgroups.v2Dir() : Optional.empty();
            send(init, config(plan, cgroups, v2Devices));
            cgroups.create();
            made.add(cgroups);
            Map<String, String> info = new LinkedHashMap<>(cgroups.stateInfo());
            DevicesCgroupV1.create(plan.id(), plan.deviceRules()).ifPresent(d -> {
                made.add(d);
                info.put("devices", d.path().toString());
            });
            for (HostResource r : made) {
                r.attach(pid);
            }
            if (plan.oomScoreAdj().isPresent()) {
                writeOomScoreAdj(pid, plan.oomScoreAdj().getAsInt());
            }
            send(init, Protocol.go());
            Protocol.Message m;
            try {
                m = init.receive(TIMEOUT_MILLIS);
            } catch (InitProcess.ProtocolTimeoutException e) {
                throw new ContainerException("container " + plan.id() + " did not finish its setup within "
                        + TIMEOUT_MILLIS + " ms");
            }
            if (m == null) {
                throw new ContainerException("mdocker-init of container " + plan.id() + " exited during setup"
                        + MonitorStatus.text(init));
            }
            if (m.type() == Protocol.MSG_ERROR) {
                throw SetupErrors.of(m.int32(0), m.int32(1), m.text(2));
            }
            int expected = running == null ? Protocol.MSG_CREATED : Protocol.MSG_STARTED;
            if (m.type() != expected) {
                throw new ContainerException("mdocker-init sent message " + m.type() + " where " + expected + " was expected");
            }
            created = running == null;
            Created result = new Created(pid, startTime, info);
            if (running != null) {
                running.accept(result, init);
            }
            return result;
        } catch (RuntimeException | Error e) {
            RuntimeException wrapped = e instanceof RuntimeException r
                    && (r instanceof ContainerException || r instanceof IllegalArgumentException) ? r
                    : SetupErrors.wrap("creating container " + plan.id(), e);
            try {
                init.killAndReap(Duration.ofSeconds(2));
            } catch (RuntimeException suppressed) {
                wrapped.addSuppressed(suppressed);
            }
            try {
                io.mdocker.internal.Cleanup.inReverse(made, HostResource::close);
            } catch (RuntimeException suppressed) {
                wrapped.addSuppressed(suppressed);
            }
            throw wrapped;
        } finally {
            if (created) {
                // The monitor exits by itself after CREATED; pid 1 no longer dies with it.
                init.monitorStatus().orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).exceptionally(t -> -1).join();
            }
            init.close();
        }
    }

    private static void writeOomScoreAdj(int pid, int value) {
        Path p = Path.of("/proc", Integer.toString(pid), "oom_score_adj");
        try {
            Files.writeString(p, Integer.toString(value));
        } catch (IOException e) {
            throw new ContainerException("writing " + value + " to " + p + ": " + e.getMessage(), e);
        }
    }

    private static void send(InitProcess init, java.nio.ByteBuffer message) {
        if (!init.send(message)) {
            throw new ContainerException("mdocker-init exited during setup" + MonitorStatus.text(init));
        }
    }

    private static java.nio.ByteBuffer config(Plan plan, ContainerCgroups cgroups, Optional<Path> v2Devices) {
        Protocol.ConfigWriter c = new Protocol.ConfigWriter();
        boolean fifo = !plan.execFifo().toString().isEmpty();
        for (String a : plan.args()) {
            c.string(Protocol.T_ARG, a);
        }
        for (String e : plan.env()) {
            c.string(Protocol.T_ENV, e);
        }
        c.string(Protocol.T_ROOTFS, plan.rootfs().toString())
                .string(Protocol.T_CWD, plan.cwd())
                .u32(Protocol.T_UID, plan.uid())
                .u32(Protocol.T_GID, plan.gid())
                .u64(Protocol.T_NSFLAGS, plan.nsflags())
                .u32(Protocol.T_INIT, 0);
        if (fifo) {
            c.string(Protocol.T_EXECFIFO, plan.execFifo().toString());
        }
        plan.hostname().ifPresent(h -> c.string(Protocol.T_HOSTNAME, h));
        for (Device d : plan.devices()) {
            c.device(d.type(), d.major(), d.minor(), d.mode(), d.uid(), d.gid(), d.path());
        }
        plan.joinNamespaces().forEach((type, path) -> {
            if (type != CLONE_NEWPID) { // the monitor's (InitProcess.spawn), not pid 1's
                c.joinNamespace(type, path.toString());
            }
        });
        for (Mount m : plan.mounts()) {
            c.mount(m.type(), m.source(), m.target(), m.flags(), m.propagation(), m.data());
        }
        long[] caps = plan.caps();
        c.caps(caps[0], caps[1], caps[2], caps[3], caps[4]);
        int flags = (plan.noNewPrivileges() ? Protocol.SEC_NO_NEW_PRIVS : 0)
                | (plan.readonlyRoot() ? Protocol.SEC_READONLY_ROOTFS : 0);
        c.u32(Protocol.T_SECURITY, flags);
        if (plan.seccomp().isPresent()) {
            byte[] program = SeccompCompiler.compile(plan.seccomp().get(), capabilities(caps[0]), plan.libRoot());
            if (program.length > 0) {
                c.bytes(Protocol.T_SECCOMP, program);
            }
        }
        for (Ulimit u : plan.rlimits()) {
            c.rlimit(u.resource(), u.soft(), u.hard());
        }
        if (!plan.groups().isEmpty()) {
            c.u32s(Protocol.T_GROUPS, plan.groups());
        }
        for (String p : plan.masked()) {
            c.string(Protocol.T_MASK, p);
        }
        for (String p : plan.readonly()) {
            c.string(Protocol.T_READONLY, p);
        }
        plan.sysctl().forEach(c::sysctl);
        if (plan.cgroupMount()) {
            List<ContainerCgroups.Mount> mounts = new ArrayList<>(cgroups.containerMounts());
            if (!plan.deviceRules().allowsAll()) {
                DevicesCgroupV1.containerMount().ifPresent(mounts::add);
            }
            long mflags = MS_NOSUID | MS_NODEV | MS_NOEXEC | (plan.cgroupMountRw() ? 0 : MS_RDONLY);
            for (ContainerCgroups.Mount m : mounts) {
                c.cgroupfs(m.target(), mflags, m.controllers());
            }
        }
        v2Devices.ifPresent(d -> {
            c.string(Protocol.T_DEVCGROUP, d.toString());
            if (!plan.deviceRules().isDefault()) { // else the monitor's own program, the same rules
                c.bytes(Protocol.T_DEVPROG, plan.deviceRules().bpfProgram());
            }
        });
        plan.tty().ifPresent(t -> c.tty(t.rows(), t.columns()));
        plan.consoleSocket().ifPresent(s -> c.string(Protocol.T_CONSOLE, s.toString()));
        return c.message();
    }

    private static java.util.Set<io.mdocker.Capability> capabilities(long mask) {
        java.util.Set<io.mdocker.Capability> set = java.util.EnumSet.noneOf(io.mdocker.Capability.class);
        for (io.mdocker.Capability cap : io.mdocker.Capability.values()) {
            if ((mask & (1L << cap.number())) != 0) {
                set.add(cap);
            }
        }
        return set;
    }
}
