package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestBridge;
import io.mdocker.testing.NetFixtures;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two JVMs start 50 containers each at the same time on one pair of state roots, on one bridge,
 * with cgroup limits: no two containers share an id, a cgroup directory, a writable layer or an
 * address; once both JVMs have closed their containers and exited, nothing of them is left.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
@TestBridge(name = SeveralJvmsTest.BRIDGE, address = SeveralJvmsTest.BRIDGE_ADDRESS)
class SeveralJvmsTest {
    static final String BRIDGE = "mdt18";
    static final String BRIDGE_ADDRESS = "10.201.18.1/24";
    static final int PER_JVM = 50;

    @BeforeAll
    static void network() {
        NetFixtures.prerequisites();
    }

    @Test
    void twoJvmsStartingFiftyContainersEachCollideInNothingAndLeaveNothing() throws Exception {
        Path rootfs = Fixtures.rootfs();
        ContainerRuntime rt = ContainerRuntime.at(Fixtures.STATE.resolve("several/lib"), Fixtures.STATE.resolve("several/run"));
        String[] options = {"limits", BRIDGE + "," + BRIDGE_ADDRESS, "stdin"};
        Process a = RecoveryChild.spawn(rootfs, rt.libRoot(), rt.runRoot(), PER_JVM, options);
        Process b = RecoveryChild.spawn(rootfs, rt.libRoot(), rt.runRoot(), PER_JVM, options);
        List<String[]> started = new ArrayList<>();
        List<Leftovers> made = new ArrayList<>();
        try {
            for (Process p : List.of(a, b)) {
                started.addAll(RecoveryChild.awaitStarted(p, PER_JVM).started());
            }
            assertThat(started).hasSize(2 * PER_JVM);

            List<String> ids = started.stream().map(f -> f[1]).toList();
            List<String> addresses = started.stream().map(f -> f[3]).toList();
            List<String> cgroups = started.stream().flatMap(f -> Arrays.stream(f[4].split(","))).toList();
            assertThat(new HashSet<>(ids)).as("ids").hasSize(2 * PER_JVM);
            assertThat(addresses).allSatisfy(ip -> assertThat(ip).startsWith("10.201.18."));
            assertThat(new HashSet<>(addresses)).as("addresses").hasSize(2 * PER_JVM);
            assertThat(cgroups).as("cgroup directories").doesNotHaveDuplicates().allSatisfy(d -> assertThat(Path.of(d)).isDirectory());
            Set<Path> layers = new HashSet<>();
            for (String id : ids) {
                Path layer = rt.libRoot().resolve("containers").resolve(id);
                assertThat(layer.resolve("upper")).isDirectory();
                layers.add(layer);
                made.add(Leftovers.of(rt, id));
            }
            assertThat(layers).as("writable layers").hasSize(2 * PER_JVM);
            assertThat(rt.list()).extracting(ContainerInfo::id).containsExactlyInAnyOrderElementsOf(ids);
        } finally {
            a.getOutputStream().close(); // each child closes its containers and exits
            b.getOutputStream().close();
            assertThat(a.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(b.waitFor(120, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(a.exitValue()).isZero();
        assertThat(b.exitValue()).isZero();
        made.forEach(Leftovers::assertGone);
        assertThat(NetFixtures.leases(rt, BRIDGE)).as("leases on " + BRIDGE).isEmpty();
        assertThat(Fixtures.list(rt.runRoot().resolve("containers"))).isEmpty();
        assertThat(Fixtures.list(rt.libRoot().resolve("containers"))).isEmpty();
    }
}
