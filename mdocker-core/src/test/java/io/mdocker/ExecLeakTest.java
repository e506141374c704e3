package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** After many execs nothing is left: descriptors, threads, child processes, processes in the container. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ExecLeakTest {

    @Test
    void twoHundredExecsLeaveNothingBehind() throws Exception {
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "600")) {
            // Warm up: every path once, so class loading and the reaper thread are not counted.
            c.exec("/bin/true");
            c.exec(Exec.builder("cat").input(new byte[64 * 1024]).build()); // input fed by a virtual thread
            try (ExecProcess p = c.execStart("/bin/sleep", "611")) {
                p.kill(Signal.KILL);
            }
            c.exec(Exec.builder("/bin/true").tty(true).build()); // the terminal's path
            try {
                c.exec("/missing");
            } catch (ExecFailedException expected) {
                // loads the error path's classes too
            }
            ContainerRuntime.awaitCleanup(); // what earlier tests' run() left to the cleanup thread (monitors, fds)
            int fdsBefore = Fixtures.openFds();
            int threadsBefore = ManagementFactory.getThreadMXBean().getThreadCount();
            List<Long> childrenBefore = children();

            for (int i = 0; i < 200; i++) {
                switch (i % 6) {
                    case 0 -> assertThat(c.exec("/bin/true").exitCode()).isZero();
                    case 1 -> assertThat(c.exec(Exec.builder("/bin/sh", "-c", "cat; echo err >&2; exit 3").input("in").build())
                            .exitCode()).isEqualTo(3);
                    case 2 -> {
                        try {
                            c.exec("/missing");
                        } catch (ExecFailedException expected) {
                            assertThat(expected.exitCode()).isEqualTo(127);
                        }
                    }
                    case 3 -> assertThat(c.exec(Exec.builder("/bin/sh", "-c", "tty; exit 5").tty(true).build()).stdout())
                            .isEqualTo("/dev/pts/0\r\n");
                    case 4 -> {
                        try (ExecProcess p = c.execStart(Exec.builder("/bin/sleep", "613").tty(true).build())) {
                            assertThat(p.isRunning()).isTrue();
                        } // close() kills; the terminal ends with it
                    }
                    default -> {
                        try (ExecProcess p = c.execStart("/bin/sleep", "612")) {
                            assertThat(p.isRunning()).isTrue();
                        } // close() kills
                    }
                }
            }

            ContainerRuntime.awaitCleanup();
            assertThat(Fixtures.openFds()).isEqualTo(fdsBefore);
            assertThat(ManagementFactory.getThreadMXBean().getThreadCount()).isLessThanOrEqualTo(threadsBefore);
            assertThat(children()).as("every joiner reaped").isEqualTo(childrenBefore);
            assertThat(c.stats().pids()).as("only init and the command are left in the container").isEqualTo(2);
            assertThat(c.exec("ls", "/dev/pts").stdout()).as("no pseudo-terminal left in the container's devpts")
                    .isEqualTo("ptmx\n");
            // pid 1 is mdocker-init with its one argument (the namespaces it was cloned with, in hex)
            List<String> ps = c.exec("ps", "-o", "args").stdout().lines().skip(1).toList();
            assertThat(ps).hasSize(3);
            assertThat(ps.get(0)).matches("mdocker-init [0-9a-f]+");
            assertThat(ps.subList(1, 3)).containsExactly("/bin/sleep 600", "ps -o args");
        }
    }

    private static List<Long> children() {
        return ProcessHandle.current().children().map(ProcessHandle::pid).sorted().toList();
    }
}
