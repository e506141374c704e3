package io.mdocker.junit;

import io.mdocker.ContainerPool;
import io.mdocker.ExecResult;
import io.mdocker.Wait;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code @Sandbox(pool = N)}: a sample class's instance field gets its containers from a warm pool
 * opened with its first container and closed after the class; every test still gets a sandbox of
 * its own. Run through the JUnit Platform Launcher.
 */
class SandboxPoolTest {
    static final int TESTS = 8;
    static final Set<String> IDS = ConcurrentHashMap.newKeySet();
    static final List<ContainerPool> POOLS = new CopyOnWriteArrayList<>();

    @MdockerTest
    static class Pooled {
        @Sandbox(pool = 3)
        SandboxContainer box = SandboxContainer.of(Fixtures.container()
                .command("/bin/sh", "-c", "echo ready; exec sleep 600").build()).waitingFor(Wait.forLogLine("^ready$"));

        @RepeatedTest(TESTS)
        void eachTestHasASandboxOfItsOwn() {
            ExecResult r = box.container().exec("/bin/sh", "-c", "test -e /marker && echo used; echo x > /marker; echo fresh");
            assertThat(r.stdout()).isEqualTo("fresh\n");
            assertThat(IDS.add(box.container().id())).as("a sandbox served twice").isTrue();
            POOLS.addAll(Fixtures.RUNTIME.pools().stream().filter(p -> !POOLS.contains(p)).toList());
        }
    }

    @MdockerTest
    static class BadSize {
        @Sandbox(pool = -2)
        SandboxContainer box = SandboxContainer.of(Fixtures.container().command("/bin/sleep", "600").build());

        @Test
        void neverRuns() {
            throw new AssertionError("must not run");
        }
    }

    @Test
    void aPooledFieldServesEveryTestFromItsPoolWhichGoesWithTheClass() {
        Fixtures.rootfs();
        JunitFixtures.Report report = JunitFixtures.run(Pooled.class, Map.of());
        assertThat(report.finished().stream().filter(o -> o.id().isTest()))
                .hasSize(TESTS).allMatch(o -> o.result().getStatus() == org.junit.platform.engine.TestExecutionResult.Status.SUCCESSFUL,
                        "passed");
        assertThat(IDS).hasSize(TESTS);
        assertThat(POOLS).hasSize(1);
        ContainerPool pool = POOLS.getFirst();
        assertThat(pool.claims() + pool.misses()).as("every start asked the pool").isEqualTo(TESTS);
        assertThat(pool.claims()).as("starts served by a parked sandbox").isGreaterThanOrEqualTo(1);
        assertThat(Fixtures.RUNTIME.pools()).as("closed after the class").isEmpty();
        assertThat(Fixtures.recordedContainers(Fixtures.RUNTIME)).as("containers and parked sandboxes left").isEmpty();
        System.out.println("[pool] " + TESTS + " tests: " + pool.claims() + " claimed, " + pool.misses() + " started cold");
    }

    @Test
    void aBadPoolSizeFailsTheClassInOneLine() {
        Fixtures.rootfs();
        JunitFixtures.Report report = JunitFixtures.run(BadSize.class, Map.of());
        Throwable failure = report.test("neverRuns").failure();
        assertThat(failure).hasMessage("@Sandbox(pool = -2) on field BadSize.box: invalid pool size -2: expected 1 to 64 sandboxes");
        assertThat(Fixtures.RUNTIME.pools()).isEmpty();
        assertThat(Fixtures.recordedContainers(Fixtures.RUNTIME)).isEmpty();
    }
}
