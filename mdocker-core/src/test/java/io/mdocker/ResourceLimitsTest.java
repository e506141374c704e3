package io.mdocker;

import io.mdocker.testing.Fixtures;

import io.mdocker.internal.cgroup.CgroupLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Resource limits for real, on whatever cgroup layout the host has (hybrid here, v2 in the VM
 * that .ci/run boots). The workloads are testbox subcommands, bounded in size and time, so a
 * limit that does not hold fails the test without hurting the host.
 */
@Tag("cgroup")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ResourceLimitsTest {
    private static final long MIB = 1 << 20;

    /** The cgroup directories of every container a test started; all must be gone after it. */
    private final List<Path> dirs = new ArrayList<>();

    private RunningContainer track(RunningContainer c) {
        dirs.addAll(c.cgroupDirs());
        return c;
    }

    @AfterEach
    void everyCgroupDirectoryIsGone() {
        assertThat(dirs).allSatisfy(d -> assertThat(d).doesNotExist());
    }

    @Test
    void aMemoryHogIsOomKilledAndReportedAsSuch() throws Exception {
        ExecResult r;
        try (RunningContainer c = track(Fixtures.withTestbox().memory(DataSize.ofMiB(32)).start("testbox", "memhog", "256"))) {
            String out = new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(c.waitFor()).isEqualTo(137);
            assertThat(c.oomKilled()).isTrue();
            assertThat(c.stats().oomKills()).isPositive();
            assertThat(out).contains("allocated 8").doesNotContain("survived");
            assertThat(out).doesNotContain("allocated 40"); // the limit held: no swap beyond it
            System.out.println("[cgroup] OOM at 32 MiB: last output '" + out.strip().replace('\n', ' ')
                    + "', peak " + c.stats().memoryPeakBytes() / MIB + " MiB, oom kills " + c.stats().oomKills());
        }
        r = Fixtures.withTestbox().memory(DataSize.ofMiB(32)).run("testbox", "memhog", "256");
        assertThat(r.exitCode()).isEqualTo(137);
        assertThat(r.oomKilled()).isTrue();

        // Not every SIGKILL is an OOM kill.
        ExecResult killed = Fixtures.container().memory(DataSize.ofMiB(32)).run("/bin/sh", "-c", "kill -9 $$");
        assertThat(killed.exitCode()).isEqualTo(137);
        assertThat(killed.oomKilled()).isFalse();
        ExecResult fits = Fixtures.withTestbox().memory(DataSize.ofMiB(32)).run("testbox", "memhog", "8");
        assertThat(fits.exitCode()).isZero();
        assertThat(fits.oomKilled()).isFalse();
    }

    @Test
    void aForkBombIsContainedByThePidsLimitAndTheHostKeepsWorking() throws Exception {
        // At most 200 children, each gone after 4 s: harmless should the limit not hold.
        try (RunningContainer c = track(Fixtures.withTestbox().pidsLimit(32).start("testbox", "forkbomb", "200", "4"))) {
            BufferedReader out = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertThat(line).as("forkbomb output").isNotNull().startsWith("forked ");
            String[] f = line.split(" ");
            int forked = Integer.parseInt(f[1]);
            int failed = Integer.parseInt(f[3]);
            // 32 = mdocker-init (pid 1) + testbox + 30 children
            assertThat(forked).isLessThanOrEqualTo(30);
            assertThat(failed).isGreaterThanOrEqualTo(170);
            assertThat(f[5]).as("fork's errno: EAGAIN").isEqualTo("11");
            assertThat(c.stats().pids()).isBetween(2L, 32L);

            // The host keeps working, containers included, while the bomb holds its limit.
            ExecResult other = Fixtures.container().run("/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do /bin/true & done; wait; echo ok");
            assertThat(other.stdout()).isEqualTo("ok\n");
            Process p = new ProcessBuilder("true").start();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
            System.out.println("[cgroup] fork bomb under pids 32: " + line + ", pids.current " + c.stats().pids());
        }
    }

    @Test
    void halfACpuGetsHalfOfOneCoresTime() throws Exception {
        try (RunningContainer c = track(Fixtures.withTestbox().cpus(0.5).start("testbox", "spin", "30"))) {
            Thread.sleep(500); // past start-up
            long u0 = c.stats().cpuUsageNanos();
            long t0 = System.nanoTime();
            Thread.sleep(2000);
            long u1 = c.stats().cpuUsageNanos();
            long t1 = System.nanoTime();
            double share = (double) (u1 - u0) / (t1 - t0);
            System.out.printf("[cgroup] cpus 0.5: the cgroup used %.1f%% of one core over %.2f s%n", share * 100, (t1 - t0) / 1e9);
            assertThat(share).isCloseTo(0.5, within(0.5 * 0.15));
        }
    }

    @Test
    void cpusetPinsToCpu0() throws Exception {
        ExecResult r = Fixtures.withTestbox().cpusetCpus("0").run("testbox", "affinity");
        assertThat(r.stdout()).isEqualTo("0\n");
        try (RunningContainer c = track(Fixtures.withTestbox().cpusetCpus("0").start("testbox", "spin", "30"))) {
            // every thread of the workload, seen from the host
            for (int pid : processesOf(c)) {
                assertThat(Files.readString(Path.of("/proc", Integer.toString(pid), "status")))
                        .contains("Cpus_allowed_list:\t0\n");
            }
        }
    }

    @Test
    void cpusetMemsSetsTheMemoryNodes() throws Exception {
        try (RunningContainer c = track(Fixtures.container().cpusetMems("0").start("/bin/sh", "-c",
                "grep Mems_allowed_list /proc/self/status; sleep 30"))) {
            String line = new java.io.BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8)).readLine();
            assertThat(line).isEqualTo("Mems_allowed_list:\t0");
            // written, not inherited: on v2 a cgroup's own cpuset.mems stays empty unless set
            Path dir = c.cgroupDirs().stream().filter(d -> Files.exists(d.resolve("cpuset.mems"))).findFirst().orElseThrow();
            assertThat(Files.readString(dir.resolve("cpuset.mems")).strip()).isEqualTo("0");
        }
    }

    @Test
    void statsArePlausibleAndChangeAsTheContainerAllocates() throws Exception {
        try (RunningContainer c = track(Fixtures.withTestbox().memory(DataSize.ofMiB(128)).pidsLimit(64)
                .start("/bin/sh", "-c", "read go; exec testbox hold 48 30"))) {
            ResourceStats before = c.stats();
            assertThat(before.memoryBytes()).isBetween(1L, 48 * MIB);
            assertThat(before.pids()).isBetween(2L, 4L); // init and sh
            assertThat(before.cpuUsageNanos()).isPositive();
            assertThat(before.oomKills()).isZero();

            OutputStream in = c.stdin();
            in.write("go\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            BufferedReader out = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("ready");

            ResourceStats after = c.stats();
            assertThat(after.memoryBytes() - before.memoryBytes()).isGreaterThanOrEqualTo(40 * MIB);
            assertThat(after.memoryBytes()).isLessThan(128 * MIB);
            if (after.memoryPeakBytes() >= 0) {
                assertThat(after.memoryPeakBytes()).isGreaterThanOrEqualTo(after.memoryBytes());
            }
            assertThat(after.cpuUsageNanos()).isGreaterThan(before.cpuUsageNanos());
            assertThat(after.pids()).isBetween(2L, 4L);
            System.out.printf("[cgroup] stats: memory %d -> %d KiB (peak %d KiB), cpu %d -> %d us, pids %d -> %d%n",
                    before.memoryBytes() >> 10, after.memoryBytes() >> 10, after.memoryPeakBytes() >> 10,
                    before.cpuUsageNanos() / 1000, after.cpuUsageNanos() / 1000, before.pids(), after.pids());
        }
    }

    @Test
    void noContainerProcessIsEverOutsideItsCgroup() throws Exception {
        try (RunningContainer c = track(Fixtures.withTestbox().memory(DataSize.ofMiB(64)).cpus(1).pidsLimit(64)
                .start("/bin/sh", "-c", "cat /proc/self/cgroup; echo end; sleep 60 & sleep 60 & wait"))) {
            // What the command saw first: every hierarchy's root, i.e. it started inside its own cgroups.
            BufferedReader out = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
            List<String> seen = new ArrayList<>();
            for (String l; (l = out.readLine()) != null && !l.equals("end"); ) {
                seen.add(l);
            }
            assertThat(seen).isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(":/"));

            // From the host: the set of processes in its PID namespace is exactly each cgroup's.
            Set<Integer> inNamespace = waitForProcesses(c, 4); // init, sh, sleep, sleep
            for (Path dir : c.cgroupDirs()) {
                assertThat(new HashSet<>(procs(dir))).as(dir.toString()).isEqualTo(inNamespace);
            }
            assertThat(inNamespace).contains(c.pid());
        }
    }

    @Test
    void teardownKillsProcessesThatJoinedFromOutside() throws Exception {
        Process outsider = new ProcessBuilder("sleep", "120").start();
        try {
            try (RunningContainer c = track(Fixtures.container().pidsLimit(16).start("/bin/sleep", "60"))) {
                for (Path dir : c.cgroupDirs()) {
                    Files.writeString(dir.resolve("cgroup.procs"), Long.toString(outsider.pid()));
                }
            } // close: the container goes, the outsider is still in its cgroups and must be killed
            assertThat(outsider.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(outsider.exitValue()).isEqualTo(137);
        } finally {
            outsider.destroyForcibly();
        }
    }

    @Test
    void hostLayoutIsDetected() {
        CgroupLayout l = CgroupLayout.host();
        System.out.println("[cgroup] layout: " + l.describe());
        assertThat(l.kind()).isNotEqualTo(CgroupLayout.Kind.NONE);
        for (String c : List.of("memory", "cpu", "cpuset", "pids")) {
            assertThat(l.has(c)).as(c).isTrue();
        }
    }

    private static List<Integer> procs(Path dir) throws IOException {
        List<Integer> pids = new ArrayList<>();
        for (String s : Files.readAllLines(dir.resolve("cgroup.procs"))) {
            pids.add(Integer.parseInt(s.trim()));
        }
        return pids;
    }

    /** The host pids in the container's PID namespace, once there are {@code n} of them. */
    private static Set<Integer> waitForProcesses(RunningContainer c, int n) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        Set<Integer> pids;
        do {
            pids = new HashSet<>(processesOf(c));
            if (pids.size() >= n) {
                return pids;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("expected " + n + " processes in container " + c.shortId() + ", found " + pids);
    }

    /** Host pids whose PID namespace is the container's (pid 1's). */
    private static List<Integer> processesOf(RunningContainer c) throws IOException {
        Path ns = Files.readSymbolicLink(Path.of("/proc", Integer.toString(c.pid()), "ns", "pid"));
        List<Integer> pids = new ArrayList<>();
        try (var s = Files.list(Path.of("/proc"))) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    if (Files.readSymbolicLink(p.resolve("ns/pid")).equals(ns)) {
                        pids.add(Integer.parseInt(name));
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        return pids;
    }
}
