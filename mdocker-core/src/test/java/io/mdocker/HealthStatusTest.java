package io.mdocker;

import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A detached container's healthcheck run by {@link ContainerHandle#runHealthchecks()} on a thread
 * of the test (as {@code mdocker health-monitor} runs it in a process of its own), and what any
 * reader of the state record ({@link ContainerRuntime#inspect}) sees: starting, unhealthy after
 * Retries failures, healthy once the check passes, failures in the start period not counted, a
 * run out of time counted as a failure (-1), and the runs stopping with the container.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class HealthStatusTest {
    private static Healthcheck check(String shell, long intervalMs, long timeoutMs, int retries, long startPeriodMs) {
        return new Healthcheck(List.of("CMD-SHELL", shell), Duration.ofMillis(intervalMs), Duration.ofMillis(timeoutMs), retries,
                Duration.ofMillis(startPeriodMs));
    }

    private static DetachedContainer start(Healthcheck h) {
        return Container.builder().rootfs(Fixtures.rootfs()).runtime(Fixtures.RUNTIME).healthcheck(h).startDetached("/bin/sleep", "600");
    }

    /** Polls the record (a file another process writes: no descriptor to wait on) until {@code until} holds. */
    private static HealthStatus awaitHealth(String id, Predicate<HealthStatus> until, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        HealthStatus last = null;
        while (System.nanoTime() < end) {
            last = Fixtures.RUNTIME.inspect(id).health().orElseThrow();
            if (until.test(last)) {
                return last;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(what + " within 30 s; last: " + last);
    }

    @Test
    void theChecksRecordStartingUnhealthyAndHealthyForEveryReader() throws Exception {
        DetachedContainer d = start(check("test -f /tmp/ok && echo fine", 100, 5000, 2, 0));
        Thread monitor = Thread.ofPlatform().start(() -> Fixtures.RUNTIME.attach(d.id()).runHealthchecks());
        try {
            HealthStatus bad = awaitHealth(d.id(), h -> h.status() == HealthStatus.Status.UNHEALTHY, "unhealthy after 2 failures");
            long t0 = System.nanoTime();
            d.runHealthchecks(); // another caller while the monitor thread runs them: returns at once
            assertThat(System.nanoTime() - t0).as("a second caller does not run them too").isLessThan(TimeUnit.SECONDS.toNanos(2));
            assertThat(monitor.isAlive()).isTrue();
            assertThat(bad.failingStreak()).isGreaterThanOrEqualTo(2);
            assertThat(bad.log()).isNotEmpty().hasSizeLessThanOrEqualTo(5).allSatisfy(r -> {
                assertThat(r.exitCode()).isEqualTo(1);
                assertThat(r.end()).isAfterOrEqualTo(r.start());
            });

            assertThat(d.exec("/bin/touch", "/tmp/ok").exitCode()).isZero();
            HealthStatus good = awaitHealth(d.id(), h -> h.status() == HealthStatus.Status.HEALTHY, "healthy once /tmp/ok is there");
            assertThat(good.failingStreak()).isZero();
            assertThat(good.log().get(good.log().size() - 1)).satisfies(r -> {
                assertThat(r.exitCode()).isZero();
                assertThat(r.output()).isEqualTo("fine\n");
            });
            assertThat(good.lastRun()).isPresent();

            d.stop(Duration.ofSeconds(5));
            monitor.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(monitor.isAlive()).as("the runs end with the container").isFalse();
        } finally {
            d.remove(true);
            monitor.join(TimeUnit.SECONDS.toMillis(20));
        }
    }

    @Test
    void failuresInTheStartPeriodDoNotCountAndARunOutOfTimeFails() throws Exception {
        DetachedContainer patient = start(check("false", 100, 5000, 1, 60_000));
        DetachedContainer slow = start(check("sleep 10", 100, 300, 1, 0));
        List<Thread> monitors = List.of(Thread.ofPlatform().start(patient::runHealthchecks), Thread.ofPlatform().start(slow::runHealthchecks));
        try {
            assertThat(Fixtures.RUNTIME.inspect(patient.id()).health()).as("before any run")
                    .hasValueSatisfying(h -> assertThat(h.status()).isEqualTo(HealthStatus.Status.STARTING));
            HealthStatus p = awaitHealth(patient.id(), h -> h.log().size() >= 3, "three runs");
            assertThat(p.status()).as("failing, but in the start period").isEqualTo(HealthStatus.Status.STARTING);
            assertThat(p.failingStreak()).isZero();

            HealthStatus s = awaitHealth(slow.id(), h -> h.status() == HealthStatus.Status.UNHEALTHY, "unhealthy by timeout");
            assertThat(s.log().get(0).exitCode()).isEqualTo(-1);
            assertThat(s.log().get(0).output()).isEqualTo("Health check exceeded timeout (300 ms)");
            assertThat(Duration.between(s.log().get(0).start(), s.log().get(0).end())).isLessThan(Duration.ofSeconds(5));
        } finally {
            patient.remove(true);
            slow.remove(true);
            for (Thread t : monitors) {
                t.join(TimeUnit.SECONDS.toMillis(20));
            }
        }
    }

    @Test
    void aContainerWithoutACheckOrWithNoneHasNoHealthAndBadChecksAreRefused() {
        try (RunningContainer c = Container.builder().rootfs(Fixtures.rootfs()).runtime(Fixtures.RUNTIME)
                .healthcheck(new Healthcheck(List.of("NONE"), Duration.ofSeconds(1), Duration.ofSeconds(1), 1, Duration.ZERO))
                .start("/bin/sleep", "60")) {
            assertThat(Fixtures.RUNTIME.inspect(c.id()).health()).isEmpty();
            c.runHealthchecks(); // NONE: returns at once
        }
        assertThatThrownBy(() -> Container.builder().healthcheck(check("true", 0, 1000, 1, 0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected interval and timeout above 0");
        assertThatThrownBy(() -> Container.builder().healthcheck(new Healthcheck(List.of("CMD"), Duration.ofSeconds(1),
                Duration.ofSeconds(1), 1, Duration.ZERO))).hasMessageContaining("expected [\"CMD\", program, args...]");
    }
}
