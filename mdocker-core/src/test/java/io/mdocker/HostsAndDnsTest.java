package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;
import io.mdocker.testing.TestBridge;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.mdocker.testing.NetFixtures.HTTPD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code extraHost} (Docker's {@code --add-host}) and {@code dns}, {@code dnsSearch} and
 * {@code dnsOption} (Docker's {@code --dns*}) with real containers on each network. Extra hosts: the lines
 * come after the localhost lines and before the container's own, {@code host-gateway} is the host's
 * address on the network, the names resolve, and on a user-defined network the container's own
 * hosts file still follows the network's members while the others never see its lines. Test-only
 * bridge mdt63 on 10.201.63.0/24 and veth pair 10.201.64.1/30-10.201.64.2/30; the names resolve to
 * loopback or to containers made here, and nothing is sent to the addresses that only appear in
 * the files (the name servers are read, never asked).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestBridge(name = HostsAndDnsTest.BRIDGE, address = HostsAndDnsTest.ADDRESS, vethRules = "10.201.64.0/30")
class HostsAndDnsTest {
    static final String BRIDGE = "mdt63";
    static final String ADDRESS = "10.201.63.1/24";
    /** The localhost lines every hosts file mdocker writes starts with (Docker's). */
    private static final String LOCALHOST = """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            ff00::0\tip6-mcastprefix
            ff02::1\tip6-allnodes
            ff02::2\tip6-allrouters
            """;

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
    }

    @Test
    void onNetworkNoneTheLinesAreTheHostsFileAndTheNamesResolve() {
        ExecResult r = Fixtures.container().extraHost("web.test", "127.0.0.1").extraHost("v6.test", "2001:db8::33")
                .extraHost("web.test", "127.0.0.1") // once
                .run("/bin/sh", "-c", "cat /etc/hosts; echo ---; mkdir /www && echo via-hosts > /www/index.html"
                        + " && httpd -p 127.0.0.1:80 -h /www && wget -q -O - http://web.test/");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo(LOCALHOST + "127.0.0.1\tweb.test\n2001:db8::33\tv6.test\n---\nvia-hosts\n");
        // without extra hosts the image's own /etc/hosts stays (nothing is bound)
        ExecResult plain = Fixtures.container().run("/bin/sh", "-c", "cat /etc/hosts 2>/dev/null | grep -c test; true");
        assertThat(plain.stdout()).isEqualTo("0\n");
    }

    @Test
    void onAUserDefinedNetworkTheContainerHasItsOwnFileThatFollowsTheMembers() {
        Network app = Network.bridge(BRIDGE, ADDRESS);
        try (RunningContainer extra = Fixtures.container().network(app).name(unique("eh-extra")).hostname("extrahost")
                .extraHost("api.example", "10.201.63.250").extraHost("host.docker.internal", Container.HOST_GATEWAY)
                .start("/bin/sleep", "600");
             RunningContainer plain = Fixtures.container().network(app).name(unique("eh-plain")).hostname("plainhost")
                     .start(HTTPD)) {
            String extraIp = extra.ipAddress().orElseThrow();
            String plainIp = plain.ipAddress().orElseThrow();
            String members = List.of(extraIp + "\t" + extra.name().orElseThrow() + " extrahost\n",
                    plainIp + "\t" + plain.name().orElseThrow() + " plainhost\n").stream()
                    .sorted((a, b) -> Integer.compare(lastOctet(a), lastOctet(b))).reduce("", String::concat);
            assertThat(extra.exec("cat", "/etc/hosts").stdout()).isEqualTo(LOCALHOST
                    + "10.201.63.250\tapi.example\n10.201.63.1\thost.docker.internal\n" + members);
            assertThat(plain.exec("cat", "/etc/hosts").stdout()).isEqualTo(LOCALHOST + members);
            // the member's names resolve through its own file: it reaches the other container by hostname
            ExecResult get = extra.exec("/bin/sh", "-c", "for i in $(seq 100); do wget -q -O - http://plainhost/ && exit 0; "
                    + "sleep 0.1; done; exit 1");
            assertThat(get.stdout()).as(get.stderr()).isEqualTo("hello plainhost\n");
            // a member that comes and goes is written into the container's own file too, in place
            String lateIp;
            try (RunningContainer late = Fixtures.container().network(app).hostname("latehost").start("/bin/sleep", "600")) {
                lateIp = late.ipAddress().orElseThrow();
                assertThat(extra.exec("cat", "/etc/hosts").stdout()).contains(lateIp + "\t")
                        .startsWith(LOCALHOST + "10.201.63.250\tapi.example\n");
                assertThat(late.exec("cat", "/etc/hosts").stdout()).doesNotContain("api.example");
            }
            assertThat(extra.exec("cat", "/etc/hosts").stdout()).doesNotContain(lateIp + "\t");
            Path own = Fixtures.RUNTIME.runRoot().resolve("containers").resolve(extra.id()).resolve("hosts");
            assertThat(own).exists();
            extra.close();
            assertThat(own).doesNotExist();
            // its lines went with it: the network's file lists the remaining member only
            assertThat(plain.exec("cat", "/etc/hosts").stdout()).isEqualTo(LOCALHOST + plainIp + "\t"
                    + plain.name().orElseThrow() + " plainhost\n");
        }
    }

    @Test
    void onAVethPairHostGatewayIsItsHostEnd() {
        ExecResult r = Fixtures.container().network(Network.veth("10.201.64.1/30", "10.201.64.2/30")).hostname("p2p")
                .extraHost("host.docker.internal", Container.HOST_GATEWAY).run("cat", "/etc/hosts");
        assertThat(r.stdout()).as(r.stderr()).isEqualTo(LOCALHOST + "10.201.64.1\thost.docker.internal\n10.201.64.2\tp2p\n");
    }

    @Test
    void onTheHostsNetworkTheLinesFollowTheHostsFile() throws Exception {
        String host = Files.readString(Path.of("/etc/hosts"));
        ExecResult r = Fixtures.container().network(Network.host()).extraHost("db.test", "127.0.0.1").run("cat", "/etc/hosts");
        assertThat(r.stdout()).as(r.stderr())
                .isEqualTo(host + (host.isEmpty() || host.endsWith("\n") ? "" : "\n") + "127.0.0.1\tdb.test\n");
        assertThat(Files.readString(Path.of("/etc/hosts"))).isEqualTo(host);
    }

    @Test
    void badInputIsOneLineBeforeAnythingIsMade() {
        assertThatThrownBy(() -> Fixtures.container().extraHost("bad name", "10.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid extra host name 'bad name': expected a hostname (letters, digits, '-' and '_' in "
                        + "dot-separated labels, at most 253 characters)");
        assertThatThrownBy(() -> Fixtures.container().extraHost("-db", "10.0.0.1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fixtures.container().extraHost("db\n10.0.0.2 other", "10.0.0.1"))
                .isInstanceOf(IllegalArgumentException.class);
        for (String address : new String[] {"10.0.0", "1", "010.1.2.3", "256.1.1.1", "db.example",
                "10.0.0.1 extra", "", "2001:db8::zz", "[2001:db8::1]", "fe80::1%lo"}) {
            assertThatThrownBy(() -> Fixtures.container().extraHost("db", address))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid address '" + address + "' for extra host db: expected an IPv4 or IPv6 address or "
                            + "host-gateway");
        }
        for (Network n : new Network[] {Network.none(), Network.host()}) {
            assertThatThrownBy(() -> Fixtures.container().network(n).extraHost("gw", Container.HOST_GATEWAY).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("extra host gw:host-gateway needs a network with a host address (bridge or veth), but the "
                            + "network is " + n + ": expected an address instead of host-gateway");
        }
        assertThat(Fixtures.container().extraHost("db", "10.0.0.1").extraHost("db", "2001:db8::1").build().extraHosts())
                .containsExactly("db:10.0.0.1", "db:2001:db8::1");
    }

    @Test
    void dnsSettingsReplaceTheirLinesOfTheResolvConf() throws Exception {
        String hostOther = otherLines(Files.readString(Path.of("/etc/resolv.conf")));
        // network none: a resolv.conf of the settings (and the host's other lines), where the image's stays otherwise
        ExecResult none = Fixtures.container().dns("10.201.63.53").dns("2001:db8::53").dns("10.201.63.53")
                .dnsSearch("a.example").dnsSearch("b.example.").dnsOption("ndots:2").dnsOption("timeout:1")
                .run("cat", "/etc/resolv.conf");
        assertThat(none.stdout()).as(none.stderr()).isEqualTo(hostOther + "nameserver 10.201.63.53\nnameserver 2001:db8::53\n"
                + "search a.example b.example\noptions ndots:2 timeout:1\n");
        Path imageFile = Fixtures.rootfs().resolve("etc/resolv.conf");
        ExecResult image = Fixtures.container().run("/bin/sh", "-c", "cat /etc/resolv.conf 2>/dev/null; true");
        assertThat(image.stdout()).isEqualTo(Files.exists(imageFile) ? Files.readString(imageFile) : "");
        // a bridge: the name servers it would have, "." leaves no search line, the options replaced
        Network app = Network.bridge(BRIDGE, ADDRESS);
        String plain = Fixtures.container().network(app).run("cat", "/etc/resolv.conf").stdout();
        ExecResult searchless = Fixtures.container().network(app).dnsSearch(".").dnsOption("ndots:3")
                .run("cat", "/etc/resolv.conf");
        assertThat(searchless.stdout()).as(searchless.stderr()).isEqualTo(otherLines(plain)
                + plain.lines().filter(l -> l.startsWith("nameserver")).map(l -> l + "\n").reduce("", String::concat)
                + "options ndots:3\n");
        assertThat(searchless.stdout()).contains("nameserver ").doesNotContain("search ");
        // the host's network: the host's file with the servers replaced, the host's file untouched
        String host = Files.readString(Path.of("/etc/resolv.conf"));
        ExecResult onHost = Fixtures.container().network(Network.host()).dns("10.201.63.53").run("cat", "/etc/resolv.conf");
        assertThat(onHost.stdout()).as(onHost.stderr()).startsWith(hostOther + "nameserver 10.201.63.53\n")
                .doesNotContain(host.lines().filter(l -> l.startsWith("nameserver")).findFirst().orElse("nameserver none-given"));
        assertThat(Files.readString(Path.of("/etc/resolv.conf"))).isEqualTo(host);
    }

    @Test
    void badDnsSettingsAreOneLine() {
        for (String server : new String[] {"8.8", "dns.google", "", "[2001:db8::1]"}) {
            assertThatThrownBy(() -> Fixtures.container().dns(server)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid DNS server '" + server + "': expected an IPv4 or IPv6 address");
        }
        for (String domain : new String[] {"bad_domain", "-x.example", "a b", ""}) {
            assertThatThrownBy(() -> Fixtures.container().dnsSearch(domain)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid DNS search domain '" + domain + "': expected a domain name (letters, digits and '-' "
                            + "in dot-separated labels) or '.' for none");
        }
        for (String option : new String[] {"", "ndots: 2", "a\nnameserver 1.2.3.4"}) {
            assertThatThrownBy(() -> Fixtures.container().dnsOption(option)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid DNS option '" + option + "': expected a resolver option such as ndots:2 (printable, "
                            + "without spaces)");
        }
        Container c = Fixtures.container().dns("10.0.0.53").dnsSearch("x.example.").dnsOption("ndots:2").build();
        assertThat(List.of(c.dns(), c.dnsSearch(), c.dnsOptions()))
                .isEqualTo(List.of(List.of("10.0.0.53"), List.of("x.example"), List.of("ndots:2")));
    }

    /** A resolv.conf's lines other than name servers, search domains and options (comments, sortlist). */
    private static String otherLines(String resolvConf) {
        return resolvConf.lines().filter(l -> !l.isBlank())
                .filter(l -> !List.of("nameserver", "search", "domain", "options").contains(l.trim().split("\\s+")[0]))
                .map(l -> l + "\n").reduce("", String::concat);
    }

    private static String unique(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime());
    }

    private static int lastOctet(String line) {
        String address = line.substring(0, line.indexOf('\t'));
        return Integer.parseInt(address.substring(address.lastIndexOf('.') + 1));
    }
}
