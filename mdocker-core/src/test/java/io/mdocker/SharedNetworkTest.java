package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;
import io.mdocker.testing.TestBridge;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code Network.container(NAME)} (Docker's {@code --network container:NAME}) with real containers:
 * the joining container sees the other's loopback, interfaces and address, its /etc files and its
 * hostname; what needs a network of its own is refused in one line, and so is a container that
 * does not exist or does not run, before anything is made. Test-only bridge mdt67 on
 * 10.201.67.0/24; traffic only inside the namespaces made here.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestBridge(name = SharedNetworkTest.BRIDGE, address = SharedNetworkTest.ADDRESS)
class SharedNetworkTest {
    static final String BRIDGE = "mdt67";
    static final String ADDRESS = "10.201.67.1/24";

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
    }

    @Test
    void aContainerOnAnothersNetworkReachesItsLoopbackAndHasItsHostname() {
        try (RunningContainer server = Fixtures.container().hostname("srv").start("/bin/sh", "-c",
                "mkdir /www && echo on-loopback > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www")) {
            ExecResult r = Fixtures.container().network(Network.container(server.id().substring(0, 12))).run("/bin/sh", "-c",
                    "for i in $(seq 100); do wget -q -O - http://127.0.0.1:8080/ && break; sleep 0.1; done; hostname; "
                            + "ls /sys/class/net");
            assertThat(r.stdout()).as(r.stderr()).isEqualTo("on-loopback\nsrv\nlo\n");
            assertThat(r.exitCode()).isZero();
        }
    }

    @Test
    void onABridgeItHasTheOthersAddressAndEtcFiles() {
        Network app = Network.bridge(BRIDGE, ADDRESS);
        String name = "shared-" + Long.toHexString(System.nanoTime());
        try (RunningContainer web = Fixtures.container().network(app).name(name).start("/bin/sleep", "600")) {
            String ip = web.ipAddress().orElseThrow();
            Container joiner = Fixtures.container().network(Network.container(name)).build();
            assertThat(joiner.network().container()).contains(name);
            ExecResult r = joiner.run("/bin/sh", "-c", "ip -o -4 addr show eth0; cat /etc/hosts; echo ---; cat /etc/resolv.conf");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            String[] parts = r.stdout().split("---\n");
            assertThat(parts[0]).contains("inet " + ip + "/24");
            assertThat(parts[0].substring(parts[0].indexOf('\n') + 1)).isEqualTo(web.exec("cat", "/etc/hosts").stdout());
            assertThat(parts[1]).isEqualTo(web.exec("cat", "/etc/resolv.conf").stdout());
            assertThat(Fixtures.RUNTIME.inspect(name).network()).isEqualTo("bridge");
        }
    }

    @Test
    void badUsesAreOneLineBeforeAnythingIsMade() {
        assertThat(Network.parse("container:web")).isEqualTo(Network.container("web")).hasToString("container:web");
        assertThatThrownBy(() -> Network.parse("container:Bad Name")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid network container:Bad Name: expected a container's name or id");
        assertThatThrownBy(() -> Fixtures.container().network(Network.container("no-such-shared")).run("true"))
                .isInstanceOf(ContainerException.class).hasMessage("no such container: no-such-shared");
        assertThatThrownBy(() -> Fixtures.container().network(Network.container("web")).hostname("x").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a hostname (x) with network container:web: a container on another's network has that "
                        + "container's (as in Docker); expected one of them");
        assertThatThrownBy(() -> Fixtures.container().network(Network.container("web")).dns("10.0.0.53").build())
                .hasMessageStartingWith("DNS settings with network container:web");
        assertThatThrownBy(() -> Fixtures.container().network(Network.container("web")).publish(8080, 80).build())
                .hasMessageStartingWith("published port ").hasMessageContaining("needs a bridge, veth or pasta network");
        DetachedContainer exited = Fixtures.container().startDetached("true");
        try {
            assertThat(exited.waitFor()).isZero();
            assertThatThrownBy(() -> Fixtures.container().network(Network.container(exited.id())).run("true"))
                    .isInstanceOf(ContainerException.class)
                    .hasMessage("container " + exited.id() + " is not running: network container:" + exited.id()
                            + " needs it running");
        } finally {
            exited.remove(true);
        }
    }
}
