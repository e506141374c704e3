package io.mdocker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestBridge;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The timing entry point's two measurements, run small on the test bridge. */
@TestBridge(name = ExampleNet.BRIDGE, address = ExampleNet.BRIDGE_ADDRESS)
class JUnitTimingTest {
    @Test
    void theServerExampleBecomesReadyAndIsTimed() throws Exception {
        List<Duration> times = JUnitTiming.serverStartToReady(ExampleNet.bridge(), 3);
        assertThat(times).hasSize(3).allMatch(d -> d.compareTo(Duration.ZERO) > 0 && d.compareTo(Duration.ofSeconds(5)) < 0);
    }

    @Test
    void theTwentySandboxClassPassesWithParallelExecutionOnAndOff() {
        JUnitTiming.ClassRun parallel = JUnitTiming.runClass(ParallelSandboxes.class, true);
        assertThat(parallel.succeeded()).isEqualTo(ParallelSandboxes.SANDBOXES);
        assertThat(parallel.failed()).isZero();
        JUnitTiming.ClassRun sequential = JUnitTiming.runClass(ParallelSandboxes.class, false);
        assertThat(sequential.succeeded()).isEqualTo(ParallelSandboxes.SANDBOXES);
        assertThat(Fixtures.recordedContainers(ExampleSetup.runtime())).as("every sandbox removed").isEmpty();
    }
}
