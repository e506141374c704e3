package io.mdocker;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A detached container's cgroups (on each layout: this runs in the cgroup v2 guest too) hold its
 * limit while it runs and are released as soon as a process sees it exited; rm leaves nothing.
 */
@Tag("cgroup")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DetachedCgroupTest {

    private static final ContainerRuntime RUNTIME = ContainerRuntime.at(Fixtures.STATE.resolve("detached-cgroup/lib"),
            Fixtures.STATE.resolve("detached-cgroup/run"));

    @org.junit.jupiter.api.AfterAll
    static void removeWhatAFailureLeft() {
        Leftovers.removeDetached(RUNTIME);
    }

    @Test
    void itsCgroupsHoldTheLimitAndAreReleasedAtItsExit() throws Exception {
        DetachedContainer d = Container.builder().rootfs(Fixtures.rootfs()).runtime(RUNTIME).memory(DataSize.ofMiB(48)).pidsLimit(32).startDetached("/bin/sleep", "600");
        Leftovers made = Leftovers.of(RUNTIME, d.id());
        assertThat(made.cgroupDirs()).isNotEmpty().allSatisfy(dir -> assertThat(dir).isDirectory());
        Path memory = made.cgroupDirs().stream().filter(dir -> Files.exists(dir.resolve("memory.max"))
                || Files.exists(dir.resolve("memory.limit_in_bytes"))).findFirst().orElseThrow();
        String limit = Files.exists(memory.resolve("memory.max")) ? Files.readString(memory.resolve("memory.max"))
                : Files.readString(memory.resolve("memory.limit_in_bytes"));
        assertThat(limit.strip()).isEqualTo(Long.toString(48L << 20));
        String procs = Files.readString(memory.resolve("cgroup.procs"));
        assertThat(procs.lines().toList()).contains(Integer.toString(d.pid()));

        assertThat(d.stop(Duration.ofSeconds(5))).hasValue(143);
        made.assertReleased();
        d.remove(false);
        made.assertGone();
    }
}
