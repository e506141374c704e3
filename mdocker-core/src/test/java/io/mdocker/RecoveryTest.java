package io.mdocker;

import io.mdocker.testing.Fixtures;

import io.mdocker.internal.security.DevicesCgroupV1;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JVM killed with SIGKILL takes its containers with it, and the next runtime removes the rest; a
 * JVM that exits normally closes them itself.
 */
class RecoveryTest {

    @Test
    void containersDieWithTheirJvmAndTheNextRuntimeRemovesWhatIsLeft() throws Exception {
        Path rootfs = Fixtures.rootfs();
        Path lib = Fixtures.TARGET.resolve("recovery/lib");
        Path run = Fixtures.TARGET.resolve("recovery/run");
        RecoveryChild.Launched child = RecoveryChild.launch(rootfs, lib, run, 10);
        List<String> ids = child.ids();
        List<Integer> pids = child.pids();
        for (int pid : pids) {
            assertThat(Path.of("/proc", Integer.toString(pid))).exists();
        }
        child.killHard();

        // Each monitor sees its socket close and kills its container.
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (int pid : pids) {
            while (Files.exists(Path.of("/proc", Integer.toString(pid))) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(Path.of("/proc", Integer.toString(pid))).as("container pid 1 " + pid).doesNotExist();
        }
        // Their directories and records are still there: nobody was left to remove them.
        Path devices = DevicesCgroupV1.mountPoint().map(m -> m.resolve("mdocker")).orElse(null);
        for (String id : ids) {
            assertThat(lib.resolve("containers").resolve(id)).exists();
            assertThat(run.resolve("containers").resolve(id)).exists();
            if (devices != null) {
                assertThat(devices.resolve(id)).as("the devices cgroup of " + id).exists();
            }
        }

        // A new runtime on the same roots removes them before its first container.
        ContainerRuntime next = ContainerRuntime.at(lib, run);
        ExecResult r = Container.builder().rootfs(rootfs).runtime(next).run("/bin/true");
        assertThat(r.exitCode()).isZero();
        ContainerRuntime.awaitCleanup(); // run() leaves its own teardown to the cleanup thread
        assertThat(Fixtures.list(lib.resolve("containers"))).isEmpty();
        assertThat(Fixtures.list(run.resolve("containers"))).isEmpty();
        if (devices != null) {
            for (String id : ids) {
                assertThat(devices.resolve(id)).as("the devices cgroup of " + id).doesNotExist();
            }
        }
    }

    @Test
    void aJvmExitingNormallyClosesItsRunningContainersAndRemovesAllTheyHad() throws Exception {
        Path rootfs = Fixtures.rootfs();
        Path lib = Fixtures.TARGET.resolve("recovery-exit/lib");
        Path run = Fixtures.TARGET.resolve("recovery-exit/run");
        RecoveryChild.Launched child = RecoveryChild.launch(rootfs, lib, run, 2, "limits", "exit");
        assertThat(child.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(child.process().exitValue()).as("the child JVM's status, after its actions at exit").isZero();
        Path devices = DevicesCgroupV1.mountPoint().map(m -> m.resolve("mdocker")).orElse(null);
        for (String[] started : child.started()) {
            String id = started[1];
            assertThat(Path.of("/proc", started[2])).as("pid 1 of " + id).doesNotExist();
            for (String dir : started[4].split(",")) {
                assertThat(Path.of(dir)).as("a cgroup of " + id).doesNotExist();
            }
            if (devices != null) {
                assertThat(devices.resolve(id)).as("the devices cgroup of " + id).doesNotExist();
            }
        }
        assertThat(Fixtures.list(lib.resolve("containers"))).as("writable layers").isEmpty();
        assertThat(Fixtures.list(run.resolve("containers"))).as("state records").isEmpty();
        assertThat(Fixtures.mountinfo()).doesNotContain(child.ids().get(0)).doesNotContain(child.ids().get(1));
    }

    @Test
    void gcKeepsTheLocksOfThisJvmsContainers() throws Exception {
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
            Fixtures.RUNTIME.gc();
            // fcntl locks are the process's: had gc opened and closed our own lock file, it would
            // have dropped the lock, and another JVM's recovery would take the container for dead.
            Path lock = Fixtures.RUNTIME.runRoot().resolve("containers").resolve(c.id()).resolve("lock");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process probe = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockProbe.class.getName(),
                    lock.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String answer = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertThat(probe.waitFor()).isZero();
            assertThat(answer).isEqualTo("held");
        }
    }

    @Test
    void gcLeavesLiveContainersAlone() {
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
            assertThat(Fixtures.RUNTIME.gc()).doesNotContain(c.id());
            assertThat(c.isRunning()).isTrue();
            assertThat(Fixtures.RUNTIME.runRoot().resolve("containers").resolve(c.id())).exists();
        }
    }
}
