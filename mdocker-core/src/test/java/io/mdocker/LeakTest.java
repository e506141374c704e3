package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

/** After many containers nothing is left: mounts, descriptors, threads, state directories. */
class LeakTest {

    @Test
    void twoHundredRunsLeaveNothingBehind() {
        // Warm up: the reaper thread, the init memfd and the class loading happen once per JVM.
        Fixtures.container().run("/bin/true");
        try {
            Fixtures.container().run("/missing");
        } catch (ExecFailedException expected) {
            // loads the error path's classes too
        }
        Fixtures.container().tty(true).run("/bin/true"); // the terminal's path
        ContainerRuntime.awaitCleanup(); // the warm-up's teardown and its spare monitor's spawn
        String mountsBefore = Fixtures.mountinfo();
        // what other tests keep on the shared roots (none, unless one failed) is not this test's
        var libBefore = Fixtures.list(Fixtures.RUNTIME.libRoot().resolve("containers"));
        var runBefore = Fixtures.list(Fixtures.RUNTIME.runRoot().resolve("containers"));
        int fdsBefore = Fixtures.openFds();
        int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();

        for (int i = 0; i < 200; i++) {
            switch (i % 6) {
                case 0 -> assertThat(Fixtures.container().run("/bin/true").exitCode()).isZero();
                case 1 -> assertThat(Fixtures.container().run("/bin/sh", "-c", "echo out; echo err >&2; exit 3").exitCode())
                        .isEqualTo(3);
                case 2 -> {
                    try {
                        Fixtures.container().run("/missing");
                    } catch (ExecFailedException expected) {
                        // exec failure path
                    }
                }
                case 3 -> assertThat(Fixtures.container().tty(true).run("/bin/sh", "-c", "tty; exit 4").stdout())
                        .isEqualTo("/dev/pts/0\r\n");
                case 4 -> {
                    try (RunningContainer c = Fixtures.container().tty(true).start("/bin/sleep", "60")) {
                        assertThat(c.isRunning()).isTrue();
                    } // close() kills; the terminal ends with it
                }
                default -> {
                    try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
                        assertThat(c.isRunning()).isTrue();
                    } // close() kills
                }
            }
        }

        ContainerRuntime.awaitCleanup(); // run() leaves the deletion of its files to the cleanup thread
        assertThat(Fixtures.mountinfo()).isEqualTo(mountsBefore);
        assertThat(Fixtures.openFds()).isEqualTo(fdsBefore);
        assertThat(ManagementFactory.getThreadMXBean().getThreadCount()).isLessThanOrEqualTo(threadsBefore);
        assertThat(Fixtures.list(Fixtures.RUNTIME.libRoot().resolve("containers"))).containsExactlyInAnyOrderElementsOf(libBefore);
        assertThat(Fixtures.list(Fixtures.RUNTIME.runRoot().resolve("containers"))).containsExactlyInAnyOrderElementsOf(runBefore);
    }
}
