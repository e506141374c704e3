package io.mdocker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The parts of an image's config that act after the start: StopSignal (what {@code stop} sends
 * first, overridden by the builder).
 */
class ImageConfigAppliedTest {
    private static final String STOP = "mdocker-test/cfg-stop:1";

    @BeforeAll
    static void loadImages() throws Exception {
        Fixtures.rootfs();
        Path layout = TestImages.umociLayout(Fixtures.TARGET.resolve("image-tests").resolve("config-applied"));
        TestImages.stopTag(layout);
        ImageStore store = ImageStore.of(Fixtures.RUNTIME);
        store.loadOciLayout(layout, Optional.of("stop"), Optional.of(STOP));
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
}
