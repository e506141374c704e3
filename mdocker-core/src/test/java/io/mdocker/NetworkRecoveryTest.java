package io.mdocker;

import io.mdocker.internal.net.ContainerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A JVM killed with SIGKILL leaves address leases behind; the next runtime gives them back. */
class NetworkRecoveryTest {
    private static String ipForwardBefore;

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
        ipForwardBefore = NetFixtures.ipForward();
    }

    @AfterAll
    static void cleanUp() {
        NetFixtures.cleanUp(ipForwardBefore);
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

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), RecoveryChild.class.getName(),
                rootfs.toString(), lib.toString(), run.toString(), "3", NetFixtures.BRIDGE + "," + NetFixtures.BRIDGE_ADDRESS)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> ids = new ArrayList<>();
        List<Integer> pids = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (int i = 0; i < 3; i++) {
                String line = r.readLine();
                assertThat(line).as("child JVM output").isNotNull().startsWith("started ");
                String[] f = line.split(" ");
                ids.add(f[1]);
                pids.add(Integer.parseInt(f[2]));
                assertThat(f[3]).startsWith("10.201.0.");
            }
            assertThat(NetFixtures.vethLinks()).containsAll(ids.stream().map(id -> "mdk" + id.substring(0, 12)).toList());
            assertThat(NetFixtures.leases(Fixtures.RUNTIME, NetFixtures.BRIDGE)).hasSize(3);
            child.destroyForcibly(); // SIGKILL: no shutdown hook runs
            child.waitFor();
        }
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
        assertThat(Fixtures.list(run.resolve("containers"))).isEmpty();
    }
}
