package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Docker's pause and unpause: every process of the container frozen by its cgroups' freezer (v2
 * cgroup.freeze, v1 freezer; this runs in the cgroup v2 guest too), exec refused meanwhile, and a
 * signal or close thaws it so that it takes effect.
 */
@Tag("cgroup")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class PauseTest {
    /** Counts in /tmp/n, twenty times a second. */
    private static final String[] COUNTER = {"/bin/sh", "-c", "i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.05; done"};
    private static final DetachedRoots ROOTS = new DetachedRoots();
    private static final ContainerRuntime RT = ROOTS.runtime("pause");

    @AfterAll
    static void sweep() {
        ROOTS.sweep();
    }

    private static Container.Builder container() {
        return Container.builder().rootfs(Fixtures.rootfs()).runtime(RT);
    }

    /** The counter's value, read from the host through pid 1's root (a frozen process need not run for that). */
    private static long count(int pid) throws Exception {
        Path n = Path.of("/proc", Integer.toString(pid), "root", "tmp", "n");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            String s = Files.exists(n) ? Files.readString(n).trim() : "";
            if (!s.isEmpty()) {
                return Long.parseLong(s);
            }
            assertThat(System.nanoTime()).as("the counter starts").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static void awaitCountAbove(int pid, long value) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (count(pid) <= value) {
            assertThat(System.nanoTime()).as("the counter goes on past " + value).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    @Test
    void aPausedContainerStandsStillRefusesExecAndGoesOnWhenUnpaused() throws Exception {
        try (RunningContainer c = container().start(COUNTER)) {
            awaitCountAbove(c.pid(), 2);
            c.pause();
            assertThat(c.isPaused()).isTrue();
            assertThat(RT.inspect(c.id()).state()).isEqualTo(ContainerInfo.State.PAUSED);
            long frozenAt = count(c.pid());
            Thread.sleep(400); // eight counts if it ran
            assertThat(count(c.pid())).as("counted while paused").isEqualTo(frozenAt);
            assertThatThrownBy(() -> c.exec("true")).isInstanceOf(ContainerException.class)
                    .hasMessage("container " + c.shortId() + " is paused: unpause it before exec");
            assertThatThrownBy(() -> RT.exec(c.id(), Exec.builder("true").build())).isInstanceOf(ContainerException.class)
                    .hasMessage("container " + c.shortId() + " is paused: unpause it before exec");

            c.unpause();
            assertThat(c.isPaused()).isFalse();
            assertThat(RT.inspect(c.id()).state()).isEqualTo(ContainerInfo.State.RUNNING);
            awaitCountAbove(c.pid(), frozenAt);
            assertThat(c.exec("true").exitCode()).isZero();

            c.pause();
            assertThat(c.stop(Duration.ofSeconds(10))).as("SIGTERM takes effect: stop thaws").isEqualTo(143);
            assertThatThrownBy(c::pause).isInstanceOf(ContainerException.class)
                    .hasMessage("container " + c.shortId() + " is not running: cannot pause it");
        }
    }

    @Test
    void closingAPausedContainerEndsIt() throws Exception {
        RunningContainer c = container().start(COUNTER);
        awaitCountAbove(c.pid(), 1);
        c.pause();
        long t0 = System.nanoTime();
        c.close();
        assertThat(c.isRunning()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("no kill grace waited out").isLessThan(Duration.ofSeconds(4));
        ContainerRuntime.awaitCleanup();
        assertThat(RT.list()).noneMatch(i -> i.id().equals(c.id()));
    }

    @Test
    void anyProcessPausesADetachedContainerAndAKillWhilePausedTakesEffect() throws Exception {
        DetachedContainer started = container().startDetached(COUNTER);
        DetachedContainer d = RT.attach(started.id()); // all it has is the record
        Leftovers made = Leftovers.of(RT, d.id());
        awaitCountAbove(d.pid(), 1);
        d.pause();
        assertThat(started.isPaused()).isTrue();
        assertThat(RT.list()).filteredOn(i -> i.id().equals(d.id())).singleElement()
                .satisfies(i -> assertThat(i.state()).isEqualTo(ContainerInfo.State.PAUSED));
        long frozenAt = count(d.pid());
        Thread.sleep(300);
        assertThat(count(d.pid())).isEqualTo(frozenAt);
        assertThat(d.kill(Signal.KILL)).isTrue();
        assertThat(d.waitFor(Duration.ofSeconds(10))).as("killed while paused").isTrue();
        assertThat(d.exitCode()).isEqualTo(OptionalInt.of(137));
        assertThatThrownBy(d::unpause).isInstanceOf(ContainerException.class)
                .hasMessage("container " + d.shortId() + " is not running: cannot unpause it");
        d.remove(false);
        made.assertGone();
    }
}
