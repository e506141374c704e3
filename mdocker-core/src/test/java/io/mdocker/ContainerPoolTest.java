package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestBridge;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The warm pool against the real kernel: a claimed sandbox runs the command with the claim's
 * environment and working directory; each sandbox serves one container, so the next tenant sees
 * nothing of the previous one's files, processes, hostname, network state or cgroup counters; the
 * pool refills after claims and then runs no thread; a claimed container's record names its
 * command, working directory and environment for other processes; limits hold in a claimed sandbox; close()
 * leaves nothing of its sandboxes; a changed definition is not matched; bad sizes and definitions
 * are refused in one line with nothing made. State roots of its own (target/pool-state), bridge mdp1.
 */
@TestBridge(name = ContainerPoolTest.BRIDGE, address = "10.210.1.1/24")
class ContainerPoolTest {
    static final String BRIDGE = "mdp1";
    static final Path STATE = Fixtures.TARGET.resolve("pool-state");
    static final ContainerRuntime RUNTIME = ContainerRuntime.at(STATE.resolve("lib"), STATE.resolve("run"));
    private static final Duration FILL = Duration.ofSeconds(60);

    @BeforeAll
    static void rootfs() {
        Fixtures.rootfs();
    }

    @AfterAll
    static void noPoolLeftOpen() {
        assertThat(RUNTIME.pools()).as("pools left open by a test").isEmpty();
    }

    private static Container.Builder base() {
        return Container.builder().rootfs(Fixtures.ROOTFS).runtime(RUNTIME);
    }

    /** The ids of the containers recorded on the pool's state roots now: the parked sandboxes, when nothing else runs. */
    private static Set<String> recordedIds() {
        return RUNTIME.list().stream().map(ContainerInfo::id).collect(Collectors.toSet());
    }

    @Test
    void aClaimRunsTheCommandInAParkedSandboxWithTheClaimsEnvironmentAndWorkdir() {
        Container def = base().hostname("pooled").env("A", "1").build();
        try (ContainerPool pool = RUNTIME.pool(def, 2)) {
            assertThat(pool.awaitFull(FILL)).isTrue();
            Set<String> parked = recordedIds();
            assertThat(parked).hasSize(2);

            ExecResult r = pool.run("/bin/sh", "-c", "echo $A; hostname; pwd; echo err >&2; exit 3");
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.stdout()).isEqualTo("1\npooled\n/\n");
            assertThat(r.stderr()).isEqualTo("err\n");

            // a matching definition (other environment, working directory) claims through Container.start()
            assertThat(pool.awaitFull(FILL)).isTrue();
            parked = recordedIds();
            Container variant = def.toBuilder().env("A", "2").env("B", "3").workdir("/tmp/work").build();
            try (RunningContainer c = variant.start("/bin/sh", "-c", "echo $A$B $(pwd); exec cat")) {
                assertThat(parked).contains(c.id());
                c.stdin().write("through stdin\n".getBytes());
                c.stdin().close();
                assertThat(c.waitFor(Duration.ofSeconds(10))).isTrue();
                assertThat(c.waitFor()).isZero();
                assertThat(c.logs()).isEqualTo("23 /tmp/work\nthrough stdin\n");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(pool.claims()).isEqualTo(2);
            assertThat(pool.misses()).isZero();

            // a command that cannot start: the error of a cold start, and the sandbox is gone with it
            assertThatThrownBy(() -> pool.run("/no/such/program"))
                    .isInstanceOf(ContainerException.class).hasMessageContaining("/no/such/program");
        }
        assertThat(Fixtures.recordedContainers(RUNTIME)).isEmpty();
    }

    @Test
    void aClaimedContainersRecordNamesItsCommandWorkdirAndEnvironmentForOtherProcesses() {
        Container def = base().env("A", "1").build();
        try (ContainerPool pool = RUNTIME.pool(def, 1)) {
            assertThat(pool.awaitFull(FILL)).isTrue();
            Set<String> parked = recordedIds();
            assertThat(parked).hasSize(1);
            String id = parked.iterator().next();
            assertThat(RUNTIME.inspect(id).command()).as("a parked sandbox's record").isEmpty();

            Container variant = def.toBuilder().env("A", "2").workdir("/tmp").build();
            try (RunningContainer c = variant.start("sleep", "30")) {
                assertThat(c.id()).isEqualTo(id);
                // list(), inspect and an exec by id read the record from disk, as another process does;
                // it is rewritten off the claim's path, once the command runs
                ContainerRuntime.awaitCleanup();
                assertThat(RUNTIME.list()).filteredOn(i -> i.id().equals(id)).singleElement()
                        .extracting(ContainerInfo::command).isEqualTo("sleep 30");
                assertThat(RUNTIME.inspect(id.substring(0, 12)).command()).isEqualTo("sleep 30");
                ExecResult r = RUNTIME.exec(id, Exec.builder("/bin/sh", "-c", "echo $A $(pwd)").build());
                assertThat(r.stdout()).as("an exec through the record: the claim's environment and workdir")
                        .isEqualTo("2 /tmp\n");
            }
        }
        assertThat(Fixtures.recordedContainers(RUNTIME)).isEmpty();
    }

    @Test
    void theNextTenantSeesNothingOfThePreviousOne() throws Exception {
        Container def = base().hostname("pooled").network(Network.bridge(BRIDGE, "10.210.1.1/24"))
                .capAdd(Capability.SYS_ADMIN, Capability.NET_ADMIN).memory(DataSize.ofMiB(96)).pidsLimit(64).build();
        String leave = "echo secret > /root-file && echo secret > /tmp/tmp-file && hostname changed-by-first"
                + " && ip addr add 10.99.0.1/32 dev eth0 && ip route add 10.98.0.0/24 dev eth0"
                + " && (nc -l -p 7777 </dev/null >/dev/null 2>&1 &) && (sleep 1000 &)"
                + " && dd if=/dev/zero of=/dev/shm/big bs=1M count=24 2>/dev/null && echo ready; exec sleep 600";
        String look = "cat /root-file /tmp/tmp-file /dev/shm/big 2>/dev/null | wc -c; hostname; ip addr show eth0; ip route;"
                + " netstat -ltn; ps -o args";
        try (ContainerPool pool = RUNTIME.pool(def, 2)) {
            assertThat(pool.awaitFull(FILL)).isTrue();
            Set<String> parked = recordedIds();
            try (RunningContainer first = pool.start("/bin/sh", "-c", leave)) {
                first.await(Wait.forLogLine("^ready$"));
                assertThat(parked).contains(first.id());
                // what the first tenant left is there for it (the checks below can fail)
                String seen = first.exec("/bin/sh", "-c", look).stdout();
                assertThat(seen).contains("changed-by-first", "10.99.0.1", "10.98.0.0/24", ":7777", "sleep 1000");
                ResourceStats used = first.stats();
                assertThat(used.memoryBytes()).isGreaterThan(DataSize.ofMiB(20).bytes());
                assertThat(used.pids()).isGreaterThanOrEqualTo(4);

                // a second tenant while the first runs: another sandbox
                ExecResult second = pool.run("/bin/sh", "-c", look);
                assertClean(second.stdout());
            }
            // and one after the first has gone, from the refilled pool
            assertThat(pool.awaitFull(FILL)).isTrue();
            Set<String> refilled = recordedIds();
            try (RunningContainer third = pool.start("/bin/sh", "-c", "echo ready; exec sleep 600")) {
                third.await(Wait.forLogLine("^ready$"));
                assertThat(refilled).contains(third.id());
                assertClean(third.exec("/bin/sh", "-c", look).stdout());
                ResourceStats fresh = third.stats();
                assertThat(fresh.pids()).isBetween(1L, 3L); // pid 1 and sleep (and the exec's shell, maybe gone)
                assertThat(fresh.memoryBytes()).isLessThan(DataSize.ofMiB(12).bytes());
            }
            assertThat(pool.claims()).isEqualTo(3);
        }
    }

    private static void assertClean(String seen) {
        List<String> lines = seen.lines().toList();
        assertThat(lines.getFirst().trim()).as("bytes readable of the first tenant's files").isEqualTo("0");
        assertThat(lines.get(1)).isEqualTo("pooled");
        assertThat(seen).doesNotContain("changed-by-first", "10.99.0.1", "10.98.0.0", ":7777", "sleep 1000");
    }

    @Test
    void thePoolRefillsAfterClaimsAndThenRunsNoThread() throws Exception {
        Container def = base().build();
        try (ContainerPool pool = RUNTIME.pool(def, 3)) {
            assertThat(pool.awaitFull(FILL)).isTrue();
            assertThat(pool.ready()).isEqualTo(3);
            Set<String> served = new java.util.HashSet<>();
            for (int round = 0; round < 2; round++) {
                Set<String> parked = recordedIds();
                for (int i = 0; i < 3; i++) {
                    try (RunningContainer c = pool.start("/bin/true")) {
                        assertThat(parked).contains(c.id());
                        assertThat(served.add(c.id())).as("a sandbox served twice").isTrue();
                        c.waitFor(Duration.ofSeconds(10));
                    }
                }
                assertThat(pool.awaitFull(FILL)).isTrue();
                assertThat(pool.ready()).isEqualTo(3);
            }
            assertThat(pool.claims()).isEqualTo(6);
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (refillThreads() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(refillThreads()).as("refill threads of a full pool").isZero();
            // ready sandboxes stay parked while nothing claims: no churn
            Set<String> parked = recordedIds();
            Thread.sleep(300);
            assertThat(recordedIds()).isEqualTo(parked);
        }
    }

    private static long refillThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("mdocker-pool-")).count();
    }

    @Test
    void limitsHoldInAClaimedSandbox() {
        Container def = Container.builder().layers(List.of(Fixtures.TESTBOX_LAYER, Fixtures.ROOTFS)).runtime(RUNTIME)
                .pidsLimit(16).build();
        Fixtures.withTestbox(); // the testbox layer is built
        try (ContainerPool pool = RUNTIME.pool(def, 1)) {
            assertThat(pool.awaitFull(FILL)).isTrue();
            // at most 60 children, each gone after 2 s
            ExecResult r = pool.run("testbox", "forkbomb", "60", "2");
            assertThat(pool.claims()).isEqualTo(1);
            assertThat(r.stdout()).startsWith("forked ");
            String[] f = r.stdout().trim().split(" ");
            assertThat(Integer.parseInt(f[1])).as("forked").isLessThanOrEqualTo(14); // 16 = pid 1 + testbox + 14
            assertThat(Integer.parseInt(f[3])).as("failed").isGreaterThanOrEqualTo(46);
            assertThat(f[5]).as("fork's errno: EAGAIN").isEqualTo("11");
        }
    }

    @Test
    void closeLeavesNothingOfItsSandboxes() throws Exception {
        Container def = base().network(Network.bridge(BRIDGE, "10.210.1.1/24")).memory(DataSize.ofMiB(64)).pidsLimit(32)
                .build();
        ContainerRuntime.awaitCleanup();
        Set<Long> children = ProcessHandle.current().children().map(ProcessHandle::pid).collect(Collectors.toSet());
        List<String> before = held(Set.of());
        Set<String> parked;
        List<ProcessHandle> helpers;
        ContainerPool pool = RUNTIME.pool(def, 3);
        try {
            assertThat(pool.awaitFull(FILL)).isTrue();
            parked = recordedIds();
            assertThat(parked).hasSize(3);
            helpers = ProcessHandle.current().children().filter(p -> !children.contains(p.pid())).toList();
            assertThat(helpers).as("the parked sandboxes' monitors").hasSize(3);
            // what the parked sandboxes hold, so that the check below can fail
            List<String> held = held(parked);
            for (String id : parked) {
                String s = id.substring(0, 12);
                assertThat(held).as("what " + s + " holds").anyMatch(l -> l.startsWith("state: ") && l.contains(id))
                        .anyMatch(l -> l.startsWith("cgroup: ") && l.contains(id))
                        .anyMatch(l -> l.equals("veth: mdk" + s));
            }
            assertThat(held.stream().filter(l -> l.startsWith("lease: "))).hasSize(3);
        } finally {
            pool.close();
        }
        assertThat(helpers).noneMatch(ProcessHandle::isAlive);
        assertThat(refillThreads()).isZero();
        assertThat(RUNTIME.pools()).doesNotContain(pool);
        // a veth pair goes with its network namespace, which the kernel ends asynchronously
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<String> left = held(parked);
        while (!left.equals(before) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            left = held(parked);
        }
        assertThat(left).isEqualTo(before);
    }

    /**
     * What containers {@code ids} and this class's state roots hold on the host: state directories,
     * address leases on this class's bridge, cgroup directories named for the containers (on every
     * hierarchy), their veth links, and mounts below the state roots.
     */
    private static List<String> held(Set<String> ids) throws java.io.IOException {
        List<String> out = new java.util.ArrayList<>();
        for (Path dir : List.of(RUNTIME.libRoot().resolve("containers"), RUNTIME.runRoot().resolve("containers"))) {
            Fixtures.list(dir).forEach(p -> out.add("state: " + p));
        }
        io.mdocker.testing.NetFixtures.leases(RUNTIME, BRIDGE).forEach(p -> out.add("lease: " + p.getFileName()));
        if (!ids.isEmpty()) {
            java.nio.file.Files.walkFileTree(Path.of("/sys/fs/cgroup"), Set.of(), 8, new java.nio.file.SimpleFileVisitor<>() {
                @Override
                public java.nio.file.FileVisitResult preVisitDirectory(Path d, java.nio.file.attribute.BasicFileAttributes a) {
                    if (ids.contains(d.getFileName() == null ? "" : d.getFileName().toString())) {
                        out.add("cgroup: " + d);
                    }
                    return java.nio.file.FileVisitResult.CONTINUE;
                }

                @Override
                public java.nio.file.FileVisitResult visitFileFailed(Path f, java.io.IOException e) {
                    return java.nio.file.FileVisitResult.CONTINUE; // another process's cgroup went meanwhile
                }
            });
            for (String id : ids) {
                if (java.nio.file.Files.exists(Path.of("/sys/class/net/mdk" + id.substring(0, 12)))) {
                    out.add("veth: mdk" + id.substring(0, 12));
                }
            }
        }
        Fixtures.mountinfo().lines().filter(l -> l.contains(STATE.toString())).forEach(l -> out.add("mount: " + l));
        java.util.Collections.sort(out);
        return out;
    }

    @Test
    void aChangedDefinitionIsNotMatched() {
        Container def = base().hostname("pooled").memory(DataSize.ofMiB(64)).build();
        try (ContainerPool pool = RUNTIME.pool(def, 1)) {
            assertThat(pool.awaitFull(FILL)).isTrue();
            Set<String> parked = recordedIds();
            for (Container other : List.of(def.toBuilder().hostname("other").build(),
                    def.toBuilder().memory(DataSize.ofMiB(32)).build(),
                    def.toBuilder().readOnlyRootfs(true).build(),
                    def.toBuilder().label("k", "v").build())) {
                try (RunningContainer c = other.start("/bin/true")) {
                    assertThat(parked).doesNotContain(c.id());
                }
            }
            assertThat(pool.claims()).isZero();
            assertThat(pool.ready()).isEqualTo(1);
            assertThat(recordedIds()).isEqualTo(parked);
            // the definition itself matches
            try (RunningContainer c = def.start("/bin/true")) {
                assertThat(parked).contains(c.id());
            }
            assertThat(pool.claims()).isEqualTo(1);
        }
    }

    @Test
    void badSizesAndDefinitionsAreRefusedInOneLineWithNothingMade() {
        Container def = base().build();
        for (int size : new int[] {0, -1, 65}) {
            assertThatThrownBy(() -> RUNTIME.pool(def, size)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid pool size " + size + ": expected 1 to 64 sandboxes");
        }
        assertThatThrownBy(() -> RUNTIME.pool(def.toBuilder().name("pooled-name").build(), 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name pooled-name")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> RUNTIME.pool(def.toBuilder().tty(true).build(), 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tty");
        assertThatThrownBy(() -> RUNTIME.pool(def.toBuilder().inheritIO().build(), 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inherits");
        assertThatThrownBy(() -> Fixtures.RUNTIME.pool(def, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runtime");
        assertThat(Fixtures.recordedContainers(RUNTIME)).isEmpty();
        assertThat(RUNTIME.pools()).isEmpty();
        assertThat(refillThreads()).isZero();
    }

    @Test
    void aPoolWithoutTheInitExecsTheCommandAsPid1() {
        Container def = base().init(false).build();
        try (ContainerPool pool = RUNTIME.pool(def, 1)) {
            assertThat(pool.awaitFull(FILL)).isTrue();
            ExecResult r = pool.run("/bin/sh", "-c", "echo $$");
            assertThat(r.stdout()).isEqualTo("1\n");
            assertThat(pool.claims()).isEqualTo(1);
        }
    }
}
