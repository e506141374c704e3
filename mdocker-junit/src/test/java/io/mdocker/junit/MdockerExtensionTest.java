package io.mdocker.junit;

import io.mdocker.testing.Fixtures;
import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.Container;
import io.mdocker.RunningContainer;
import io.mdocker.Wait;
import io.mdocker.WaitTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.AssertionFailedError;

/**
 * The extension, run on sample classes through the JUnit Platform Launcher: scopes, injection,
 * cleanup after passes, failures, timeouts and failed starts, output attached to failures, and
 * parallel execution.
 */
class MdockerExtensionTest {
    private static final Map<String, String> SEQUENTIAL = Map.of();
    private static final Map<String, String> PARALLEL = Map.of(
            "junit.jupiter.execution.parallel.enabled", "true",
            "junit.jupiter.execution.parallel.mode.default", "concurrent",
            "junit.jupiter.execution.parallel.mode.classes.default", "concurrent",
            "junit.jupiter.execution.parallel.config.strategy", "fixed",
            "junit.jupiter.execution.parallel.config.fixed.parallelism", "8");

    static final List<RunningContainer> SEEN = new CopyOnWriteArrayList<>();

    // ---------------------------------------------------------------------------------------
    // samples: run only through the launcher (surefire skips nested classes)

    @MdockerTest
    static class Scopes {
        @Sandbox
        static SandboxContainer shared = SandboxContainer.of(Fixtures.container().command("/bin/sleep", "600").build());
        @Sandbox
        SandboxContainer mine = SandboxContainer.of(Fixtures.container()
                .command("/bin/sh", "-c", "echo up; exec sleep 600").build()).waitingFor(Wait.forLogLine("^up$"));
        @Sandbox
        Container plain = Fixtures.container().command("/bin/sleep", "600").build();
        Container template = Fixtures.container().command("/bin/sh", "-c", "echo fresh; exec sleep 600").build();

        static RunningContainer fromBeforeAll;

        @BeforeAll
        static void before(@Sandbox("shared") RunningContainer c) {
            fromBeforeAll = c;
        }

        @Test
        void first(@Sandbox("plain") RunningContainer p, @Sandbox("template") RunningContainer fresh,
                   @Sandbox("mine") SandboxContainer me) {
            check(p, fresh, me);
        }

        @Test
        void second(@Sandbox("plain") RunningContainer p, @Sandbox("template") RunningContainer fresh,
                    @Sandbox("mine") SandboxContainer me) {
            check(p, fresh, me);
        }

        private void check(RunningContainer p, RunningContainer fresh, SandboxContainer me) {
            assertThat(me).isSameAs(mine);
            assertThat(mine.logs()).isEqualTo("up\n");
            assertThat(shared.container()).isSameAs(fromBeforeAll);
            assertThat(List.of(shared.container(), mine.container(), p, fresh)).allMatch(RunningContainer::isRunning)
                    .doesNotHaveDuplicates();
            SEEN.addAll(List.of(shared.container(), mine.container(), p, fresh));
        }
    }

    @MdockerTest
    static class Failures {
        @Sandbox
        SandboxContainer chatty = SandboxContainer.of(Fixtures.container()
                .command("/bin/sh", "-c", "echo marker-line-1; sleep 0.05; echo marker-line-2 >&2; exec sleep 600").build())
                .waitingFor(Wait.forLogLine("marker-line-2"));

        @AfterEach
        void record() {
            SEEN.add(chatty.container());
        }

        @Test
        void assertionFails() {
            assertThat(1).as("deliberate").isEqualTo(2);
        }

        @Test
        @Timeout(value = 300, unit = java.util.concurrent.TimeUnit.MILLISECONDS)
        void timesOut() throws InterruptedException {
            Thread.sleep(30_000);
        }
    }

    @MdockerTest
    static class NeverReady {
        @Sandbox
        static SandboxContainer silent = SandboxContainer.of(Fixtures.container()
                .command("/bin/sh", "-c", "echo booting; exec sleep 600").build())
                .waitingFor(Wait.forLogLine("ready").withTimeout(Duration.ofMillis(300)));

        @Test
        void neverRuns() {
            throw new AssertionError("must not run");
        }
    }

    @MdockerTest
    static class Parallel {
        static final Set<String> THREADS = ConcurrentHashMap.newKeySet();

        @Sandbox
        SandboxContainer box = SandboxContainer.of(Fixtures.container().command("/bin/sh", "-c", "echo $HOSTNAME; exec sleep 600")
                .build()).waitingFor(Wait.forLogLine("."));

        void work() throws InterruptedException {
            THREADS.add(Thread.currentThread().getName());
            SEEN.add(box.container());
            Thread.sleep(300); // overlap with the other tests
            assertThat(box.container().isRunning()).isTrue();
        }

        @Test void t1() throws Exception { work(); }
        @Test void t2() throws Exception { work(); }
        @Test void t3() throws Exception { work(); }
        @Test void t4() throws Exception { work(); }
        @Test void t5() throws Exception { work(); }
        @Test void t6() throws Exception { work(); }
    }

    // ---------------------------------------------------------------------------------------

    private static void assertAllClosed() {
        assertThat(SEEN).isNotEmpty().noneMatch(RunningContainer::isRunning);
        assertThat(Fixtures.recordedContainers(Fixtures.RUNTIME)).as("state records left").isEmpty();
        SEEN.clear();
    }

    @Test
    void staticSandboxesLiveForTheClassInstanceOnesForOneTestAndParametersAreInjected() {
        JunitFixtures.Report report = JunitFixtures.run(Scopes.class, SEQUENTIAL);
        assertThat(report.skipped()).isEmpty();
        assertThat(report.test("first(").result().getStatus().name()).as("%s", report.test("first(").result()).isEqualTo("SUCCESSFUL");
        assertThat(report.test("second(").result().getStatus().name()).as("%s", report.test("second(").result()).isEqualTo("SUCCESSFUL");
        // 4 per test: the shared one is the same in both, the others are new per test
        assertThat(SEEN).hasSize(8);
        assertThat(SEEN.get(0)).isSameAs(SEEN.get(4));
        assertThat(Set.copyOf(SEEN)).hasSize(7);
        assertAllClosed();
    }

    @Test
    void aFailureOrTimeoutCarriesTheLastOutputAndTheSandboxIsClosedAnyway() {
        JunitFixtures.Report report = JunitFixtures.run(Failures.class, SEQUENTIAL);
        Throwable failed = report.test("assertionFails()").failure();
        assertThat(failed).isInstanceOf(AssertionFailedError.class).hasMessageContaining("deliberate");
        assertThat(failed.getSuppressed()).hasSize(1);
        assertThat(failed.getSuppressed()[0]).isInstanceOf(SandboxOutput.class)
                .hasMessageContaining("sandbox chatty (container ")
                .hasMessageContaining(", running), last output:\n    marker-line-1\n    marker-line-2");
        Throwable timedOut = report.test("timesOut()").failure();
        assertThat(timedOut).isInstanceOf(TimeoutException.class);
        assertThat(timedOut.getSuppressed()).anyMatch(s -> s instanceof SandboxOutput && s.getMessage().contains("marker-line-1"));
        assertThat(SEEN).hasSize(2);
        assertAllClosed();
    }

    @Test
    void aSandboxThatNeverBecomesReadyFailsTheClassSaysWhyAndLeavesNothing() {
        JunitFixtures.Report report = JunitFixtures.run(NeverReady.class, SEQUENTIAL);
        Throwable failure = report.container("NeverReady").failure();
        assertThat(failure).isInstanceOf(WaitTimeoutException.class)
                .hasMessageContaining("was not ready after 300 ms: waited for a log line matching 'ready'")
                .hasMessageContaining("last output:\n    booting");
        assertThat(report.finished()).noneMatch(o -> o.id().isTest());
        assertThat(NeverReady.silent.isStarted()).isTrue();
        assertThat(NeverReady.silent.container().isRunning()).isFalse();
        assertThat(Fixtures.recordedContainers(Fixtures.RUNTIME)).isEmpty();
    }

    @Test
    void parallelTestsEachGetTheirOwnSandboxAtTheSameTime() {
        long t0 = System.nanoTime();
        JunitFixtures.Report report = JunitFixtures.run(Parallel.class, PARALLEL);
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(report.finished()).filteredOn(o -> o.id().isTest())
                .hasSize(6).allMatch(o -> o.result().getStatus().name().equals("SUCCESSFUL"), "all successful");
        assertThat(Parallel.THREADS).as("ran on several threads").hasSizeGreaterThan(1);
        assertThat(Set.copyOf(SEEN)).hasSize(6);
        assertThat(SEEN.stream().map(RunningContainer::id).distinct()).hasSize(6);
        assertThat(took).as("6 tests of 300 ms each overlapped").isLessThan(Duration.ofMillis(6 * 300));
        assertAllClosed();
    }
}
