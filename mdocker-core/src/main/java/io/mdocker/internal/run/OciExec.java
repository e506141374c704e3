package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.SeccompProfile;
import io.mdocker.TtySize;
import io.mdocker.Ulimit;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.security.SeccompCompiler;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code exec} of an OCI runtime (mdocker-runtime, docs/oci-runtime.md): one process started
 * in a created or running container by an mdocker-init joiner (join mode, as {@link ExecSession}
 * does for the library), with the identity the process.json gives. Detached ({@code --detach},
 * what conmon and the shim use), the joiner exits once the process runs and the process is left to
 * the nearest subreaper (the caller); else this JVM waits for its exit status.
 */
public final class OciExec {
    private static final long TIMEOUT_MILLIS = 30_000;

    private OciExec() {}

    /**
     * What {@link #start} starts.
     *
     * @param pid             the container's process (pid 1) and its start time
     * @param pidStartTime    its start time
     * @param cgroups         the container's cgroup directories, which the process joins
     * @param args            argv
     * @param env             KEY=VALUE
     * @param cwd             the working directory (must exist)
     * @param uid             uid
     * @param gid             gid
     * @param groups          supplementary groups
     * @param caps            bounding, effective, permitted, inheritable, ambient
     * @param noNewPrivileges PR_SET_NO_NEW_PRIVS
     * @param seccomp         the container's seccomp filter, if any
     * @param rlimits         resource limits (on top of pid 1's)
     * @param tty             the terminal's size, if the process has one
     * @param consoleSocket   where its master goes
     * @param detach          leave the process to the caller
     * @param libRoot         where compiled seccomp programs are cached
     */
    public record Plan(int pid, long pidStartTime, List<Path> cgroups, List<String> args, List<String> env, String cwd,
                       int uid, int gid, List<Integer> groups, long[] caps, boolean noNewPrivileges,
                       Optional<SeccompProfile> seccomp, List<Ulimit> rlimits, Optional<TtySize> tty,
                       Optional<Path> consoleSocket, boolean detach, Path libRoot) {
        public Plan {
            cgroups = List.copyOf(cgroups);
            args = List.copyOf(args);
            env = List.copyOf(env);
            groups = List.copyOf(groups);
            caps = caps.clone();
            rlimits = List.copyOf(rlimits);
        }
    }

    /** A started process: its host pid, and (not detached) its exit code once it ends. */
    public interface Started {
        /** The process's host pid. */
        int pid();

        /** Waits for the process (not detached) and returns its exit code (128+n when signal n killed it). */
        int waitFor();
    }

    /**
     * Starts the process; returns once it has been exec'd.
     *
     * @throws ContainerException when it could not be started (nothing is left running)
     */
    public static Started start(Plan plan) {
        Redirect stdio = plan.tty().isPresent() ? Redirect.DISCARD : Redirect.INHERIT;
        InitProcess joiner = InitProcess.spawnJoiner(new InitProcess.StdioPlan(stdio, stdio, null, stdio, null));
        try {
            Protocol.ConfigWriter w = new Protocol.ConfigWriter();
            plan.args().forEach(a -> w.string(Protocol.T_ARG, a));
            plan.env().forEach(e -> w.string(Protocol.T_ENV, e));
            w.string(Protocol.T_CWD, plan.cwd()).u32(Protocol.T_UID, plan.uid()).u32(Protocol.T_GID, plan.gid())
                    .joinPid(plan.pid(), plan.pidStartTime());
            plan.cgroups().forEach(c -> w.string(Protocol.T_CGROUP, c.toString()));
            long[] caps = plan.caps();
            w.caps(caps[0], caps[1], caps[2], caps[3], caps[4]);
            w.u32(Protocol.T_SECURITY, plan.noNewPrivileges() ? Protocol.SEC_NO_NEW_PRIVS : 0);
            if (plan.seccomp().isPresent()) {
                java.util.Set<io.mdocker.Capability> held = java.util.EnumSet.noneOf(io.mdocker.Capability.class);
                for (io.mdocker.Capability c : io.mdocker.Capability.values()) {
                    if ((caps[0] & (1L << c.number())) != 0) {
                        held.add(c);
                    }
                }
                byte[] program = SeccompCompiler.compile(plan.seccomp().get(), held, plan.libRoot());
                if (program.length > 0) {
                    w.bytes(Protocol.T_SECCOMP, program);
                }
            }
            plan.rlimits().forEach(u -> w.rlimit(u.resource(), u.soft(), u.hard()));
            if (!plan.groups().isEmpty()) {
                w.u32s(Protocol.T_GROUPS, plan.groups());
            }
            plan.tty().ifPresent(t -> w.tty(t.rows(), t.columns()));
            plan.consoleSocket().ifPresent(s -> w.string(Protocol.T_CONSOLE, s.toString()));
            if (plan.detach()) {
                w.u32(Protocol.T_ORPHAN, 1);
            }
            if (!joiner.send(w.message(Protocol.MSG_JOIN))) {
                throw new ContainerException("mdocker-init exited before it could exec into the container");
            }
            Protocol.Message m;
            try {
                m = joiner.receive(TIMEOUT_MILLIS);
            } catch (InitProcess.ProtocolTimeoutException e) {
                throw new ContainerException("exec did not start within " + TIMEOUT_MILLIS + " ms");
            }
            if (m == null) {
                throw new ContainerException("mdocker-init exited before it could exec into the container"
                        + MonitorStatus.text(joiner));
            }
            if (m.type() == Protocol.MSG_ERROR) {
                throw SetupErrors.of(m.int32(0), m.int32(1), m.text(2));
            }
            if (m.type() != Protocol.MSG_JOINED) {
                throw new ContainerException("mdocker-init sent message " + m.type() + " where JOINED was expected");
            }
            int pid = m.int32(0);
            if (plan.detach()) {
                joiner.monitorStatus().orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).exceptionally(t -> -1).join();
                joiner.close();
            }
            return new Started() {
                @Override
                public int pid() {
                    return pid;
                }

                @Override
                public int waitFor() {
                    if (plan.detach()) {
                        throw new IllegalStateException("a detached exec is the caller's to wait for");
                    }
                    try (joiner) {
                        joiner.monitorStatus().join();
                        return joiner.exitCodeAfterExit();
                    }
                }
            };
        } catch (RuntimeException | Error e) {
            joiner.killAndReap(Duration.ofSeconds(2));
            joiner.close();
            throw e;
        }
    }
}
