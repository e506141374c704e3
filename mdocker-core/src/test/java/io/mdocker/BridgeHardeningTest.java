package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;
import io.mdocker.testing.TestBridge;
import io.mdocker.testing.TestBridgeExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Layer 2 and 3 hardening of bridge networks, checked from inside containers'
 * namespaces: two mdocker bridges do not forward into each other (a container on one cannot
 * reach a container on the other, while two on the same bridge can); a container's eth0 has
 * rp_filter 1 (its loopback, untouched, reads 0: the check sees the namespace's own values);
 * the bridge and the veth host ends have accept_ra 0 (a link mdocker did not make keeps the
 * kernel's default, 1). Uses mdt70 and mdt71 only; traffic stays between the containers.
 */
@TestBridge(name = BridgeHardeningTest.A, address = BridgeHardeningTest.A_ADDRESS)
class BridgeHardeningTest {
    static final String A = "mdt70";
    static final String A_ADDRESS = "10.201.70.1/24";
    static final String B = "mdt71";
    static final String B_ADDRESS = "10.201.71.1/24";

    private static String ipForwardBefore;

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
        ipForwardBefore = TestBridgeExtension.ipForward();
    }

    @AfterAll
    static void removeSecondBridge() {
        TestBridgeExtension.removeBridge(B, B_ADDRESS, ipForwardBefore);
    }

    private static Container.Builder on(String bridge, String address) {
        return Fixtures.container().network(Network.bridge(bridge, address));
    }

    private static ExecResult ping(Container.Builder from, String ip) {
        return from.run("/bin/sh", "-c", "ping -c 1 -W 2 " + ip + " >/dev/null 2>&1 && echo reached || echo unreachable");
    }

    @Test
    void aContainerOnOneBridgeCannotReachOneOnAnother() {
        try (RunningContainer onA = on(A, A_ADDRESS).start("/bin/sleep", "60");
             RunningContainer onB = on(B, B_ADDRESS).start("/bin/sleep", "60")) {
            String a = onA.ipAddress().orElseThrow();
            String b = onB.ipAddress().orElseThrow();
            // counterpart: the same probe reaches a container on its own bridge
            assertThat(ping(on(A, A_ADDRESS), a).stdout().strip()).as("mdt70 to mdt70").isEqualTo("reached");
            assertThat(ping(on(B, B_ADDRESS), b).stdout().strip()).as("mdt71 to mdt71").isEqualTo("reached");
            assertThat(ping(on(A, A_ADDRESS), b).stdout().strip()).as("mdt70 to mdt71").isEqualTo("unreachable");
            assertThat(ping(on(B, B_ADDRESS), a).stdout().strip()).as("mdt71 to mdt70").isEqualTo("unreachable");
        }
    }

    @Test
    void aContainersEth0HasStrictReversePathFiltering() {
        ExecResult r = on(A, A_ADDRESS).run("/bin/sh", "-c",
                "cat /proc/sys/net/ipv4/conf/eth0/rp_filter /proc/sys/net/ipv4/conf/lo/rp_filter");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        // eth0: 1 (strict); lo, which mdocker leaves alone, still reads the namespace's default 0
        assertThat(r.stdout().lines().toList()).containsExactly("1", "0");
    }

    @Test
    void theBridgeAndTheVethHostEndAcceptNoRouterAdvertisements() throws IOException {
        Path bridgeRa = Path.of("/proc/sys/net/ipv6/conf", A, "accept_ra");
        Fixtures.prerequisite(Files.exists(Path.of("/proc/sys/net/ipv6/conf/default/accept_ra")), "IPv6 is off on this host");
        try (RunningContainer c = on(A, A_ADDRESS).start("/bin/sleep", "60")) {
            assertThat(Files.readString(bridgeRa).strip()).as(bridgeRa.toString()).isEqualTo("0");
            String veth = Files.list(Path.of("/sys/class/net", A, "brif")).findFirst().orElseThrow().getFileName().toString();
            assertThat(Files.readString(Path.of("/proc/sys/net/ipv6/conf", veth, "accept_ra")).strip())
                    .as("accept_ra of the veth host end " + veth).isEqualTo("0");
            // counterpart: the kernel's default for a new link is 1, so the check can see the difference
            assertThat(Files.readString(Path.of("/proc/sys/net/ipv6/conf/default/accept_ra")).strip()).isEqualTo("1");
        }
    }
}
