package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.mdocker.internal.cgroup.CgroupLayout;

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

        assertThat(d.stop(Duration.ofSeconds(5))).isEqualTo(143);
        made.assertReleased();
        d.remove(false);
        made.assertGone();
    }

    /**
     * What a service manager does to stop a service (systemd's KillMode=control-group): kill every
     * process in the service's cgroup on the hierarchies it tracks processes by. A detached
     * container started by a process of that service goes on running.
     */
    @Test
    void itOutlivesTheServiceThatStartedItWhenEveryProcessOfTheServiceCgroupIsKilled() throws Exception {
        List<CgroupLayout.Hierarchy> tracking = CgroupLayout.host().tracking();
        assertThat(tracking).as("a unified or named hierarchy to track processes by").isNotEmpty();
        List<Path> services = new ArrayList<>();
        try {
            for (CgroupLayout.Hierarchy h : tracking) {
                services.add(Files.createDirectory(h.mount().resolve("mdocker-test-service-" + ProcessHandle.current().pid())));
            }
            // The child JVM enters the service's cgroups, then starts a detached container and waits.
            String enter = String.join("; ", services.stream().map(s -> "echo $$ > " + s.resolve("cgroup.procs")).toList());
            List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", enter + "; exec \"$0\" \"$@\""));
            cmd.addAll(RecoveryChild.command(Fixtures.rootfs(), RUNTIME.libRoot(), RUNTIME.runRoot(), 1, "detached:1"));
            Process service = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String id = RecoveryChild.awaitStarted(service, 1).ids().get(0);
            DetachedContainer d = RUNTIME.attach(id);
            Leftovers made = Leftovers.of(RUNTIME, id);
            int monitor = parentOf(d.pid());
            for (Path s : services) {
                assertThat(procs(s)).as("the service's processes in " + s).contains(service.pid());
            }

            for (Path s : services) { // the service manager stops the service
                killAll(s);
            }
            assertThat(service.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(d.isRunning()).as("the detached container after its service was killed").isTrue();
            assertThat(Path.of("/proc", Integer.toString(d.pid()))).exists();
            assertThat(Files.readString(Path.of("/proc", Integer.toString(monitor), "cgroup")))
                    .contains("/" + io.mdocker.internal.cgroup.MonitorCgroups.NAME);

            d.stop(Duration.ofSeconds(5));
            d.remove(false);
            made.assertGone();
            for (CgroupLayout.Hierarchy h : tracking) {
                assertThat(h.mount().resolve(io.mdocker.internal.cgroup.MonitorCgroups.NAME))
                        .as("removed once its last monitor exited").doesNotExist();
            }
        } finally {
            for (Path s : services) {
                killAll(s);
                Files.deleteIfExists(s);
            }
        }
    }

    private static int parentOf(int pid) throws java.io.IOException {
        String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        return Integer.parseInt(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }

    private static List<Long> procs(Path cgroup) throws java.io.IOException {
        return Files.readAllLines(cgroup.resolve("cgroup.procs")).stream().filter(l -> !l.isBlank()).map(Long::parseLong)
                .toList();
    }

    /** SIGKILL to every process in {@code cgroup} (only this test's child is ever put there), until it is empty. */
    private static void killAll(Path cgroup) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<Long> left;
        while (!(left = procs(cgroup)).isEmpty()) {
            left.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            assertThat(System.nanoTime()).as("processes left in " + cgroup + ": " + left).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
