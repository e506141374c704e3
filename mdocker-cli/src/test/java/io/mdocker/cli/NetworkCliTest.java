package io.mdocker.cli;

import io.mdocker.testing.TestBridge;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --network}, {@code --network-alias}, {@code -p}, {@code --bridge}, {@code --bip}, {@code --ip},
 * {@code network ls}, {@code network rm}, on test-only bridges.
 */
@TestBridge(name = NetworkCliTest.BRIDGE, address = NetworkCliTest.BIP)
class NetworkCliTest {
    static final String BRIDGE = "mdt5";
    static final String BIP = "10.201.5.1/24";
    static final String NAMED = "mdt54";
    static final String NAMED_BIP = "10.201.54.1/24";
    static final String CREATED = "mdt55";
    static final String CHOSEN = "mdt56";

    @BeforeAll
    static void prerequisites() {
        MainTest.prerequisites();
    }

    private static String stderrOf(int expectedStatus, String... args) {
        return captured(false, expectedStatus, args);
    }

    private static String stdoutOf(int expectedStatus, String... args) {
        return captured(true, expectedStatus, args);
    }

    /** What the CLI wrote on stdout (or stderr) while running {@code args}, which must exit {@code expectedStatus}. */
    private static String captured(boolean stdout, int expectedStatus, String... args) {
        PrintStream old = stdout ? System.out : System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true, StandardCharsets.UTF_8);
        if (stdout) {
            System.setOut(capture);
        } else {
            System.setErr(capture);
        }
        try {
            assertThat(Main.execute(args)).as(buf.toString(StandardCharsets.UTF_8)).isEqualTo(expectedStatus);
        } finally {
            if (stdout) {
                System.setOut(old);
            } else {
                System.setErr(old);
            }
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    private static String[] run(String... args) {
        String[] all = new String[args.length + 5];
        System.arraycopy(new String[] {"run", "--rootfs", MainTest.ROOTFS.toString(), "--state-root", MainTest.STATE.toString()},
                0, all, 0, 5);
        System.arraycopy(args, 0, all, 5, args.length);
        return all;
    }

    @Test
    void aBridgeWithAPublishedFreePort() {
        String err = stderrOf(0, run("--network", "bridge", "--bridge", BRIDGE, "--bip", BIP, "-p", "127.0.0.1:0:80",
                "-h", "cli-net", "sh", "-c", "ip -o -4 addr show eth0 | grep -q 'inet 10.201.5.' && ip route | grep -q 'default via 10.201.5.1'"
                        + " && grep -q cli-net /etc/hosts"));
        assertThat(err).matches("mdocker: published 127\\.0\\.0\\.1:[1-9][0-9]*->80/tcp\n");
        assertThat(stderrOf(0, run("--bridge", BRIDGE, "--bip", BIP, "--ip", "10.201.5.77", "sh", "-c",
                "ip -o -4 addr show eth0 | grep -q 'inet 10.201.5.77/24'"))).isEmpty();
    }

    @Test
    void aNamedNetworkAnAliasAndNetworkRm() {
        // made by the first container (--bip), found by name by the second (its address read from the bridge)
        assertThat(stderrOf(0, run("--network", NAMED, "--bip", NAMED_BIP, "--network-alias", "cli-db", "-h", "cli-first",
                "sh", "-c", "grep -q 'cli-first cli-db' /etc/hosts"))).isEmpty();
        assertThat(stderrOf(0, run("--network", NAMED, "--name", "cli-named", "sh", "-c",
                "ip -o -4 addr show eth0 | grep -q 'inet 10.201.54.' && grep -q 'cli-named' /etc/hosts"))).isEmpty();
        // listed with its subnet, gateway and the leases its two containers left (given back once their veths are gone)
        String listed = stdoutOf(0, "network", "ls", "--state-root", MainTest.STATE.toString());
        assertThat(listed.lines().findFirst()).hasValue(String.format("%-16s %-18s %-18s %s", "NAME", "SUBNET", "GATEWAY", "LEASES"));
        assertThat(listed.lines().filter(l -> l.startsWith(NAMED + " ")).toList()).singleElement().asString()
                .matches(NAMED + " +10\\.201\\.54\\.0/24 +10\\.201\\.54\\.1/24 +[0-2]");
        assertThat(stdoutOf(0, "network", "list", "-q", "--state-root", MainTest.STATE.toString()).lines().toList())
                .contains(NAMED).doesNotContain("NAME");
        assertThat(stderrOf(125, "network", "ls", "extra")).startsWith("mdocker: Unmatched argument at index 2: 'extra'")
                .hasLineCount(1);
        assertThat(stderrOf(1, "network", "rm", "mdt57")).isEqualTo("mdocker: network mdt57 not found\n");
        assertThat(stderrOf(0, "network", "rm", NAMED)).isEmpty();
        assertThat(stdoutOf(0, "network", "ls", "-q", "--state-root", MainTest.STATE.toString()).lines().toList())
                .doesNotContain(NAMED);
        assertThat(java.nio.file.Path.of("/sys/class/net", NAMED)).doesNotExist();
        assertThat(stderrOf(125, run("--network", NAMED, "true"))).isEqualTo("mdocker: network " + NAMED
                + " not found: expected none, host, bridge, the name of an existing bridge, or --bip CIDR to make it\n");
    }

    @Test
    void networkCreateWithASubnetAndAGatewayThenAChosenSubnet() {
        String state = MainTest.STATE.toString();
        assertThat(stdoutOf(0, "network", "create", "--state-root", state, "--subnet", "10.201.55.0/24",
                "--gateway", "10.201.55.9", CREATED)).isEqualTo(CREATED + "\n");
        assertThat(java.nio.file.Path.of("/sys/class/net", CREATED)).exists();
        assertThat(io.mdocker.testing.NetFixtures.iptablesRules()).as("its NAT rule, before any container")
                .contains("-A POSTROUTING -s 10.201.55.0/24 ! -o " + CREATED + " -m comment --comment \"mdocker " + CREATED
                        + "\" -j MASQUERADE");
        assertThat(stdoutOf(0, "network", "ls", "--state-root", state).lines().filter(l -> l.startsWith(CREATED + " ")))
                .singleElement().asString().matches(CREATED + " +10\\.201\\.55\\.0/24 +10\\.201\\.55\\.9/24 +0");
        // a container joins it by name, its address leased from the subnet, the gateway its route
        assertThat(stderrOf(0, run("--network", CREATED, "sh", "-c", "ip -o -4 addr show eth0 | grep -q 'inet 10.201.55.'"
                + " && ip route | grep -q 'default via 10.201.55.9'"))).isEmpty();
        assertThat(stderrOf(1, "network", "create", "--state-root", state, CREATED))
                .isEqualTo("mdocker: network " + CREATED + " exists already (10.201.55.0/24)\n");
        // network inspect: Docker's shape, with a running member, its name and address
        String member = stdoutOf(0, run("-d", "--network", CREATED, "--name", "cli-member", "sleep", "60")).strip();
        try {
            com.fasterxml.jackson.databind.JsonNode inspected = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(stdoutOf(0, "network", "inspect", "--state-root", state, CREATED));
            assertThat(inspected).hasSize(1);
            com.fasterxml.jackson.databind.JsonNode n = inspected.get(0);
            assertThat(n.get("Name").asText()).isEqualTo(CREATED);
            assertThat(n.get("Driver").asText()).isEqualTo("bridge");
            assertThat(n.at("/IPAM/Config/0/Subnet").asText()).isEqualTo("10.201.55.0/24");
            assertThat(n.at("/IPAM/Config/0/Gateway").asText()).isEqualTo("10.201.55.9");
            assertThat(n.get("Containers").size()).isEqualTo(1);
            assertThat(n.at("/Containers/" + member + "/Name").asText()).isEqualTo("cli-member");
            assertThat(n.at("/Containers/" + member + "/IPv4Address").asText()).matches("10\\.201\\.55\\.\\d+/24");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            stderrOf(0, "rm", "-f", "--state-root", state, member);
        }
        assertThat(stderrOf(1, "network", "inspect", "--state-root", state, "mdt57"))
                .isEqualTo("mdocker: network mdt57 not found\n");
        assertThat(stdoutOf(0, "network", "rm", CREATED)).isEqualTo(CREATED + "\n");
        assertThat(java.nio.file.Path.of("/sys/class/net", CREATED)).doesNotExist();
        assertThat(io.mdocker.testing.NetFixtures.host("iptables-save")).doesNotContain("mdocker " + CREATED);
        // no subnet named: the first /24 from 10.200.2.0/24 on that no host route overlaps
        assertThat(stdoutOf(0, "network", "create", "--state-root", state, CHOSEN)).isEqualTo(CHOSEN + "\n");
        io.mdocker.Network chosen = io.mdocker.Network.existingBridge(CHOSEN).orElseThrow();
        assertThat(chosen.bridgeAddress()).hasValueSatisfying(a -> assertThat(a).matches("10\\.200\\.([2-9]|[1-9][0-9]+)\\.1/24"));
        assertThat(java.nio.file.Path.of(state, "run", "net", CHOSEN)).isDirectory(); // its leases, on this state root
        assertThat(stdoutOf(0, "network", "rm", "--state-root", state, CHOSEN)).isEqualTo(CHOSEN + "\n");
        assertThat(java.nio.file.Path.of("/sys/class/net", CHOSEN)).doesNotExist();
        assertThat(java.nio.file.Path.of(state, "run", "net", CHOSEN)).doesNotExist();
    }

    @Test
    void networkCreateRefusesBadInputInOneLineAndMakesNothing() {
        String state = MainTest.STATE.toString();
        assertThat(stderrOf(125, "network", "create", "--subnet", "10.201.55.7/24", CREATED))
                .isEqualTo("mdocker: invalid subnet '10.201.55.7/24': expected its network address, 10.201.55.0/24\n");
        assertThat(stderrOf(125, "network", "create", "--gateway", "10.201.55.9", CREATED))
                .isEqualTo("mdocker: --gateway 10.201.55.9 needs --subnet CIDR: the subnet it is in\n");
        assertThat(stderrOf(125, "network", "create", "--subnet", "10.201.55.0/24", "--gateway", "10.201.66.1", CREATED))
                .isEqualTo("mdocker: gateway 10.201.66.1 is outside the subnet 10.201.55.0/24: expected an address in it\n");
        assertThat(stderrOf(125, "network", "create", "-d", "overlay", CREATED))
                .isEqualTo("mdocker: invalid driver 'overlay': expected bridge\n");
        assertThat(stderrOf(125, "network", "create", "--subnet", "10.201.55.0", CREATED))
                .isEqualTo("mdocker: invalid subnet '10.201.55.0': expected a network address with its prefix length, "
                        + "like 10.201.50.0/24\n");
        assertThat(stderrOf(125, "network", "create", "a-name-too-long-for-it"))
                .startsWith("mdocker: invalid bridge name 'a-name-too-long-for-it': expected 1 to 15 bytes").hasLineCount(1);
        assertThat(stderrOf(125, "network", "create", "mdocker0"))
                .isEqualTo("mdocker: mdocker0 is the default network, which its first container makes: expected another name\n");
        assertThat(stderrOf(125, "network", "create", "lo")).isEqualTo("mdocker: interface lo is not a bridge: expected "
                + "the name of a bridge network\n");
        // a subnet the host routes already (the test bridge's)
        assertThat(stderrOf(125, "network", "create", "--state-root", state, "--subnet", "10.201.5.0/24", CREATED))
                .isEqualTo("mdocker: subnet of bridge " + CREATED + " 10.201.5.0/24 overlaps the host route 10.201.5.0/24: "
                        + "expected a subnet no host interface uses\n");
        assertThat(stderrOf(125, "network", "create")).startsWith("mdocker: Missing required parameter: 'NAME'").hasLineCount(1);
        assertThat(java.nio.file.Path.of("/sys/class/net", CREATED)).doesNotExist();
        assertThat(MainTest.STATE.resolve("run/net").resolve(CREATED)).doesNotExist();
        assertThat(io.mdocker.testing.NetFixtures.host("iptables-save")).doesNotContain("mdocker " + CREATED);
    }

    @AfterAll
    static void removeTheNamedNetwork() {
        io.mdocker.testing.TestBridgeExtension.removeBridge(NAMED, NAMED_BIP, "1"); // ip_forward: @TestBridge's
        io.mdocker.testing.TestBridgeExtension.removeBridge(CREATED, "10.201.55.9/24", "1");
        io.mdocker.Network.existingBridge(CHOSEN).flatMap(io.mdocker.Network::bridgeAddress)
                .ifPresent(a -> io.mdocker.testing.TestBridgeExtension.removeBridge(CHOSEN, a, "1"));
    }

    @Test
    void noneAndHost() {
        assertThat(stderrOf(0, run("--network", "none", "sh", "-c", "test \"$(ls /sys/class/net)\" = lo"))).isEmpty();
        assertThat(stderrOf(0, run("--network", "host", "sh", "-c", "test -e /sys/class/net/lo && test \"$(ls /sys/class/net | wc -l)\" -gt 1"))).isEmpty();
    }

    @Test
    void addHostWritesItsLinesAfterTheLocalhostOnesAndBadOnesAre125() {
        // HOST:IP, HOST=IP, an IPv6 address after the first colon or in brackets; host-gateway on the bridge
        assertThat(stderrOf(0, run("--network", "none", "--add-host", "db.local:10.1.2.3", "--add-host", "v6:2001:db8::1",
                "--add-host", "v6b:[2001:db8::2]", "--add-host", "eq=10.0.0.1", "sh", "-c",
                "[ \"$(sed -n 7,10p /etc/hosts)\" = \"$(printf '10.1.2.3\\tdb.local\\n2001:db8::1\\tv6\\n2001:db8::2\\tv6b\\n"
                        + "10.0.0.1\\teq')\" ] && [ \"$(sed -n 1p /etc/hosts)\" = \"$(printf '127.0.0.1\\tlocalhost')\" ]"))).isEmpty();
        assertThat(stderrOf(0, run("--bridge", BRIDGE, "--bip", BIP, "-h", "cli-gw", "--add-host", "host.docker.internal:host-gateway",
                "sh", "-c", "sed -n 7p /etc/hosts | grep -qx \"$(printf '10.201.5.1\\thost.docker.internal')\""))).isEmpty();
        assertThat(stderrOf(125, run("--add-host", "nohost", "true")))
                .isEqualTo("mdocker: invalid --add-host 'nohost': expected HOST:IP (IP an IPv4 or IPv6 address, or host-gateway)\n");
        assertThat(stderrOf(125, run("--add-host", "db:", "true"))).startsWith("mdocker: invalid --add-host 'db:'").hasLineCount(1);
        assertThat(stderrOf(125, run("--add-host", "db:10.1.2", "true")))
                .isEqualTo("mdocker: invalid address '10.1.2' for extra host db: expected an IPv4 or IPv6 address or host-gateway\n");
        assertThat(stderrOf(125, run("--network", "none", "--add-host", "gw:host-gateway", "true")))
                .startsWith("mdocker: extra host gw:host-gateway needs a network with a host address").hasLineCount(1);
    }

    @Test
    void networkContainerSharesAnotherContainersNetwork() {
        String target = "cli-shared-" + Long.toHexString(System.nanoTime());
        assertThat(stdoutOf(0, run("-d", "--name", target, "-h", "shared-host", "--network", "none", "/bin/sh", "-c",
                "mkdir /www && echo shared > /www/index.html && exec httpd -f -p 127.0.0.1:8081 -h /www"))).isNotBlank();
        try {
            assertThat(stderrOf(0, run("--network", "container:" + target, "sh", "-c", "[ \"$(hostname)\" = shared-host ] && "
                    + "for i in $(seq 100); do wget -q -O - http://127.0.0.1:8081/ | grep -qx shared && exit 0; sleep 0.1; done; "
                    + "exit 1"))).isEmpty();
            assertThat(stderrOf(125, run("--network", "container:" + target, "-p", "80", "true")))
                    .startsWith("mdocker: published port ").hasLineCount(1);
        } finally {
            stderrOf(0, "rm", "-f", "--state-root", MainTest.STATE.toString(), target);
        }
        assertThat(stderrOf(125, run("--network", "container:cli-no-such", "true")))
                .isEqualTo("mdocker: no such container: cli-no-such\n");
    }

    @Test
    void dnsOptionsWriteTheResolvConfAndBadOnesAre125() {
        assertThat(stderrOf(0, run("--network", "none", "--dns", "10.201.5.53", "--dns-search", "x.example", "--dns-opt", "ndots:2",
                "--dns-option", "timeout:1", "sh", "-c", "[ \"$(grep -v '^#' /etc/resolv.conf)\" = \"$(printf 'nameserver 10.201.5.53\\n"
                        + "search x.example\\noptions ndots:2 timeout:1')\" ]"))).isEmpty();
        assertThat(stderrOf(125, run("--dns", "dns.google", "true")))
                .isEqualTo("mdocker: invalid DNS server 'dns.google': expected an IPv4 or IPv6 address\n");
        assertThat(stderrOf(125, run("--dns-search", "bad_domain", "true")))
                .startsWith("mdocker: invalid DNS search domain 'bad_domain'").hasLineCount(1);
        assertThat(stderrOf(125, run("--dns-option", "ndots: 2", "true")))
                .startsWith("mdocker: invalid DNS option 'ndots: 2'").hasLineCount(1);
    }

    @Test
    void badNetworkInputIs125WithOneLine() {
        assertThat(stderrOf(125, run("--network", "bogus", "true")))
                .isEqualTo("mdocker: network bogus not found: expected none, host, bridge, the name of an existing bridge, "
                        + "or --bip CIDR to make it\n");
        assertThat(stderrOf(125, run("--network", "none", "--network-alias", "db", "true")))
                .startsWith("mdocker: network alias db needs a user-defined bridge network").hasLineCount(1);
        assertThat(stderrOf(125, run("--network", NAMED, "--bip", NAMED_BIP, "--network-alias", "not_a_host", "true")))
                .startsWith("mdocker: invalid network alias 'not_a_host': expected a hostname").hasLineCount(1);
        assertThat(stderrOf(125, run("-p", "8080:80/udp", "true")))
                .isEqualTo("mdocker: invalid published port '8080:80/udp': protocol 'udp' is not supported, only tcp\n");
        assertThat(stderrOf(125, run("--network", "none", "-p", "80", "true")))
                .startsWith("mdocker: published port 0.0.0.0:0->80/tcp needs a bridge, veth or pasta network").hasLineCount(1);
        assertThat(stderrOf(125, run("--bip", "10.201.5.1", "true")))
                .isEqualTo("mdocker: invalid bridge address '10.201.5.1': expected an address with its subnet's prefix length, like 10.200.1.1/24\n");
        assertThat(stderrOf(125, run("--network", "host", "--bridge", BRIDGE, "true")))
                .isEqualTo("mdocker: --bridge, --bip and --ip need --network bridge, not host\n");
        assertThat(stderrOf(125, run("--bridge", "a-name-too-long-for-it", "true")))
                .startsWith("mdocker: invalid bridge name 'a-name-too-long-for-it': expected 1 to 15 bytes");
    }
}
