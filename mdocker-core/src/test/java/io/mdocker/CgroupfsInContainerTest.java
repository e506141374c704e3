package io.mdocker;

import io.mdocker.testing.Fixtures;

import io.mdocker.internal.cgroup.CgroupLayout;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The container's /sys/fs/cgroup, as Docker's: its own cgroups only (the cgroup namespace's
 * root), read-only unless privileged, so that a program inside reads its limits where it looks
 * for them (a JVM sizes its heap and CPU count from them). Runs on the host's layout: v1
 * hierarchies here, cgroup2 in the VM that .ci/run boots.
 */
@Tag("cgroup")
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CgroupfsInContainerTest {
    private static final boolean V1 = CgroupLayout.host().v1("memory") != null;
    /** Where the memory and pids files are inside the container, and what they are called. */
    private static final String MEMORY_MAX = V1 ? "/sys/fs/cgroup/memory/memory.limit_in_bytes" : "/sys/fs/cgroup/memory.max";
    private static final String PIDS_MAX = V1 ? "/sys/fs/cgroup/pids/pids.max" : "/sys/fs/cgroup/pids.max";
    private static final String CPU_QUOTA = V1 ? "/sys/fs/cgroup/cpu/cpu.cfs_quota_us" : "/sys/fs/cgroup/cpu.max";

    @Test
    void theCommandReadsItsOwnLimits() {
        ExecResult r = Fixtures.container().memory(DataSize.ofMiB(64)).pidsLimit(50).cpus(0.5)
                .run("/bin/sh", "-c", "cat " + MEMORY_MAX + " " + PIDS_MAX + " " + CPU_QUOTA);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout().lines().toList()).containsExactly(
                Long.toString(64L << 20), "50", V1 ? "50000" : "50000 100000");
    }

    @Test
    void itShowsTheContainersCgroupsAsRootsAndNothingOfTheHost() {
        ExecResult r = Fixtures.container().run("/bin/sh", "-c",
                "cat /proc/self/cgroup; echo ---; find /sys/fs/cgroup -mindepth " + (V1 ? 2 : 1) + " -type d; echo ---;"
                        + " grep ' /sys/fs/cgroup' /proc/self/mountinfo");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        String[] parts = r.stdout().split("---\n", -1);
        assertThat(parts).hasSize(3);
        // every hierarchy the container has a cgroup in names it "/" (the namespace's root)
        List<String> managed = parts[0].lines()
                .filter(l -> l.startsWith("0::") || l.matches("\\d+:[a-z,]*(memory|pids|cpu|cpuset|freezer)[a-z,]*:.*"))
                .toList();
        assertThat(managed).isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(":/"));
        assertThat(parts[1]).as("directories below the container's own cgroups").isEmpty();
        List<String> mounts = parts[2].lines().toList();
        assertThat(mounts).isNotEmpty().allSatisfy(l -> {
            String[] f = l.split(" ");
            assertThat(f[3]).as("mount root of " + l).isEqualTo("/");
            assertThat(f[5]).as("mount options of " + l).startsWith("ro,");
        });
        if (V1) {
            assertThat(mounts).anyMatch(l -> l.contains(" /sys/fs/cgroup/memory ") && l.contains(" - cgroup "))
                    .anyMatch(l -> l.contains(" /sys/fs/cgroup/pids ") && l.contains(" - cgroup "))
                    .anyMatch(l -> l.contains(" /sys/fs/cgroup/devices ") && l.contains(" - cgroup "))
                    .anyMatch(l -> l.contains(" /sys/fs/cgroup ") && l.contains(" - tmpfs "));
        } else {
            assertThat(mounts).hasSize(1).allMatch(l -> l.contains(" /sys/fs/cgroup ") && l.contains(" - cgroup2 "));
        }
    }

    @Test
    void itIsReadOnlyUnlessPrivileged() throws Exception {
        ExecResult denied = Fixtures.container().pidsLimit(50).run("/bin/sh", "-c",
                "echo 40 > " + PIDS_MAX + " && echo written; cat " + PIDS_MAX);
        assertThat(denied.stdout()).doesNotContain("written").contains("50");
        assertThat(denied.stderr()).contains("Read-only file system");

        // Privileged: mounted read-write. On v1 the container can then change its own limits (as
        // with Docker); on v2 the kernel refuses writes to a cgroup namespace root's control files
        // (EPERM), whatever the mount: only delegated files such as cgroup.procs are writable there.
        try (RunningContainer c = Fixtures.container().pidsLimit(50).privileged(true).start("/bin/sh", "-c",
                "grep ' /sys/fs/cgroup' /proc/self/mountinfo; echo 40 > " + PIDS_MAX + " && echo written; echo done; sleep 30")) {
            String out = readUntil(c, "done\n");
            List<String> mounts = out.lines().filter(l -> l.contains(" /sys/fs/cgroup")).toList();
            assertThat(mounts).filteredOn(l -> l.contains(" - cgroup")).isNotEmpty()
                    .allSatisfy(l -> assertThat(l.split(" ")[5]).startsWith("rw,"));
            Path hostSide = c.cgroupDirs().stream().filter(d -> Files.exists(d.resolve("pids.max"))).findFirst().orElseThrow();
            if (V1) {
                assertThat(out).contains("written");
                assertThat(Files.readString(hostSide.resolve("pids.max")).strip()).isEqualTo("40");
            } else {
                assertThat(out).doesNotContain("written");
                assertThat(Files.readString(hostSide.resolve("pids.max")).strip()).isEqualTo("50");
            }
            c.kill(Signal.KILL);
        }
    }

    private static String readUntil(RunningContainer c, String end) throws java.io.IOException {
        StringBuilder out = new StringBuilder();
        java.io.InputStream in = c.stdout();
        int b;
        while (!out.toString().endsWith(end) && (b = in.read()) >= 0) {
            out.append((char) b);
        }
        return out.toString();
    }
}
