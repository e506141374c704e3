package io.mdocker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;
import io.mdocker.testing.TestBridge;
import io.mdocker.testing.TestImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The parts of an image's config that act after the start: StopSignal (what {@code stop} sends
 * first, overridden by the builder) and ExposedPorts ({@code publishAllExposed()}, on the test
 * bridge mdt80; traffic only to 127.0.0.1).
 */
@TestBridge(name = ImageConfigAppliedTest.BRIDGE, address = ImageConfigAppliedTest.BRIDGE_ADDRESS)
class ImageConfigAppliedTest {
    static final String BRIDGE = "mdt80";
    static final String BRIDGE_ADDRESS = "10.201.80.1/24";
    private static final String STOP = "mdocker-test/cfg-stop:1";
    private static final String WEB = "mdocker-test/cfg-web:1";

    @BeforeAll
    static void loadImages() throws Exception {
        Fixtures.rootfs();
        Path layout = TestImages.umociLayout(Fixtures.TARGET.resolve("image-tests").resolve("config-applied"));
        TestImages.stopTag(layout);
        TestImages.webTag(layout);
        ImageStore store = ImageStore.of(Fixtures.RUNTIME);
        store.loadOciLayout(layout, Optional.of("stop"), Optional.of(STOP));
        store.loadOciLayout(layout, Optional.of("web"), Optional.of(WEB));
    }

    private static Container.Builder stopper() {
        return Container.builder().image(STOP).pullPolicy(PullPolicy.NEVER).runtime(Fixtures.RUNTIME);
    }

    /** Waits until the image's shell has set its traps (it writes /ready then). */
    private static void awaitTraps(ContainerHandle c) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (c.exec(Exec.builder("/bin/ls", "/ready").build()).exitCode() != 0) {
            assertThat(System.nanoTime()).as("the entrypoint's traps set within 20 s").isLessThan(end);
            Thread.sleep(50);
        }
    }

    @Test
    void stopSendsTheImagesStopSignal() throws Exception {
        try (RunningContainer c = stopper().start()) {
            awaitTraps(c);
            assertThat(c.stop(Duration.ofSeconds(20))).as("SIGINT trapped: exit 42").isEqualTo(42);
        }
        try (RunningContainer c = stopper().build().toBuilder().start()) {
            awaitTraps(c);
            assertThat(c.stop(Duration.ofSeconds(20))).as("toBuilder keeps the image's SIGINT").isEqualTo(42);
        }
        DetachedContainer d = stopper().startDetached();
        try {
            awaitTraps(d);
            assertThat(d.stop(Duration.ofSeconds(20))).as("detached: SIGINT trapped, exit 42").isEqualTo(42);
        } finally {
            d.remove(true);
        }
    }

    @Test
    void theBuilderOverridesTheStopSignalAndSigkillEndsTheGrace() throws Exception {
        try (RunningContainer c = stopper().stopSignal(Signal.USR1).start()) {
            awaitTraps(c);
            assertThat(c.stop(Duration.ofSeconds(20))).as("SIGUSR1 trapped: exit 44").isEqualTo(44);
        }
        try (RunningContainer c = stopper().stopSignal(Signal.TERM).start()) {
            awaitTraps(c);
            assertThat(c.stop(Duration.ofSeconds(20))).as("SIGTERM trapped: exit 43").isEqualTo(43);
        }
        try (RunningContainer c = stopper().stopSignal(Signal.HUP).start()) {
            awaitTraps(c);
            long t0 = System.nanoTime();
            assertThat(c.stop(Duration.ofSeconds(1))).as("SIGHUP ignored, then SIGKILL").isEqualTo(128 + 9);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        }
        Container rebuilt = stopper().stopSignal(Signal.USR1).build().toBuilder().build();
        try (RunningContainer c = rebuilt.start()) {
            awaitTraps(c);
            assertThat(c.stop(Duration.ofSeconds(20))).as("toBuilder keeps the signal given").isEqualTo(44);
        }
        var e = assertThrows(NullPointerException.class, () -> stopper().stopSignal(null));
        assertThat(e.getMessage()).isEqualTo("stopSignal");
    }

    @Test
    void publishAllExposedPublishesTheImagesTcpPorts() throws Exception {
        NetFixtures.prerequisites();
        Container web = Container.builder().image(WEB).pullPolicy(PullPolicy.NEVER).runtime(Fixtures.RUNTIME)
                .network(Network.bridge(BRIDGE, BRIDGE_ADDRESS)).publish("127.0.0.1", 0, 8081).publishAllExposed().build();
        assertThat(web.ports()).as("8081 as given, then 80/tcp; 53/udp not published")
                .containsExactly(new PortMapping("127.0.0.1", 0, 8081), new PortMapping("127.0.0.1", 0, 80));
        try (RunningContainer c = web.start()) {
            assertThat(c.ports()).extracting(PortMapping::containerPort).containsExactly(8081, 80);
            assertThat(c.ports()).allSatisfy(p -> assertThat(p.hostPort()).isPositive());
            assertThat(c.ports()).allSatisfy(p -> assertThat(p.hostIp()).isEqualTo("127.0.0.1"));
            assertThat(NetFixtures.httpGet("127.0.0.1", c.mappedPort(80), Duration.ofSeconds(10))).isEqualTo("hello\n");
        }
        assertThat(web.toBuilder().build().ports()).as("toBuilder: the ports bound, once")
                .containsExactly(new PortMapping("127.0.0.1", 0, 8081), new PortMapping("127.0.0.1", 0, 80));
        assertThat(Container.builder().image(WEB).pullPolicy(PullPolicy.NEVER).runtime(Fixtures.RUNTIME).build().ports())
                .as("without publishAllExposed nothing is published").isEmpty();

        var e = assertThrows(IllegalArgumentException.class, () -> Container.builder().image(WEB)
                .pullPolicy(PullPolicy.NEVER).runtime(Fixtures.RUNTIME).publishAllExposed().build());
        assertThat(e.getMessage()).isEqualTo("published port 127.0.0.1:0->80/tcp needs a bridge, veth or pasta network, "
                + "but the network is none: expected network(Network.bridge()) or no published ports");
        e = assertThrows(IllegalArgumentException.class, () -> Fixtures.container().publishAllExposed()
                .network(Network.bridge(BRIDGE, BRIDGE_ADDRESS)).build());
        assertThat(e.getMessage()).startsWith("publishAllExposed() publishes an image's ExposedPorts, but the container "
                + "has a root filesystem");
    }
}
