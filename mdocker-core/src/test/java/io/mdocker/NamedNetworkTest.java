package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;
import io.mdocker.testing.TestBridge;
import io.mdocker.testing.TestBridgeExtension;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.mdocker.testing.NetFixtures.HTTPD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * User-defined bridge networks with real containers: members find each other by name, hostname
 * and alias (one shared hosts file), across JVMs; other networks do not see them; entries go with
 * their containers; closing the network removes its bridge, rules and files, and refuses while
 * containers use it; a bridge removed behind the runtime's back is made again. Test-only bridges
 * mdt50..mdt53 on 10.201.50-53.0/24 and mdt48 on 10.201.48.0/24; traffic only between the containers made here and their bridges.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestBridge(name = NamedNetworkTest.BRIDGE, address = NamedNetworkTest.ADDRESS)
class NamedNetworkTest {
    static final String BRIDGE = "mdt50";
    static final String ADDRESS = "10.201.50.1/24";
    static final String OTHER = "mdt51";
    static final String OTHER_ADDRESS = "10.201.51.1/24";
    static final String CLOSED = "mdt52";
    static final String CLOSED_ADDRESS = "10.201.52.1/24";
    static final String CROSS = "mdt53";
    static final String CROSS_ADDRESS = "10.201.53.1/24";
    static final String AHEAD = "mdt48";
    static final String AHEAD_ADDRESS = "10.201.48.1/24";

    /**
     * A shell function: {@code get NAME} GETs / from NAME, retried while the server starts (no
     * {@code -T}: busybox-static's wget crashes with it).
     */
    private static final String GET = "get() { for i in $(seq 100); do wget -q -O - http://$1/ && return 0; sleep 0.1; done; "
            + "return 1; }; ";

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
    }

    @AfterAll
    static void removeTheOtherBridges() {
        // ip_forward is the class's @TestBridge's to restore; "1": leave it as it is here
        TestBridgeExtension.removeBridge(OTHER, OTHER_ADDRESS, "1");
        TestBridgeExtension.removeBridge(CLOSED, CLOSED_ADDRESS, "1");
        TestBridgeExtension.removeBridge(CROSS, CROSS_ADDRESS, "1");
        TestBridgeExtension.removeBridge(AHEAD, AHEAD_ADDRESS, "1");
    }

    private static String unique(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime());
    }

    private static Container.Builder on(Network n) {
        return Fixtures.container().network(n);
    }

    @Test
    void containersOnOneNetworkReachEachOtherByNameHostnameAndAlias() {
        Network app = Network.bridge(BRIDGE, ADDRESS);
        String db = unique("nn-db");
        try (RunningContainer server = on(app).name(db).hostname("dbhost").networkAlias("database")
                .networkAlias("store.internal").start(HTTPD);
             RunningContainer peer = on(app).name(unique("nn-peer")).hostname("peerhost").start("/bin/sleep", "600")) {
            String ip = server.ipAddress().orElseThrow();
            ExecResult r = on(app).run("/bin/sh", "-c", GET + "get " + db + " && get dbhost && get database && get store.internal"
                    + " && ping -c1 -W1 database >/dev/null && echo pinged");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo("hello dbhost\n".repeat(4) + "pinged\n");
            // the server finds the peer by its hostname, through the same (shared) file
            ExecResult back = server.exec("/bin/sh", "-c", "ping -c1 -W1 peerhost >/dev/null && awk -v ip=" + ip
                    + " '$1 == ip' /etc/hosts");
            assertThat(back.exitCode()).as(back.stderr()).isZero();
            assertThat(back.stdout()).isEqualTo(ip + "\t" + db + " dbhost database store.internal\n");
            assertThat(peer.exec("cat", "/etc/hosts").stdout()).startsWith("127.0.0.1\tlocalhost\n")
                    .contains(peer.ipAddress().orElseThrow() + "\t" + peer.name().orElseThrow() + " peerhost\n");
        }
    }

    @Test
    void aContainerOnAnotherNetworkCannotResolveThem() {
        Network app = Network.bridge(BRIDGE, ADDRESS);
        String db = unique("nn-hidden");
        try (RunningContainer server = on(app).name(db).networkAlias("hidden-db").start(HTTPD)) {
            assertThat(server.ipAddress()).isPresent();
            ExecResult r = on(Network.bridge(OTHER, OTHER_ADDRESS)).run("/bin/sh", "-c",
                    "grep -c -e hidden-db -e " + db + " /etc/hosts; ping -c1 -W1 hidden-db; echo rc=$?; ping -c1 -W1 " + db
                            + "; echo rc=$?");
            assertThat(r.stdout()).isEqualTo("0\nrc=1\nrc=1\n");
            assertThat(r.stderr()).contains("bad address 'hidden-db'").contains("bad address '" + db + "'");
        }
    }

    @Test
    void anEntryGoesWhenItsContainerCloses() {
        Network app = Network.bridge(BRIDGE, ADDRESS);
        String gone = unique("nn-gone");
        try (RunningContainer watcher = on(app).start("/bin/sleep", "600")) {
            String ip;
            try (RunningContainer leaving = on(app).name(gone).networkAlias("leaving").start("/bin/sleep", "600")) {
                ip = leaving.ipAddress().orElseThrow();
                assertThat(watcher.exec("cat", "/etc/hosts").stdout()).contains(ip + "\t" + gone + " ");
            }
            // rewritten in place: the watcher's bind mount of the file sees it at once
            String hosts = watcher.exec("cat", "/etc/hosts").stdout();
            assertThat(hosts).doesNotContain(gone).doesNotContain("leaving");
            ExecResult r = watcher.exec("/bin/sh", "-c", "ping -c1 -W1 leaving");
            assertThat(r.exitCode()).isNotZero();
            assertThat(r.stderr()).contains("bad address 'leaving'");
        }
    }

    @Test
    void aDetachedContainerOfAnotherJvmIsFoundByNameUntilRemoved() throws Exception {
        Network cross = Network.bridge(CROSS, CROSS_ADDRESS);
        String name = unique("nn-other-jvm");
        Process child = new ProcessBuilder(NamedNetworkChild.command(Fixtures.rootfs(), Fixtures.RUNTIME, CROSS,
                CROSS_ADDRESS, name, "elsewhere")).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(line).as("child JVM output").startsWith("started ");
        DetachedContainer d = Fixtures.RUNTIME.attach(line.substring("started ".length()));
        try {
            ExecResult r = on(cross).run("/bin/sh", "-c", GET + "get " + name + " && get elsewhere");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo(("hello " + d.id().substring(0, 12) + "\n").repeat(2));
            // the network is in use by a container of another process: closing it is refused, nothing goes
            assertThatThrownBy(cross::close).isInstanceOf(IllegalStateException.class)
                    .hasMessage("network " + CROSS + " is in use by container " + name + " (" + d.id().substring(0, 12)
                            + "): close or remove them first (a dead process's containers: mdocker gc)");
            assertThat(Path.of("/sys/class/net", CROSS)).exists();
        } finally {
            d.stop(Duration.ofSeconds(5));
            d.remove(false);
        }
        ExecResult after = on(cross).run("/bin/sh", "-c", "grep -c -e elsewhere -e " + name + " /etc/hosts");
        assertThat(after.stdout()).isEqualTo("0\n");
        cross.close();
        assertThat(Path.of("/sys/class/net", CROSS)).doesNotExist();
    }

    @Test
    void aKilledJvmsContainerLeavesTheHostsFileWithRecovery() throws Exception {
        Network app = Network.bridge(BRIDGE, ADDRESS);
        RecoveryChild.Launched child = RecoveryChild.launch(Fixtures.rootfs(), Fixtures.RUNTIME.libRoot(),
                Fixtures.RUNTIME.runRoot(), 1, BRIDGE + "," + ADDRESS);
        String shortId = child.ids().getFirst().substring(0, 12);
        try (RunningContainer watcher = on(app).start("/bin/sleep", "600")) {
            assertThat(watcher.exec("cat", "/etc/hosts").stdout()).contains("\t" + shortId + "\n");
            child.killHard();
            assertThat(Fixtures.RUNTIME.gc()).contains(child.ids().getFirst());
            assertThat(watcher.exec("cat", "/etc/hosts").stdout()).doesNotContain(shortId);
        }
    }

    @Test
    void closingTheNetworkRemovesItsBridgeRulesAndHostsFileOnceUnused() {
        Network net = Network.bridge(CLOSED, CLOSED_ADDRESS);
        Path hosts = Fixtures.RUNTIME.runRoot().resolve("net").resolve(CLOSED + ".hosts");
        String name = unique("nn-user");
        try (RunningContainer c = on(net).name(name).start("/bin/sleep", "600")) {
            assertThat(hosts).exists();
            assertThat(NetFixtures.iptablesRules()).anyMatch(r -> r.contains("10.201.52.0/24"));
            assertThatThrownBy(net::close).isInstanceOf(IllegalStateException.class)
                    .hasMessage("network " + CLOSED + " is in use by container " + name + " (" + c.id().substring(0, 12)
                            + "): close or remove them first (a dead process's containers: mdocker gc)");
            assertThat(Path.of("/sys/class/net", CLOSED)).exists();
            assertThat(c.exec("cat", "/etc/hosts").stdout()).contains(name);
        }
        net.close();
        assertThat(Path.of("/sys/class/net", CLOSED)).doesNotExist();
        assertThat(NetFixtures.host("ip", "-o", "link", "show")).doesNotContain(CLOSED);
        assertThat(NetFixtures.host("iptables-save")).doesNotContain("10.201.52.0/24").doesNotContain("mdocker " + CLOSED);
        assertThat(hosts).doesNotExist();
        assertThat(hosts.resolveSibling(CLOSED)).doesNotExist();
        net.close(); // again: nothing left to remove
        // the value stays usable: a container on it makes the network again
        try (Network again = Network.bridge(CLOSED, CLOSED_ADDRESS)) {
            ExecResult r = on(again).name(unique("nn-again")).run("/bin/sh", "-c", "ip -o -4 addr show eth0");
            assertThat(r.stdout()).as(r.stderr()).contains("inet 10.201.52.");
        }
        assertThat(Path.of("/sys/class/net", CLOSED)).doesNotExist();
    }

    @Test
    void aBridgeRemovedBehindTheRuntimesBackIsMadeAgainWithItsRules() throws Exception {
        Network other = Network.bridge(OTHER, OTHER_ADDRESS);
        Path ifindex = Path.of("/sys/class/net", OTHER, "ifindex");
        assertThat(on(other).run("true").exitCode()).isZero(); // the bridge exists, and this JVM knows it
        String first = Files.readString(ifindex).strip();
        // as another process's network rm or an administrator's ip link del: bridge and rules gone
        TestBridgeExtension.removeBridge(OTHER, OTHER_ADDRESS, "1");
        ExecResult r = on(other).run("/bin/sh", "-c", "ip -o -4 addr show eth0 | grep -o 'inet 10.201.51.[0-9]*/24';"
                + " ping -c1 -W2 10.201.51.1 >/dev/null && echo reached");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).matches("inet 10\\.201\\.51\\.\\d+/24\nreached\n");
        assertThat(Files.readString(ifindex).strip()).as("the bridge made again").isNotEqualTo(first);
        assertThat(NetFixtures.iptablesRules()).as("its rules installed again")
                .contains("-A POSTROUTING -s 10.201.51.0/24 ! -o " + OTHER + " -m comment --comment \"mdocker " + OTHER
                        + "\" -j MASQUERADE");
    }

    @Test
    void rulesDeletedBehindTheRuntimesBackArePutBackAtTheNextStart() throws Exception {
        Network other = Network.bridge(OTHER, OTHER_ADDRESS);
        assertThat(on(other).run("true").exitCode()).isZero(); // the rules are installed, and this JVM knows it
        String masquerade = "-A POSTROUTING -s 10.201.51.0/24 ! -o " + OTHER + " -m comment --comment \"mdocker " + OTHER
                + "\" -j MASQUERADE";
        assertThat(NetFixtures.iptablesRules()).contains(masquerade);
        // as a firewall's reload or an administrator's iptables -D: the bridge stays, its NAT rule goes
        NetFixtures.host("iptables", "-w", "-t", "nat", "-D", "POSTROUTING", "-s", "10.201.51.0/24", "!", "-o", OTHER,
                "-m", "comment", "--comment", "mdocker " + OTHER, "-j", "MASQUERADE");
        assertThat(NetFixtures.iptablesRules()).doesNotContain(masquerade);
        assertThat(on(other).run("true").exitCode()).isZero();
        assertThat(NetFixtures.iptablesRules()).as("the rule put back by the next container's start").containsOnlyOnce(masquerade);
        // nothing changed since: a start checks nothing again, and no rule is doubled
        assertThat(on(other).run("true").exitCode()).isZero();
        assertThat(NetFixtures.iptablesRules().stream().filter(masquerade::equals)).hasSize(1);
    }

    @Test
    void createMakesTheNetworkAheadOfItsContainersAndCloseRemovesIt() {
        String masquerade = "-A POSTROUTING -s 10.201.48.0/24 ! -o " + AHEAD + " -m comment --comment \"mdocker " + AHEAD
                + "\" -j MASQUERADE";
        Network ahead = Network.bridge(AHEAD, AHEAD_ADDRESS);
        assertThat(ahead.create(Fixtures.RUNTIME)).isSameAs(ahead);
        try {
            assertThat(Path.of("/sys/class/net", AHEAD)).exists();
            assertThat(NetFixtures.host("ip", "-o", "-4", "addr", "show", AHEAD)).contains("inet " + AHEAD_ADDRESS);
            assertThat(NetFixtures.iptablesRules()).containsOnlyOnce(masquerade);
            assertThat(Fixtures.RUNTIME.runRoot().resolve("net").resolve(AHEAD)).isDirectory();
            ahead.create(Fixtures.RUNTIME); // made already: left as it is, no rule doubled
            assertThat(NetFixtures.iptablesRules()).containsOnlyOnce(masquerade);
            // found by name, its address read from the bridge, and joined by a container
            assertThat(Network.bridge(AHEAD)).isEqualTo(ahead);
            ExecResult r = on(Network.bridge(AHEAD)).name(unique("nn-ahead")).run("/bin/sh", "-c",
                    "ip -o -4 addr show eth0 | grep -o 'inet 10.201.48.[0-9]*/24'; ip route | grep -q 'default via 10.201.48.1'");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).matches("inet 10\\.201\\.48\\.\\d+/24\n");
        } finally {
            ahead.close();
        }
        assertThat(Path.of("/sys/class/net", AHEAD)).doesNotExist();
        assertThat(NetFixtures.iptablesRules()).doesNotContain(masquerade);
        // bad input: one line, nothing made
        assertThatThrownBy(() -> Network.none().create()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("network none is not a bridge network: only those are made ahead (Network.bridge(NAME) or "
                        + "Network.bridge(NAME, CIDR))");
        assertThatThrownBy(() -> Network.bridge(AHEAD, "10.201.50.9/24").create(Fixtures.RUNTIME))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("subnet of bridge " + AHEAD + " 10.201.50.0/24 overlaps the host route 10.201.50.0/24: "
                        + "expected a subnet no host interface uses");
        assertThat(Path.of("/sys/class/net", AHEAD)).doesNotExist();
        assertThatThrownBy(() -> Network.bridge("lo")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interface lo is not a bridge: expected the name of a bridge network");
        assertThat(Network.bridge(Network.DEFAULT_BRIDGE)).isEqualTo(Network.bridge());
    }

    @Test
    void aNewNetworkByNameAloneGetsTheFirstFreeSubnetOfItsRange() {
        String chosen = Network.bridge("mdt47").bridgeAddress().orElseThrow();
        assertThat(chosen).matches("10\\.200\\.([2-9]|[1-9][0-9]+)\\.1/24");
        int third = Integer.parseInt(chosen.split("\\.")[2]);
        assertThat(overlapsAHostRoute(third)).as(chosen).isFalse();
        for (int t = 2; t < third; t++) {
            assertThat(overlapsAHostRoute(t)).as("10.200." + t + ".0/24 passed over").isTrue();
        }
        assertThat(Path.of("/sys/class/net", "mdt47")).doesNotExist(); // chosen, not made
    }

    @Test
    void twoNetworksCreatedAtOnceOnOneSubnetGiveOneNetworkAndOneRefusal() throws Exception {
        String address = "10.201.46.1/24";
        java.util.List<String> names = java.util.List.of("mdt46", "mdt45");
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        java.util.List<java.util.concurrent.CompletableFuture<String>> results = new java.util.ArrayList<>();
        for (String name : names) {
            results.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    start.await();
                    Network.bridge(name, address).create(Fixtures.RUNTIME);
                    return "made";
                } catch (IllegalArgumentException e) {
                    return e.getMessage();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        try {
            java.util.List<String> outcomes = results.stream().map(java.util.concurrent.CompletableFuture::join).toList();
            assertThat(outcomes).as(outcomes.toString()).containsOnlyOnce("made");
            String refused = outcomes.stream().filter(o -> !o.equals("made")).findFirst().orElseThrow();
            assertThat(refused).matches("subnet of bridge mdt4[56] 10\\.201\\.46\\.0/24 overlaps the host route "
                    + "10\\.201\\.46\\.0/24: expected a subnet no host interface uses");
            assertThat(NetFixtures.host("ip", "-4", "route", "show", "10.201.46.0/24").lines().count()).isEqualTo(1);
            assertThat(names.stream().filter(n -> Files.exists(Path.of("/sys/class/net", n)))).as("one bridge").hasSize(1);
        } finally {
            for (String name : names) { // the one made (the other left nothing to remove)
                if (Files.exists(Path.of("/sys/class/net", name))) {
                    TestBridgeExtension.removeBridge(name, address, "1");
                }
            }
        }
    }

    /** Whether a route of the host's main table (but the default) overlaps 10.200.{@code third}.0/24, as {@code ip} lists them. */
    private static boolean overlapsAHostRoute(int third) {
        long start = (10L << 24) | (200L << 16) | ((long) third << 8);
        long end = start + 255;
        for (String line : NetFixtures.host("ip", "-4", "route", "show").lines().toList()) {
            String dest = line.split(" ")[0];
            if (dest.equals("default")) {
                continue;
            }
            String[] parts = dest.split("/");
            int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : 32;
            long a = 0;
            for (String octet : parts[0].split("\\.")) {
                a = a << 8 | Long.parseLong(octet);
            }
            long routeStart = a & (0xffffffffL << (32 - prefix)) & 0xffffffffL;
            long routeEnd = routeStart + (1L << (32 - prefix)) - 1;
            if (routeStart <= end && start <= routeEnd) {
                return true;
            }
        }
        return false;
    }

    @Test
    void badInputIsOneLineAndCreatesNothing() {
        assertThatThrownBy(() -> Fixtures.container().networkAlias("not_a_hostname"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid network alias 'not_a_hostname': expected a hostname (letters, digits and '-' in "
                        + "dot-separated labels, at most 64 characters)");
        assertThatThrownBy(() -> Fixtures.container().networkAlias("-db")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fixtures.container().networkAlias("x".repeat(65))).isInstanceOf(IllegalArgumentException.class);
        for (Network n : new Network[] {Network.none(), Network.host(), Network.bridge(),
                Network.veth("10.201.59.1", "10.201.59.2")}) {
            assertThatThrownBy(() -> Fixtures.container().network(n).networkAlias("db").build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("network alias db needs a user-defined bridge network, but the network is " + n
                            + ": expected network(Network.bridge(NAME, CIDR)) or no alias");
            n.close(); // none, host, veth and the default bridge: a no-op
        }
        assertThat(Network.bridge().isUserDefined()).isFalse();
        assertThat(Network.bridge(Network.DEFAULT_BRIDGE, Network.DEFAULT_BRIDGE_ADDRESS).isUserDefined()).isFalse();
        assertThat(Network.bridge("mdt59", "10.201.59.1/24").isUserDefined()).isTrue();
        assertThat(Network.existingBridge("mdt59")).isEmpty();
        assertThatThrownBy(() -> Network.existingBridge("lo")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interface lo is not a bridge: expected the name of a bridge network");
        Network.bridge("mdt59", "10.201.59.1/24").close(); // never made: nothing to remove, no error
        assertThat(Path.of("/sys/class/net", "mdt59")).doesNotExist();
        assertThat(Files.exists(Fixtures.RUNTIME.runRoot().resolve("net").resolve("mdt59"))).isFalse();
    }

    @Test
    void closingANetworkWhoseBridgeHoldsAnotherAddressIsRefused() {
        Network app = Network.bridge(BRIDGE, ADDRESS);
        on(app).run("true"); // the bridge exists
        assertThatThrownBy(() -> Network.bridge(BRIDGE, "10.201.58.1/24").close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("bridge " + BRIDGE + " has the address " + ADDRESS + ", not 10.201.58.1/24: "
                        + "it is another network than the one closed, not removed");
        assertThat(Path.of("/sys/class/net", BRIDGE)).exists();
        assertThat(Network.existingBridge(BRIDGE)).contains(app);
    }
}
