package io.mdocker.internal.process;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.InitProcess.StdioPlan;
import io.mdocker.internal.sys.Posix;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Monitors spawned ahead of need: served when they can be, replaced, and never used dead. */
class MonitorPoolTest {
    private static final StdioPlan CAPTURE = new StdioPlan(Redirect.DISCARD, Redirect.CAPTURE,
            new ByteArrayOutputStream(), Redirect.CAPTURE, new ByteArrayOutputStream());
    private static final long NAMESPACES = Linux.CLONE_NEWNS() | Linux.CLONE_NEWPID() | Linux.CLONE_NEWUTS();

    @Test
    void whatCanBeServedByAllPipeMonitors() {
        Redirect[] pipes = {Redirect.PIPE, Redirect.PIPE, Redirect.PIPE};
        assertThat(InitProcess.canServe(pipes, CAPTURE)).isTrue();
        assertThat(InitProcess.canServe(pipes, new StdioPlan(Redirect.PIPE, Redirect.PIPE, null, Redirect.DISCARD, null)))
                .isTrue();
        assertThat(InitProcess.canServe(pipes, new StdioPlan(Redirect.INHERIT, Redirect.INHERIT, null,
                Redirect.INHERIT, null))).isFalse();
        Redirect[] inherit = {Redirect.INHERIT, Redirect.INHERIT, Redirect.INHERIT};
        assertThat(InitProcess.canServe(inherit, new StdioPlan(Redirect.INHERIT, Redirect.INHERIT, null,
                Redirect.INHERIT, null))).isTrue();
        assertThat(InitProcess.canServe(inherit, CAPTURE)).isFalse();
    }

    @Test
    void aMonitorKilledWhileIdleIsNeverHandedOut() throws Exception {
        // A take and its replenish leave a replacement spawning; wait until it is idle.
        InitProcess first = MonitorPool.take(CAPTURE, NAMESPACES);
        MonitorPool.replenish(NAMESPACES);
        List<Integer> idle = awaitIdle();
        assertThat(idle).isNotEmpty();
        int victim = idle.get(0);
        Posix.kill(victim, 9);
        awaitGone(victim);

        InitProcess second = MonitorPool.take(CAPTURE, NAMESPACES);
        assertThat(second.pid()).isNotEqualTo(victim);
        assertThat(second.exited()).isFalse();
        for (InitProcess p : List.of(first, second)) {
            p.killMonitor();
            p.finished().get();
            p.close();
        }
        assertEquals(List.of(), MonitorPool.idlePids().stream().filter(p -> p == victim).toList());
    }

    private static List<Integer> awaitIdle() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (MonitorPool.idlePids().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        return MonitorPool.idlePids();
    }

    private static void awaitGone(int pid) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        // The reaper reaps it: /proc/PID disappears.
        while (Files.exists(Path.of("/proc", Integer.toString(pid))) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(Path.of("/proc", Integer.toString(pid))).doesNotExist();
    }
}
