package io.mdocker;

import io.mdocker.testing.Fixtures;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.fs.ContainerDirs;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.InitProcess.StdioPlan;
import io.mdocker.internal.process.Protocol;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Since protocol 4 pid 1 builds its filesystem and pivots into it before GO, while the JVM still
 * makes its cgroups: an exec must not enter such a container (it would get the host's cgroup
 * namespace, or cgroups without their device rules). The joiner refuses it.
 */
class JoinBeforeGoTest {
    private static final long NAMESPACES = Linux.CLONE_NEWNS() | Linux.CLONE_NEWPID() | Linux.CLONE_NEWUTS()
            | Linux.CLONE_NEWIPC() | Linux.CLONE_NEWNET() | Linux.CLONE_NEWCGROUP();

    @Test
    void anExecIntoAContainerThatHasPivotedButNotHadGoIsRefused() throws Exception {
        Path rootfs = Fixtures.rootfs();
        ContainerDirs dirs = ContainerDirs.create(Fixtures.TARGET.resolve("join-before-go"), "c" + ProcessHandle.current().pid());
        InitProcess monitor = InitProcess.spawn(plan(), NAMESPACES);
        try {
            Protocol.ConfigWriter config = new Protocol.ConfigWriter()
                    .string(Protocol.T_ARG, "/bin/true")
                    .string(Protocol.T_LOWER, rootfs.toString())
                    .string(Protocol.T_UPPER, dirs.upper().toString())
                    .string(Protocol.T_WORK, dirs.work().toString())
                    .string(Protocol.T_MERGED, dirs.merged().toString())
                    .u64(Protocol.T_NSFLAGS, NAMESPACES)
                    .u32(Protocol.T_INIT, 1);
            assertThat(monitor.send(config.message())).isTrue(); // sync 2; no GO follows
            int pid1 = monitor.containerPid();
            awaitPivoted(pid1);

            InitProcess joiner = InitProcess.spawnJoiner(plan());
            try {
                assertThat(joiner.send(new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/true")
                        .joinPid(pid1, startTime(pid1)).message(Protocol.MSG_JOIN))).isTrue();
                Protocol.Message m = joiner.receive(10_000);
                assertThat(m).isNotNull();
                assertThat(m.type()).isEqualTo(Protocol.MSG_ERROR);
                assertThat(m.int32(0)).isEqualTo(Protocol.STEP_JOIN);
                assertThat(m.text(2)).isEqualTo("the container's pid 1 (pid " + pid1 + ") has not started its command yet");
            } finally {
                joiner.killMonitor();
                joiner.finished().get();
                joiner.close();
            }
        } finally {
            monitor.killMonitor();
            monitor.finished().get();
            monitor.close();
            dirs.delete();
        }
    }

    private static StdioPlan plan() {
        return new StdioPlan(Redirect.DISCARD, Redirect.CAPTURE, new ByteArrayOutputStream(),
                Redirect.CAPTURE, new ByteArrayOutputStream());
    }

    /** Until pid 1's root is no longer the host's: it has pivoted into the container's. */
    private static void awaitPivoted(int pid1) throws Exception {
        Object hostRoot = Files.readAttributes(Path.of("/"), "unix:ino,dev");
        long deadline = System.nanoTime() + 10_000_000_000L;
        Path root = Path.of("/proc", Integer.toString(pid1), "root");
        while (Files.readAttributes(root, "unix:ino,dev").equals(hostRoot)) {
            assertThat(System.nanoTime()).as("pid 1 pivoted within 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private static long startTime(int pid) throws Exception {
        String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19]);
    }
}
