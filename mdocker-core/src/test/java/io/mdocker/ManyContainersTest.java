package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;
import io.mdocker.testing.TestBridge;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Many containers on one state root at once: list() and inspect (by id, name and prefix) find
 * each of them right among the others; containers run 8 at a time are all torn down by the
 * cleanup threads, leaving no record, layer or cgroup; lo is up in a container's own network
 * namespace, with network none and on a bridge (pid 1 brings it up). The benchmark's scale
 * section goes to 1,000 containers; a test stays at a few dozen.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
@TestBridge(name = ManyContainersTest.BRIDGE, address = ManyContainersTest.BRIDGE_ADDRESS)
class ManyContainersTest {
    static final String BRIDGE = "mds2";
    static final String BRIDGE_ADDRESS = "10.211.2.1/24";
    private static final int DETACHED = 24;

    private static final DetachedRoots ROOTS = new DetachedRoots();

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
    }

    @AfterAll
    static void sweep() {
        ROOTS.sweep();
    }

    @Test
    void listAndInspectFindEachOfManyDetachedContainers() {
        ContainerRuntime rt = ROOTS.runtime("many-detached");
        List<DetachedContainer> started = new ArrayList<>();
        try {
            for (int i = 0; i < DETACHED; i++) {
                started.add(Container.builder().rootfs(Fixtures.rootfs()).runtime(rt).name("many-" + i)
                        .label("index", Integer.toString(i)).build().startDetached("/bin/sleep", "600"));
            }
            Map<String, ContainerInfo> listed = rt.list().stream()
                    .collect(Collectors.toMap(ContainerInfo::id, Function.identity()));
            assertThat(listed).hasSize(DETACHED);
            for (int i = 0; i < DETACHED; i++) {
                DetachedContainer c = started.get(i);
                ContainerInfo info = listed.get(c.id());
                assertThat(info).as("container %d in list()", i).isNotNull();
                assertThat(info.running()).isTrue();
                assertThat(info.pid()).isEqualTo(c.pid()).isPositive();
                assertThat(info.name()).contains("many-" + i);
                assertThat(info.labels()).containsEntry("index", Integer.toString(i));
                assertThat(rt.inspect(c.id())).isEqualTo(info);
                assertThat(rt.inspect("many-" + i).id()).isEqualTo(c.id());
                assertThat(rt.inspect(c.id().substring(0, 12)).id()).isEqualTo(c.id());
            }
            assertThat(rt.list(ContainerFilter.label("index", "7"))).extracting(ContainerInfo::id)
                    .containsExactly(started.get(7).id());
            // a prefix no id has, and one digit that many ids start with (24 ids share 16 digits)
            String absent = absentPrefix(started);
            assertThatThrownBy(() -> rt.inspect(absent)).isInstanceOf(ContainerException.class)
                    .hasMessage("no such container: " + absent);
            String shared = sharedDigit(started);
            assertThatThrownBy(() -> rt.inspect(shared)).isInstanceOf(ContainerException.class)
                    .hasMessageStartingWith("container id prefix " + shared + " is ambiguous: it matches ");
            // one exited: listed as exited with its exit code, the others still running
            started.get(3).kill(Signal.KILL);
            assertThat(started.get(3).waitFor()).isEqualTo(137);
            ContainerInfo exited = rt.inspect(started.get(3).id());
            assertThat(exited.running()).isFalse();
            assertThat(exited.exitCode()).hasValue(137);
            assertThat(rt.list().stream().filter(ContainerInfo::running).count()).isEqualTo(DETACHED - 1);
        } finally {
            for (DetachedContainer c : started) {
                c.remove(true);
            }
        }
        assertThat(rt.list()).isEmpty();
        assertThat(Fixtures.recordedContainers(rt)).isEmpty();
        assertThat(Fixtures.list(rt.libRoot().resolve("containers"))).isEmpty();
    }

    @Test
    void runsEightAtATimeAreAllTornDown() throws Exception {
        ContainerRuntime rt = ROOTS.runtime("many-runs");
        Container spec = Container.builder().rootfs(Fixtures.rootfs()).runtime(rt).build();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < 80; i++) {
                int n = i;
                results.add(pool.submit(() -> spec.run("/bin/sh", "-c", "echo " + n)));
            }
            for (int i = 0; i < results.size(); i++) {
                ExecResult r = results.get(i).get(1, TimeUnit.MINUTES);
                assertThat(r.exitCode()).as(r.stderr()).isZero();
                assertThat(r.stdout()).isEqualTo(i + "\n");
            }
        } finally {
            pool.shutdown();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
        ContainerRuntime.awaitCleanup();
        assertThat(Fixtures.recordedContainers(rt)).isEmpty();
        assertThat(Fixtures.list(rt.libRoot().resolve("containers"))).isEmpty();
        assertThat(rt.gc()).as("nothing left for recovery").isEmpty();
        long cleaners = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("mdocker-cleanup")).count();
        assertThat(cleaners).isBetween(1L, 4L);
    }

    @Test
    void loopbackIsUpWithNetworkNoneAndOnABridge() {
        for (Network network : List.of(Network.none(), Network.bridge(BRIDGE, BRIDGE_ADDRESS))) {
            ExecResult r = Fixtures.container().network(network).run("/bin/sh", "-c",
                    "cat /sys/class/net/lo/flags; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo pong");
            assertThat(r.exitCode()).as(network + ": " + r.stderr()).isZero();
            List<String> lines = r.stdout().lines().toList();
            assertThat(Integer.decode(lines.get(0)) & 1).as(network + ": IFF_UP on lo").isEqualTo(1);
            assertThat(lines.get(1)).isEqualTo("pong");
        }
    }

    @Test
    void aSlowReaderGetsEveryLineWhileManyDescriptorsAreWatched() throws Exception {
        ContainerRuntime rt = ROOTS.runtime("many-slow-reader");
        List<DetachedContainer> idle = new ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) { // their monitors' pidfds are watched too
                idle.add(Container.builder().rootfs(Fixtures.rootfs()).runtime(rt).build().startDetached("/bin/sleep", "600"));
            }
            // far more than the stream buffers (64 KiB) before it pauses the pipe until read
            try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "seq 1 200000");
                 var in = new java.io.BufferedReader(new java.io.InputStreamReader(c.stdout()), 4096)) {
                Thread.sleep(300); // the pipe fills and is paused before anything is read
                String line;
                int expected = 1;
                while ((line = in.readLine()) != null) {
                    assertThat(line).isEqualTo(Integer.toString(expected));
                    if (expected % 20000 == 0) {
                        Thread.sleep(50); // falls behind again: paused, then resumed
                    }
                    expected++;
                }
                assertThat(expected - 1).isEqualTo(200000);
                assertThat(c.waitFor()).isZero();
            }
        } finally {
            for (DetachedContainer c : idle) {
                c.remove(true);
            }
        }
    }

    private static String absentPrefix(List<DetachedContainer> started) {
        for (int i = 0; ; i++) {
            String p = String.format("%06x", i);
            if (started.stream().noneMatch(c -> c.id().startsWith(p))) {
                return p;
            }
        }
    }

    private static String sharedDigit(List<DetachedContainer> started) {
        Map<Character, Long> byFirst = started.stream()
                .collect(Collectors.groupingBy(c -> c.id().charAt(0), Collectors.counting()));
        return byFirst.entrySet().stream().filter(e -> e.getValue() > 1).findFirst()
                .map(e -> String.valueOf(e.getKey())).orElseThrow();
    }
}
