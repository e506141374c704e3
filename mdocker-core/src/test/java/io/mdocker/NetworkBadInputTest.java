package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestBridge;
import io.mdocker.testing.NetFixtures;

import io.mdocker.internal.net.ContainerNetwork;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad network input: one line naming the value and what was expected, before anything is created. */
@TestBridge(name = NetFixtures.BRIDGE, address = NetFixtures.BRIDGE_ADDRESS,
        vethRules = {NetFixtures.VETH_CONTAINER + "/32", NetFixtures.VETH_SUBNET})
class NetworkBadInputTest {
    private static final ContainerRuntime FRESH =
            ContainerRuntime.at(Fixtures.TARGET.resolve("bad-net/lib"), Fixtures.TARGET.resolve("bad-net/run"));

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
    }

    private static Container.Builder fresh() {
        return Container.builder().rootfs(Fixtures.rootfs()).runtime(FRESH);
    }

    @Test
    void malformedAddressesAndSubnets() {
        assertThatThrownBy(() -> Network.bridge("mdt0", "10.201.0.300/24")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid bridge address '10.201.0.300/24': expected four decimal octets 0-255 like 10.200.1.1");
        assertThatThrownBy(() -> Network.bridge("mdt0", "10.201.0.1"))
                .hasMessage("invalid bridge address '10.201.0.1': expected an address with its subnet's prefix length, like 10.200.1.1/24");
        assertThatThrownBy(() -> Network.bridge("mdt0", "10.201.0.1/33"))
                .hasMessage("invalid bridge address '10.201.0.1/33': expected an IPv4 address with a prefix length of 0-32, like 10.200.1.1/24");
        assertThatThrownBy(() -> Network.bridge("mdt0", "10.201.0.1/31"))
                .hasMessageStartingWith("invalid bridge address '10.201.0.1/31': expected a prefix length of 8 to 30");
        assertThatThrownBy(() -> Network.bridge("mdt0", "fd00::1/64"))
                .hasMessage("invalid bridge address 'fd00::1/64': expected an IPv4 address like 10.200.1.1 (IPv6 is not supported)");
        assertThatThrownBy(() -> Network.bridge("mdt0", "127.0.0.1/24")).hasMessageStartingWith("invalid bridge address '127.0.0.1/24'");
        assertThatThrownBy(() -> Network.veth("10.201.9.1", "10.201.9"))
                .hasMessage("invalid veth container address '10.201.9': expected an IPv4 address like 10.200.1.1");
        assertThatThrownBy(() -> Network.veth("10.201.9.1", "10.201.9.1"))
                .hasMessage("invalid veth addresses: host and container both have 10.201.9.1");
        assertThatThrownBy(() -> Network.parse("bridged"))
                .hasMessage("invalid network 'bridged': expected none, host, bridge, pasta or container:NAME");
    }

    @Test
    void anAddressOutsideTheSubnet() {
        assertThatThrownBy(() -> NetFixtures.bridge().withAddress("10.202.0.5")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("container address 10.202.0.5 is outside the subnet 10.201.0.0/24 of bridge mdt0: expected an address in it");
        assertThatThrownBy(() -> NetFixtures.bridge().withAddress("10.201.0.1"))
                .hasMessageStartingWith("container address 10.201.0.1 is the bridge's own address");
        assertThatThrownBy(() -> Network.veth("10.201.9.1/24", "10.201.10.2/24"))
                .hasMessage("veth container address 10.201.10.2 is outside the host address's subnet 10.201.9.0/24: expected an address in it");
        assertThatThrownBy(() -> Network.veth("10.201.9.1/24", "10.201.9.2"))
                .hasMessageContaining("expected both without a prefix (point-to-point) or both with the same prefix length");
    }

    @Test
    void aBridgeNameTooLongForTheKernel() {
        assertThatThrownBy(() -> Network.bridge("mdocker-bridge-16", "10.201.0.1/24")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid bridge name 'mdocker-bridge-16': expected 1 to 15 bytes, the kernel's limit for interface names (IFNAMSIZ 16)");
        assertThatThrownBy(() -> Network.bridge("md t0", "10.201.0.1/24"))
                .hasMessage("invalid bridge name 'md t0': expected printable ASCII without whitespace, '/', ':' or '%'");
        assertThat(Network.bridge("mdocker-bridge1", "10.201.0.1/24").bridgeName().orElseThrow()).hasSize(15);
    }

    @Test
    void malformedPublishedPorts() {
        assertThatThrownBy(() -> PortMapping.parse("8080:80/udp")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid published port '8080:80/udp': protocol 'udp' is not supported, only tcp");
        assertThatThrownBy(() -> PortMapping.parse("http"))
                .hasMessage("invalid published port 'http': expected [IP:][HOSTPORT:]CONTAINERPORT[/tcp], like 8080:80 or 127.0.0.1:0:80");
        assertThatThrownBy(() -> PortMapping.parse("70000:80"))
                .hasMessage("invalid published port '70000:80': invalid host port 70000: expected 0 (any free port) to 65535");
        assertThatThrownBy(() -> PortMapping.parse("localhost:8080:80"))
                .hasMessageStartingWith("invalid published port 'localhost:8080:80': invalid published host address 'localhost'");
        assertThat(PortMapping.parse("127.0.0.1:0:80")).isEqualTo(new PortMapping("127.0.0.1", 0, 80));
        assertThat(PortMapping.parse("127.0.0.1::80/tcp")).isEqualTo(new PortMapping("127.0.0.1", 0, 80));
        assertThat(PortMapping.parse("8080:80")).isEqualTo(new PortMapping("0.0.0.0", 8080, 80));
        assertThat(PortMapping.parse("80")).isEqualTo(new PortMapping("0.0.0.0", 0, 80));
        assertThatThrownBy(() -> fresh().publish(8080, 80).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("published port 0.0.0.0:8080->80/tcp needs a bridge, veth or pasta network, but the network is none: "
                        + "expected network(Network.bridge()) or no published ports");
        assertThatThrownBy(() -> fresh().network(NetFixtures.bridge()).publish(8080, 80).publish("127.0.0.1", 8080, 81))
                .hasMessageStartingWith("host port 8080 is published twice");
        assertNothingCreated();
    }

    @Test
    void aSubnetOverlappingAHostRouteIsRefusedBeforeAnythingIsMade() {
        fresh().network(NetFixtures.bridge()).run("/bin/true"); // mdt0 with its route 10.201.0.0/24 now exists
        assertThat(ContainerNetwork.awaitReleases(Duration.ofSeconds(20))).isTrue();
        List<String> links = NetFixtures.vethLinks();
        assertThatThrownBy(() -> fresh().network(Network.bridge("mdt1", "10.201.0.129/25")).run("/bin/true"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("subnet of bridge mdt1 10.201.0.128/25 overlaps the host route 10.201.0.0/24")
                .hasMessageEndingWith(": expected a subnet no host interface uses");
        assertThatThrownBy(() -> fresh().network(Network.veth("10.201.0.77", "10.201.0.78")).run("/bin/true"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("veth host address 10.201.0.77/32 overlaps the host route 10.201.0.0/24");
        assertThat(NetFixtures.host("ip", "-o", "link", "show", "mdt1")).doesNotContain("mdt1:");
        assertThat(NetFixtures.vethLinks()).isEqualTo(links);
        assertNothingCreated();
    }

    @Test
    void aBridgeNameTakenByAnotherKindOfInterface() {
        assertThatThrownBy(() -> fresh().network(Network.bridge("lo", "10.201.3.1/24")).run("/bin/true"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interface lo exists and is not a bridge: expected a bridge name that is free or names a bridge");
        assertNothingCreated();
    }

    @Test
    void aHostPortAlreadyBound() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> fresh().network(NetFixtures.bridge()).publish("127.0.0.1", port, 80).run("/bin/true"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cannot publish host port 127.0.0.1:" + port + " (for container port 80): Address already in use"
                            + ": expected a free port (0 picks one)");
            // a port list where only the second fails leaves the first unbound again
            int[] first = new int[1];
            try (ServerSocket probe = new ServerSocket(0)) {
                first[0] = probe.getLocalPort();
            }
            assertThatThrownBy(() -> fresh().network(NetFixtures.bridge()).publish(first[0], 81).publish("127.0.0.1", port, 80)
                    .run("/bin/true")).isInstanceOf(IllegalArgumentException.class);
            try (ServerSocket again = new ServerSocket(first[0])) {
                assertThat(again.getLocalPort()).isEqualTo(first[0]);
            }
        }
        assertThat(ContainerNetwork.awaitReleases(Duration.ofSeconds(20))).isTrue();
        assertNothingCreated();
    }

    private static void assertNothingCreated() {
        assertThat(Fixtures.list(FRESH.libRoot().resolve("containers"))).isEmpty();
        assertThat(Fixtures.list(FRESH.runRoot().resolve("containers"))).isEmpty();
        assertThat(NetFixtures.leases(FRESH, "mdt0")).isEmpty();
        assertThat(NetFixtures.leases(Fixtures.RUNTIME, "mdt0")).isEmpty();
        assertThat(NetFixtures.vethLinks()).noneMatch(l -> l.startsWith("mdk"));
    }
}
