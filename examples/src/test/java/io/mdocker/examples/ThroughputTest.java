package io.mdocker.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The throughput example, small: every container ran and answered, and the figure is printed. */
class ThroughputTest {
    @Test
    void runsABatchInParallelAndReportsContainersPerSecond() throws Exception {
        Throughput.Batch b = Throughput.run(24, 4);
        assertThat(b.failed()).isZero();
        assertThat(b.containers()).isEqualTo(24);
        assertThat(b.perSecond()).isPositive();
        assertThat(b.toString()).matches("24 containers, 4 at a time: \\d+\\.\\d\\d s, \\d+\\.\\d containers/s, 0 failed");
    }

    @Test
    void aBadBatchIsAOneLineError() {
        assertThatThrownBy(() -> Throughput.run(0, 4))
                .hasMessage("invalid batch: expected at least 1 container and 1 at a time, got 0 and 4");
    }
}
