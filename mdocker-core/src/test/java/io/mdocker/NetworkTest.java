package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestBridge;
import io.mdocker.testing.NetFixtures;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static io.mdocker.testing.NetFixtures.BRIDGE;
import static io.mdocker.testing.NetFixtures.HTTPD;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The network modes against the kernel, with real containers. Traffic goes only to loopback and
 * to addresses inside the namespaces these containers made; the bridge and subnets are test-only
 * and removed afterwards (with their rules, checked by {@link TestBridge}).
 */
@TestBridge(name = NetFixtures.BRIDGE, address = NetFixtures.BRIDGE_ADDRESS,
        vethRules = {NetFixtures.VETH_CONTAINER + "/32", NetFixtures.VETH_SUBNET})
class NetworkTest {

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
    }

    private static Container.Builder onBridge() {
        return Fixtures.container().network(NetFixtures.bridge());
    }

    @Test
    void noneHasOnlyLoopbackAndItIsUp() {
        ExecResult r = Fixtures.container().run("/bin/sh", "-c", "ls /sys/class/net; cat /sys/class/net/lo/flags; ip -o addr");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines.get(0)).isEqualTo("lo");
        assertThat(Integer.decode(lines.get(1)) & 1).as("IFF_UP on lo").isEqualTo(1);
        assertThat(r.stdout()).contains("inet 127.0.0.1/8").doesNotContain("eth0");
    }

    @Test
    void noneIsTheDefaultAndLoopbackWorks() {
        assertThat(Container.builder().rootfs(Fixtures.rootfs()).build().network()).isEqualTo(Network.none());
        ExecResult r = Fixtures.container().run("/bin/sh", "-c",
                "httpd -p 127.0.0.1:80 -h /etc && wget -q -O - http://127.0.0.1/passwd | head -1");
        assertThat(r.stdout()).as(r.stderr()).startsWith("root:");
    }

    @Test
    void hostSeesTheHostsInterfaces() throws IOException {
        List<String> hostLinks;
        try (Stream<Path> s = Files.list(Path.of("/sys/class/net"))) {
            hostLinks = s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("mdk")).sorted().toList();
        }
        ExecResult r = Fixtures.container().network(Network.host()).run("/bin/sh", "-c", "ls /sys/class/net");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout().lines().filter(n -> !n.startsWith("mdk")).sorted().toList()).isEqualTo(hostLinks);
        // and the host's name servers (a copy), not the rootfs's
        ExecResult dns = Fixtures.container().network(Network.host()).run("/bin/cat", "/etc/resolv.conf");
        assertThat(dns.stdout()).isEqualTo(Files.readString(Path.of("/etc/resolv.conf")));
    }

    @Test
    void bridgeGivesEth0ItsAddressAndADefaultRoute() {
        try (RunningContainer c = onBridge().hostname("web").start("/bin/sh", "-c",
                "ip -o -4 addr show eth0; ip route; cat /sys/class/net/eth0/address /etc/hosts /etc/resolv.conf; "
                        + "cat /etc/hostname")) {
            assertThat(c.waitFor()).isZero();
            // the mount points come from the shared init layer: nothing was written into the container's own layer
            assertThat(Fixtures.RUNTIME.libRoot().resolve("containers").resolve(c.id()).resolve("upper/etc")).doesNotExist();
            String ip = c.ipAddress().orElseThrow();
            assertThat(ip).startsWith("10.201.0.").isNotEqualTo("10.201.0.1");
            String out = new String(readAll(c), StandardCharsets.UTF_8);
            assertThat(out).contains("eth0    inet " + ip + "/24 brd 10.201.0.255")
                    .contains("default via 10.201.0.1 dev eth0")
                    .contains(ip + "\tweb")
                    .contains("127.0.0.1\tlocalhost")
                    .contains("nameserver ")
                    .endsWith("web\n");
            String[] octets = ip.split("\\.");
            assertThat(out).contains(String.format("02:42:%02x:%02x:%02x:%02x", Integer.parseInt(octets[0]),
                    Integer.parseInt(octets[1]), Integer.parseInt(octets[2]), Integer.parseInt(octets[3])));
        }
        assertThat(NetFixtures.host("ip", "-o", "link", "show", BRIDGE)).contains("UP").contains("alias mdocker leases");
    }

    @Test
    void anImageWhoseEtcIsASymbolicLinkKeepsIt() throws IOException {
        Path top = Fixtures.TARGET.resolve("etc-symlink-layer");
        if (!Files.exists(top)) {
            Files.createDirectories(top.resolve("conf"));
            Files.writeString(top.resolve("conf/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
            Files.createSymbolicLink(top.resolve("etc"), Path.of("conf"));
        }
        ExecResult r = Fixtures.container().layers(List.of(top, Fixtures.rootfs())).network(NetFixtures.bridge()).hostname("linked")
                .run("/bin/sh", "-c", "readlink /etc; cat /etc/passwd; grep linked /etc/hosts");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).startsWith("conf\nroot:x:0:0:root:/root:/bin/sh\n").contains("\tlinked");
    }

    private static byte[] readAll(RunningContainer c) {
        try {
            return c.stdout().readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void theHostReachesAServerInTheContainerOnItsAddressAndThroughAPublishedPort() {
        try (RunningContainer c = onBridge().hostname("srv").publish("127.0.0.1", 0, 80).start(HTTPD)) {
            String ip = c.ipAddress().orElseThrow();
            assertThat(NetFixtures.httpGet(ip, 80, Duration.ofSeconds(10))).isEqualTo("hello srv\n");
            int port = c.mappedPort(80);
            assertThat(port).isPositive();
            assertThat(c.ports()).containsExactly(new PortMapping("127.0.0.1", port, 80));
            assertThat(NetFixtures.httpGet("127.0.0.1", port, Duration.ofSeconds(10))).isEqualTo("hello srv\n");
            // many connections at once through the proxy
            List<String> bodies = java.util.stream.IntStream.range(0, 20).parallel()
                    .mapToObj(i -> NetFixtures.httpGet("127.0.0.1", port, Duration.ofSeconds(10))).toList();
            assertThat(bodies).containsOnly("hello srv\n");
        }
    }

    @Test
    void aPortPublishedOnEveryAddressIsReachableOnLoopback() throws IOException {
        int free;
        try (ServerSocket probe = new ServerSocket(0)) {
            free = probe.getLocalPort();
        }
        try (RunningContainer c = onBridge().hostname("all").publish(free, 80).start(HTTPD)) {
            assertThat(c.mappedPort(80)).isEqualTo(free);
            assertThat(NetFixtures.httpGet("127.0.0.1", free, Duration.ofSeconds(10))).isEqualTo("hello all\n");
        }
        try (ServerSocket again = new ServerSocket(free)) {
            assertThat(again.getLocalPort()).as("the published port is free again after close").isEqualTo(free);
        }
    }

    @Test
    void twoContainersOnTheBridgeReachEachOther() {
        try (RunningContainer server = onBridge().hostname("one").start(HTTPD)) {
            String ip = server.ipAddress().orElseThrow();
            ExecResult r = onBridge().run("/bin/sh", "-c",
                    "for i in $(seq 100); do wget -q -O - http://" + ip + "/ && exit 0; usleep 50000; done; exit 1");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo("hello one\n");
        }
    }

    @Test
    void aFixedAddressIsUsedAndHeld() {
        Network fixed = NetFixtures.bridge().withAddress("10.201.0.200");
        try (RunningContainer c = Fixtures.container().network(fixed).start("/bin/sleep", "60")) {
            assertThat(c.ipAddress()).contains("10.201.0.200");
            ContainerInfo inspected = Fixtures.RUNTIME.inspect(c.shortId()); // attached, as any process reads it
            assertThat(inspected.id()).isEqualTo(c.id());
            assertThat(inspected.detached()).isFalse();
            assertThat(inspected.network()).isEqualTo("bridge");
            assertThat(inspected.ipAddress()).contains("10.201.0.200");
            assertThat(inspected.pid()).isEqualTo(c.pid());
            assertThat(org.assertj.core.api.Assertions.catchThrowable(
                    () -> Fixtures.container().network(fixed).run("/bin/true")))
                    .isInstanceOf(ContainerException.class).hasMessageContaining("10.201.0.200 is already leased");
        }
    }

    @Test
    void twentyConcurrentContainersGetTwentyDistinctAddresses() throws Exception {
        List<RunningContainer> started = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<RunningContainer>> futures = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                futures.add(pool.submit(() -> onBridge().start("/bin/sh", "-c", "ip -o -4 addr show eth0; exec sleep 60")));
            }
            for (Future<RunningContainer> f : futures) {
                started.add(f.get());
            }
            Set<String> addresses = new HashSet<>();
            for (RunningContainer c : started) {
                String ip = c.ipAddress().orElseThrow();
                addresses.add(ip);
                String line = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8)).readLine();
                assertThat(line).as("eth0 inside " + c.shortId()).contains("inet " + ip + "/24");
            }
            assertThat(addresses).hasSize(20).allMatch(a -> a.startsWith("10.201.0."));
            assertThat(NetFixtures.leases(Fixtures.RUNTIME, BRIDGE)).hasSize(20);
        } finally {
            pool.shutdownNow();
            for (RunningContainer c : started) {
                c.close();
            }
        }
    }

    @Test
    void aHundredRunsLeaveNoVethLeaseOrPortRuleAndOneMasqueradeRule() throws IOException {
        onBridge().run("/bin/true"); // the bridge and its rules exist from here on
        assertThat(io.mdocker.internal.net.ContainerNetwork.awaitReleases(Duration.ofSeconds(20))).isTrue();
        List<String> vethBefore = NetFixtures.vethLinks();
        List<String> rulesBefore = NetFixtures.iptablesRules();
        List<java.nio.file.Path> recordsBefore = Fixtures.list(Fixtures.RUNTIME.runRoot().resolve("containers"));
        String linksBefore = NetFixtures.host("ip", "-o", "link");
        assertThat(rulesBefore.stream().filter(r -> r.startsWith("-A POSTROUTING -s " + NetFixtures.SUBNET + " ! -o " + BRIDGE)))
                .hasSize(1);
        List<Integer> hostPorts = new ArrayList<>();

        for (int i = 0; i < 100; i++) {
            switch (i % 4) {
                case 0 -> assertThat(onBridge().run("/bin/true").exitCode()).isZero();
                case 1 -> {
                    try (RunningContainer c = onBridge().publish("127.0.0.1", 0, 80).start(HTTPD)) {
                        hostPorts.add(c.mappedPort(80));
                        if (i % 20 == 1) {
                            assertThat(NetFixtures.httpGet("127.0.0.1", c.mappedPort(80), Duration.ofSeconds(10))).startsWith("hello");
                        }
                    }
                }
                case 2 -> {
                    try {
                        onBridge().run("/missing");
                    } catch (ExecFailedException expected) {
                        // exec failure after the network was set up
                    }
                }
                default -> {
                    try (RunningContainer c = onBridge().start("/bin/sleep", "60")) {
                        assertThat(c.ipAddress()).isPresent();
                    } // killed
                }
            }
        }

        assertThat(io.mdocker.internal.net.ContainerNetwork.awaitReleases(Duration.ofSeconds(20))).isTrue();
        assertThat(NetFixtures.vethLinks()).isEqualTo(vethBefore);
        assertThat(NetFixtures.host("ip", "-o", "link").lines().map(l -> l.replaceAll("^\\d+: ", "").split(":")[0]).sorted().toList())
                .isEqualTo(linksBefore.lines().map(l -> l.replaceAll("^\\d+: ", "").split(":")[0]).sorted().toList());
        assertThat(NetFixtures.leases(Fixtures.RUNTIME, BRIDGE)).isEmpty();
        assertThat(NetFixtures.iptablesRules()).isEqualTo(rulesBefore);
        assertThat(Fixtures.list(Fixtures.RUNTIME.runRoot().resolve("containers"))).containsExactlyInAnyOrderElementsOf(recordsBefore);
        for (int port : hostPorts.subList(hostPorts.size() - 5, hostPorts.size())) {
            try (ServerSocket again = new ServerSocket()) {
                again.setReuseAddress(true);
                again.bind(new java.net.InetSocketAddress("127.0.0.1", port));
            }
        }
    }

    @Test
    void vethPointToPoint() {
        Network veth = Network.veth(NetFixtures.VETH_HOST, NetFixtures.VETH_CONTAINER);
        String vethName;
        try (RunningContainer c = Fixtures.container().network(veth).hostname("p2p").publish("127.0.0.1", 0, 80)
                .start("/bin/sh", "-c", "ip -o -4 addr show eth0; ip route; "
                        + "mkdir -p /www && echo hello $(hostname) > /www/index.html && exec httpd -f -p 80 -h /www")) {
            assertThat(c.ipAddress()).contains(NetFixtures.VETH_CONTAINER);
            BufferedReader out = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).contains("inet " + NetFixtures.VETH_CONTAINER + " peer " + NetFixtures.VETH_HOST + "/32");
            assertThat(out.readLine()).isEqualTo("default via " + NetFixtures.VETH_HOST + " dev eth0 ");
            vethName = "mdk" + c.shortId();
            assertThat(NetFixtures.host("ip", "-o", "-4", "addr", "show", vethName))
                    .contains("inet " + NetFixtures.VETH_HOST + " peer " + NetFixtures.VETH_CONTAINER + "/32");
            // strict reverse-path filtering on the host end: only the container's own address is accepted from it
            assertThat(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/conf", vethName, "rp_filter")).strip())
                    .as("rp_filter of " + vethName).isEqualTo("1");
            assertThat(NetFixtures.httpGet(NetFixtures.VETH_CONTAINER, 80, Duration.ofSeconds(10))).isEqualTo("hello p2p\n");
            assertThat(NetFixtures.httpGet("127.0.0.1", c.mappedPort(80), Duration.ofSeconds(10))).isEqualTo("hello p2p\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(io.mdocker.internal.net.ContainerNetwork.awaitReleases(Duration.ofSeconds(20))).isTrue();
        assertThat(NetFixtures.vethLinks()).doesNotContain(vethName);
    }

    @Test
    void vethWithASubnet() {
        ExecResult r = Fixtures.container().network(Network.veth("10.201.8.1/30", "10.201.8.2/30"))
                .run("/bin/sh", "-c", "ip -o -4 addr show eth0; ip route");
        assertThat(r.stdout()).as(r.stderr()).contains("inet 10.201.8.2/30").contains("default via 10.201.8.1 dev eth0");
    }
}
