package io.mdocker.bench;

import org.junit.jupiter.api.Test;

import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Nearest-rank percentiles of the benchmark's samples. */
class SamplesTest {

    @Test
    void percentilesAreNearestRankOverTheSortedSamples() {
        // 1..100 ms, shuffled by reversing: the order given must not matter
        long[] ns = LongStream.rangeClosed(1, 100).map(i -> (101 - i) * 1_000_000).toArray();
        Samples s = new Samples("x", ns);
        assertThat(s.medianMs()).isEqualTo(50.0);
        assertThat(s.p99Ms()).isEqualTo(99.0);
        assertThat(s.percentileMs(1)).isEqualTo(1.0);
        assertThat(s.percentileMs(100)).isEqualTo(100.0);
        assertThat(s.minMs()).isEqualTo(1.0);
        assertThat(ns[0]).as("the caller's array is not sorted in place").isEqualTo(100_000_000);
    }

    @Test
    void threeHundredSamplesPutP99AtThe297th() {
        long[] ns = LongStream.rangeClosed(1, 300).toArray();
        assertThat(new Samples("x", ns).p99Ms()).isEqualTo(297 / 1e6);
    }

    @Test
    void noSamplesIsAnError() {
        assertThatThrownBy(() -> new Samples("runc", new long[0])).hasMessage("variant 'runc' has no samples");
    }
}
