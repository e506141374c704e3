package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Exec into a container that another JVM started, found through its records under the run root
 * (what the CLI's {@code mdocker exec} does): a child JVM (RecoveryChild) owns the container.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ExecFromOtherProcessTest {

    @Test
    void execIntoAContainerOfAnotherJvmAndAOneLineErrorOnceItIsGone() throws Exception {
        Path lib = Fixtures.TARGET.resolve("exec-other/lib");
        Path run = Fixtures.TARGET.resolve("exec-other/run");
        ContainerRuntime rt = ContainerRuntime.at(lib, run);
        RecoveryChild.Launched child = RecoveryChild.launch(Fixtures.rootfs(), lib, run, 1);
        String id = child.ids().get(0);
        int pid1 = child.pids().get(0);
        try {
            ExecResult r = rt.exec(id.substring(0, 7), Exec.builder("/bin/sh", "-c",
                    "hostname; cat /proc/1/comm; ps -o args | grep -c '^/bin/sleep 600'").build());
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo(id.substring(0, 12) + "\nmdocker-init\n1\n");

            try (ExecProcess p = rt.execStart(id, Exec.builder("/bin/sleep", "610").build())) {
                for (String ns : List.of("mnt", "uts", "ipc", "net", "pid", "cgroup")) {
                    assertThat(Files.readSymbolicLink(Path.of("/proc", Integer.toString(p.pid()), "ns", ns))).as(ns)
                            .isEqualTo(Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid1), "ns", ns)));
                }
                assertThat(Files.readString(Path.of("/proc", Integer.toString(p.pid()), "status")))
                        .contains("Seccomp:\t2", "NoNewPrivs:\t1", "CapBnd:\t00000000a80425fb");
            }
        } finally {
            child.killHard();
        }
        // The child's death ends its container (its monitor sees the socket close); the record stays.
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Files.exists(Path.of("/proc", Integer.toString(pid1))) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(Files.readString(run.resolve("containers").resolve(id).resolve("state"))).contains("exec.identity=");
        assertThatThrownBy(() -> rt.exec(id, Exec.builder("/bin/true").build()))
                .isInstanceOf(ContainerException.class)
                .hasMessage("container " + id.substring(0, 12) + " is not running: cannot exec into it");
        assertThat(rt.gc()).containsExactly(id);
        assertThat(Fixtures.list(run.resolve("containers"))).isEmpty();
    }

    @Test
    void execIntoADetachedContainerItsExecdProcessesEndWithIt() throws Exception {
        ContainerRuntime rt = ContainerRuntime.at(Fixtures.STATE.resolve("exec-detached/lib"),
                Fixtures.STATE.resolve("exec-detached/run"));
        try {
            DetachedContainer d = Container.builder().rootfs(Fixtures.rootfs()).runtime(rt).hostname("detached-box")
                    .startDetached("/bin/sleep", "600");
            ExecResult r = rt.exec(d.shortId(), Exec.builder("/bin/sh", "-c", "hostname; cat /proc/1/comm; exit 4").build());
            assertThat(r.exitCode()).as(r.stderr()).isEqualTo(4);
            assertThat(r.stdout()).isEqualTo("detached-box\nmdocker-init\n");
            try (ExecProcess p = rt.execStart(d.id(), Exec.builder("/bin/sleep", "613").build())) {
                assertThat(d.stop(java.time.Duration.ofSeconds(5))).isEqualTo(143);
                assertThat(p.waitFor(java.time.Duration.ofSeconds(10))).as("ended with its container").isTrue();
                assertThat(p.exitCode()).isEqualTo(137);
            }
            assertThatThrownBy(() -> rt.exec(d.id(), Exec.builder("/bin/true").build()))
                    .isInstanceOf(ContainerException.class)
                    .hasMessage("container " + d.shortId() + " is not running: cannot exec into it");
            d.remove(false);
        } finally {
            Leftovers.removeDetached(rt);
        }
    }
}
