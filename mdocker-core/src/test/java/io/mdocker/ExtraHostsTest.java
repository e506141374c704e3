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
 * {@code extraHost} (Docker's {@code --add-host}) with real containers on each network: the lines
 * come after the localhost lines and before the container's own, {@code host-gateway} is the host's
 * address on the network, the names resolve, and on a user-defined network the container's own
 * hosts file still follows the network's members while the others never see its lines. Test-only
 * bridge mdt63 on 10.201.63.0/24 and veth pair 10.201.64.1/30-10.201.64.2/30; the names resolve to
 * loopback or to containers made here, and nothing is sent to the addresses that only appear in
 * the files.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestBridge(name = ExtraHostsTest.BRIDGE, address = ExtraHostsTest.ADDRESS, vethRules = "10.201.64.0/30")
class ExtraHostsTest {
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

    private static String unique(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime());
    }

    private static int lastOctet(String line) {
        String address = line.substring(0, line.indexOf('\t'));
        return Integer.parseInt(address.substring(address.lastIndexOf('.') + 1));
    }
}
