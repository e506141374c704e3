package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestBridge;
import io.mdocker.testing.NetFixtures;

import io.mdocker.internal.net.ContainerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A JVM killed with SIGKILL leaves address leases behind; the next runtime gives them back. */
@TestBridge(name = NetFixtures.BRIDGE, address = NetFixtures.BRIDGE_ADDRESS,
        vethRules = {NetFixtures.VETH_CONTAINER + "/32", NetFixtures.VETH_SUBNET})
class NetworkRecoveryTest {

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
    }

    @Test
    void leasesAndVethPairsOfAKilledJvmAreRemoved() throws Exception {
        Path rootfs = Fixtures.rootfs();
        Path lib = Fixtures.TARGET.resolve("recovery-net/lib");
        Path run = Fixtures.TARGET.resolve("recovery-net/run");
        // The bridge is made by this JVM's test runtime: its leases live under that runtime's run
        // root, and the child (on other roots) must use them too.
        Fixtures.container().network(NetFixtures.bridge()).run("/bin/true");
        assertThat(ContainerNetwork.awaitReleases(Duration.ofSeconds(20))).isTrue();
        List<String> vethBefore = NetFixtures.vethLinks();

        RecoveryChild.Launched child = RecoveryChild.launch(rootfs, lib, run, 3,
                NetFixtures.BRIDGE + "," + NetFixtures.BRIDGE_ADDRESS);
        List<String> ids = child.ids();
        List<Integer> pids = child.pids();
        for (String[] f : child.started()) {
            assertThat(f[3]).startsWith("10.201.0.");
        }
        assertThat(NetFixtures.vethLinks()).containsAll(ids.stream().map(id -> "mdk" + id.substring(0, 12)).toList());
        assertThat(NetFixtures.leases(Fixtures.RUNTIME, NetFixtures.BRIDGE)).hasSize(3);
        assertThat(NetFixtures.host("nft", "list", "table", "bridge", "mdocker")).as("the bridge's anti-spoofing guard")
                .contains(ids.stream().map(id -> "\"mdk" + id.substring(0, 12) + "\"").toList());
        child.killHard();
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (int pid : pids) {
            while (Files.exists(Path.of("/proc", Integer.toString(pid))) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        }
        // Nobody gave the leases back: their containers' entries are still there.
        assertThat(NetFixtures.leases(Fixtures.RUNTIME, NetFixtures.BRIDGE)).hasSize(3);

        List<String> removed = ContainerRuntime.at(lib, run).gc();
        assertThat(removed).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(NetFixtures.leases(Fixtures.RUNTIME, NetFixtures.BRIDGE)).isEmpty();
        assertThat(NetFixtures.vethLinks()).isEqualTo(vethBefore);
        assertThat(NetFixtures.host("nft", "list", "table", "bridge", "mdocker")).as("the guard after gc")
                .doesNotContain(ids.stream().map(id -> "mdk" + id.substring(0, 12)).toList());
        assertThat(Fixtures.list(run.resolve("containers"))).isEmpty();
    }
}
