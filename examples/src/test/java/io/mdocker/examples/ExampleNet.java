package io.mdocker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.Network;
import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.net.Ipv4;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The examples' test bridge (never mdocker0): made on first use, removed with its rules afterwards. */
final class ExampleNet {
    private ExampleNet() {}

    static final String BRIDGE = "mdt7";
    static final String BRIDGE_ADDRESS = "10.201.7.1/24";
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");

    static Network bridge() {
        return Network.bridge(BRIDGE, BRIDGE_ADDRESS);
    }

    static String ipForward() {
        try {
            return Files.readString(IP_FORWARD).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes the bridge and its NAT rules; restores ip_forward as it was. */
    static void cleanUp(String ipForwardBefore) throws IOException {
        assertThat(ContainerNetwork.awaitReleases(Duration.ofSeconds(20))).as("veth pairs released").isTrue();
        ContainerNetwork.removeBridge(BRIDGE, Ipv4.parse(BRIDGE_ADDRESS, 32, "test bridge"));
        if ("0".equals(ipForwardBefore)) {
            Files.writeString(IP_FORWARD, "0\n");
        }
        assertThat(Path.of("/sys/class/net", BRIDGE)).as("test bridge removed").doesNotExist();
    }
}
