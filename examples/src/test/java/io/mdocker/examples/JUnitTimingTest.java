package io.mdocker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The timing entry point's two measurements, run small on the test bridge. */
class JUnitTimingTest {
    @Test
    void theServerExampleBecomesReadyAndIsTimed() throws Exception {
        String before = ExampleNet.ipForward();
        try {
            List<Duration> times = JUnitTiming.serverStartToReady(ExampleNet.bridge(), 3);
            assertThat(times).hasSize(3).allMatch(d -> d.compareTo(Duration.ZERO) > 0 && d.compareTo(Duration.ofSeconds(5)) < 0);
        } finally {
            ExampleNet.cleanUp(before);
        }
    }

    @Test
    void theTwentySandboxClassPassesWithParallelExecutionOnAndOff() {
        JUnitTiming.ClassRun parallel = JUnitTiming.runClass(ParallelSandboxes.class, true);
        assertThat(parallel.succeeded()).isEqualTo(ParallelSandboxes.SANDBOXES);
        assertThat(parallel.failed()).isZero();
        JUnitTiming.ClassRun sequential = JUnitTiming.runClass(ParallelSandboxes.class, false);
        assertThat(sequential.succeeded()).isEqualTo(ParallelSandboxes.SANDBOXES);
        assertThat(ExampleSetupCheck.recorded()).as("every sandbox removed").isEmpty();
    }
}
