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
 * kernel's default, 1); a container sends only from its own MAC and address (another source
 * address, another MAC, an ARP claiming another container's address: dropped by the bridge's
 * nftables guard, while the same probes from its own address and MAC go through), and its
 * elements leave the guard with it. Uses mdt70 and mdt71 only; traffic stays between the
 * containers.
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

    /** A container that may change its addresses (CAP_NET_ADMIN), as an attacker with that capability would. */
    private static Container.Builder withNetAdmin() {
        return on(A, A_ADDRESS).capAdd(Capability.NET_ADMIN);
    }

    @Test
    void aContainerCannotSendFromAnotherContainersAddress() {
        try (RunningContainer target = on(A, A_ADDRESS).start("/bin/sleep", "60")) {
            String b = target.ipAddress().orElseThrow();
            String spoofed = A_ADDRESS.replace(".1/24", ".200");
            ExecResult r = withNetAdmin().run("/bin/sh", "-c", "own=$(ip -4 -o addr show eth0 | sed 's/.*inet \\([0-9.]*\\).*/\\1/');"
                    + "ping -c 1 -W 2 -I $own " + b + " >/dev/null 2>&1 && echo own:reached || echo own:unreachable;"
                    + "ip addr add " + spoofed + "/24 dev eth0 || exit 9;"
                    + "ping -c 1 -W 2 -I " + spoofed + " " + b + " >/dev/null 2>&1 && echo spoofed:reached || echo spoofed:unreachable");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            // counterpart: the same ping from the container's own address gets its answer
            assertThat(r.stdout().lines().toList()).containsExactly("own:reached", "spoofed:unreachable");
        }
    }

    @Test
    void aContainerCannotSendFromAnotherMac() {
        try (RunningContainer target = on(A, A_ADDRESS).start("/bin/sleep", "60")) {
            String b = target.ipAddress().orElseThrow();
            ExecResult r = withNetAdmin().run("/bin/sh", "-c", "own=$(cat /sys/class/net/eth0/address);"
                    + "p() { ping -c 1 -W 2 " + b + " >/dev/null 2>&1 && echo $1:reached || echo $1:unreachable; };"
                    + "p own; ip link set dev eth0 address 02:42:0a:c9:46:ee || exit 9; ip neigh flush dev eth0 >/dev/null; p spoofed;"
                    + "ip link set dev eth0 address $own; ip neigh flush dev eth0 >/dev/null; p own-again");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout().lines().toList()).containsExactly("own:reached", "spoofed:unreachable", "own-again:reached");
        }
    }

    @Test
    void anArpClaimForAnotherContainersAddressDoesNotReachTheOthers() throws IOException {
        try (RunningContainer victim = on(A, A_ADDRESS).start("/bin/sleep", "60");
             RunningContainer impersonated = on(A, A_ADDRESS).start("/bin/sleep", "60");
             RunningContainer attacker = withNetAdmin().start("/bin/sleep", "60")) {
            String v = victim.ipAddress().orElseThrow();
            String c = impersonated.ipAddress().orElseThrow();
            String x = attacker.ipAddress().orElseThrow();
            String cMac = mac(impersonated);
            String xMac = mac(attacker);
            assertThat(victim.exec("/bin/sh", "-c", "ping -c 1 -W 2 " + c + " >/dev/null; cat /proc/net/arp").stdout())
                    .as("the victim has learnt the impersonated container's MAC").contains(c + " ").contains(cMac);
            // the attacker claims c's address: gratuitously, then in requests to the victim (each of
            // which would update the victim's entry for c once its lock time, 1 s, has passed)
            // (busybox's arping sends only from an address of the container's: with CAP_NET_ADMIN it adds c's)
            ExecResult claim = attacker.exec("/bin/sh", "-c", "ip addr add " + c + "/32 dev eth0 && sleep 1.5 && arping -U -c 2 -s "
                    + c + " -I eth0 " + c + "; arping -c 2 -s " + c + " -I eth0 " + v + "; ip addr del " + c + "/32 dev eth0");
            assertThat(claim.stderr()).as("the claim was sent").doesNotContain("arping:");
            assertThat(arpEntry(victim.exec("/bin/cat", "/proc/net/arp").stdout(), c)).as("the victim's ARP entry for " + c)
                    .contains(cMac);
            // counterpart: an ARP request from the attacker's own address reaches the victim, which learns it
            attacker.exec("/bin/sh", "-c", "arping -c 1 -I eth0 " + v);
            assertThat(arpEntry(victim.exec("/bin/cat", "/proc/net/arp").stdout(), x)).as("the victim's ARP entry for the attacker " + x).contains(xMac);
        }
    }

    private static String mac(RunningContainer c) throws IOException {
        return Files.readString(Path.of("/proc", String.valueOf(c.pid()), "root/sys/class/net/eth0/address")).strip();
    }

    private static String arpEntry(String procNetArp, String ip) {
        return procNetArp.lines().filter(l -> l.startsWith(ip + " ")).findFirst().orElse("(no entry for " + ip + ")");
    }

    @Test
    void aContainersGuardElementsGoWithIt() {
        String veth;
        try (RunningContainer c = on(A, A_ADDRESS).start("/bin/sleep", "60")) {
            veth = "mdk" + c.id().substring(0, 12);
            assertThat(nftTable()).as("the guard while the container runs").contains("\"" + veth + "\" . " + c.ipAddress().orElseThrow());
        }
        assertThat(nftTable()).as("the guard after the container").doesNotContain(veth);
    }

    private static String nftTable() {
        return NetFixtures.host("nft", "list", "table", "bridge", "mdocker");
    }
}
