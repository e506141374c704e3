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
 * first, overridden by the builder), ExposedPorts ({@code publishAllExposed()}, on the test
 * bridge mdt80; traffic only to 127.0.0.1) and Healthcheck ({@link Wait#forHealthcheck()}).
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
        TestImages.healthTag(layout, "ok", 1, "{\"Test\":[\"CMD-SHELL\",\"test -f /ok\"],\"Interval\":100000000,"
                + "\"Timeout\":5000000000,\"Retries\":3,\"StartPeriod\":20000000000}");
        TestImages.healthTag(layout, "never", 0, "{\"Test\":[\"CMD\",\"/bin/ls\",\"/never\"],\"Interval\":50000000,"
                + "\"Retries\":3}");
        TestImages.healthTag(layout, "none", 0, "{\"Test\":[\"NONE\"]}");
        for (String[] sig : new String[][] {{"bogus", "BOGUS"}, {"rt", "SIGRTMIN+3"}, {"num", "10"}}) {
            TestImages.run("umoci", "config", "--image", layout + ":stop", "--tag", "sig-" + sig[0],
                    "--config.stopsignal", sig[1]);
            store.loadOciLayout(layout, Optional.of("sig-" + sig[0]), Optional.of("mdocker-test/cfg-sig:" + sig[0]));
        }
        for (String tag : new String[] {"ok", "never", "none"}) {
            store.loadOciLayout(layout, Optional.of(tag), Optional.of("mdocker-test/cfg-health:" + tag));
        }
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
        try (RunningContainer c = Container.builder().image("mdocker-test/cfg-sig:num").pullPolicy(PullPolicy.NEVER)
                .runtime(Fixtures.RUNTIME).start()) {
            awaitTraps(c);
            assertThat(c.stop(Duration.ofSeconds(20))).as("StopSignal \"10\" is SIGUSR1: exit 44").isEqualTo(44);
        }
        try (RunningContainer c = Container.builder().image("mdocker-test/cfg-sig:rt").pullPolicy(PullPolicy.NEVER)
                .runtime(Fixtures.RUNTIME).init(false).start()) {
            awaitTraps(c);
            assertThat(c.stop(Duration.ofSeconds(20))).as("SIGRTMIN+3 (37) to the shell as pid 1: exit 45").isEqualTo(45);
        }
        try (RunningContainer c = Container.builder().image("mdocker-test/cfg-sig:rt").pullPolicy(PullPolicy.NEVER)
                .runtime(Fixtures.RUNTIME).start()) {
            awaitTraps(c);
            assertThat(c.stop(Duration.ofSeconds(1))).as("mdocker-init does not forward SIGRTMIN+3: SIGKILL")
                    .isEqualTo(128 + 9);
        }
        var bad = assertThrows(IllegalArgumentException.class, () -> Container.builder().image("mdocker-test/cfg-sig:bogus")
                .pullPolicy(PullPolicy.NEVER).runtime(Fixtures.RUNTIME).build());
        assertThat(bad.getMessage()).isEqualTo("image docker.io/mdocker-test/cfg-sig:bogus: StopSignal 'BOGUS' is not a "
                + "signal: expected a name such as SIGTERM or SIGRTMIN+3, or a number from 1 to 64");
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

    private static Container.Builder health(String tag) {
        return Container.builder().image("mdocker-test/cfg-health:" + tag).pullPolicy(PullPolicy.NEVER).runtime(Fixtures.RUNTIME);
    }

    @Test
    void theHealthcheckIsReadAndAwaited() throws Exception {
        Image ok = ImageStore.of(Fixtures.RUNTIME).inspect("mdocker-test/cfg-health:ok").orElseThrow();
        assertThat(ok.healthcheck()).contains(new Healthcheck(java.util.List.of("CMD-SHELL", "test -f /ok"),
                Duration.ofMillis(100), Duration.ofSeconds(5), 3, Duration.ofSeconds(20)));
        assertThat(ImageStore.of(Fixtures.RUNTIME).inspect("mdocker-test/cfg-health:never").orElseThrow().healthcheck())
                .as("Docker's defaults where the image gives none").hasValueSatisfying(h -> {
                    assertThat(h.timeout()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(h.startPeriod()).isZero();
                });
        assertThat(ImageStore.of(Fixtures.RUNTIME).inspect(STOP).orElseThrow().healthcheck()).isEmpty();

        try (RunningContainer c = health("ok").start()) {
            assertThat(c.exec("/bin/ls", "/ok").exitCode()).as("/ok appears after 1 s").isNotZero();
            c.await(Wait.forHealthcheck());
            assertThat(c.exec("/bin/ls", "/ok").exitCode()).as("ready once /ok is there").isZero();
        }
        DetachedContainer d = health("ok").startDetached();
        try {
            DetachedContainer attached = Fixtures.RUNTIME.attach(d.id());
            assertThat(attached.healthcheck()).as("kept in the state record").isEqualTo(d.healthcheck())
                    .isEqualTo(ok.healthcheck());
            attached.await(Wait.forHealthcheck());
            assertThat(d.exec("/bin/ls", "/ok").exitCode()).isZero();
        } finally {
            d.remove(true);
        }
    }

    @Test
    void aHealthcheckThatNeverPassesOrIsMissingIsAnError() {
        try (RunningContainer c = health("never").start()) {
            var e = assertThrows(WaitTimeoutException.class, () -> c.await(Wait.forHealthcheck()));
            assertThat(e.getMessage()).as("one line: the container wrote nothing").isEqualTo("container " + c.shortId()
                    + ": healthcheck [CMD, /bin/ls, /never] failed 3 times in a row (last: /bin/ls /never exited with 1: "
                    + "ls: /never: No such file or directory); no output");
        }
        try (RunningContainer c = health("none").start()) {
            var e = assertThrows(IllegalStateException.class, () -> c.await(Wait.forHealthcheck()));
            assertThat(e.getMessage()).isEqualTo("container " + c.shortId() + " has no healthcheck to wait for: its image"
                    + " turns it off (Test [\"NONE\"]): expected another wait strategy");
        }
        try (RunningContainer c = stopper().start()) {
            var e = assertThrows(IllegalStateException.class, () -> c.await(Wait.forHealthcheck()));
            assertThat(e.getMessage()).isEqualTo("container " + c.shortId() + " has no healthcheck to wait for: its image"
                    + " defines none: expected an image with a Healthcheck, or another wait strategy");
        }
    }
}
