package io.mdocker.bench;

import java.util.Arrays;

/**
 * The timed samples of one variant, in nanoseconds, sorted, with the order statistics the
 * report uses. Percentiles are nearest-rank: {@code p99} of 300 samples is the 297th smallest.
 *
 * @param name the variant as the report names it
 * @param sortedNanos the samples, ascending
 */
public record Samples(String name, long[] sortedNanos) {

    public Samples {
        if (sortedNanos.length == 0) {
            throw new IllegalArgumentException("variant '" + name + "' has no samples");
        }
        sortedNanos = sortedNanos.clone();
        Arrays.sort(sortedNanos);
    }

    /** The {@code p}-th percentile (0 < p <= 100), nearest rank, in milliseconds. */
    public double percentileMs(double p) {
        int rank = (int) Math.ceil(p / 100.0 * sortedNanos.length);
        return sortedNanos[Math.clamp(rank - 1, 0, sortedNanos.length - 1)] / 1e6;
    }

    public double medianMs() {
        return percentileMs(50);
    }

    public double p99Ms() {
        return percentileMs(99);
    }

    public double minMs() {
        return sortedNanos[0] / 1e6;
    }

    public int count() {
        return sortedNanos.length;
    }
}
