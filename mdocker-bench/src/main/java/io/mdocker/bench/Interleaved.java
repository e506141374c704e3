package io.mdocker.bench;

import io.mdocker.ContainerRuntime;

import java.util.ArrayList;
import java.util.List;

/**
 * The latency harness: every variant does one unit of work per round, in an order rotated each
 * round, so that the noise of a shared machine (other processes, page cache, timer drift) and any
 * effect of going first or after a given neighbour hits all variants alike. Warm-up rounds come
 * first (JIT, class loading, the monitor pool, page cache) and are not timed. A failed unit of
 * work ends the run with the variant's name: a benchmark must not quietly time failures.
 *
 * <p>An mdocker {@code run()} returns once the command has ended and its output is complete, and
 * leaves the rest of its teardown to a cleanup thread; each unit of work starts once that is over
 * ({@link ContainerRuntime#awaitCleanup()}, not timed), as a runc or bwrap run has finished its
 * teardown when it returns. A variant that includes the teardown in its time says so in its name.
 * What a variant leaves to finish (a started container to close, a warm pool to refill) is done
 * after its timed work and before the next variant's ({@link Variant#after()}, not timed).
 */
public final class Interleaved {
    private Interleaved() {}

    /** Runs {@code warmup} untimed and {@code rounds} timed rounds; the samples per variant, in order. */
    public static List<Samples> measure(List<Variant> variants, int warmup, int rounds, Progress progress) {
        int n = variants.size();
        long[][] ns = new long[n][rounds];
        for (int r = -warmup; r < rounds; r++) {
            for (int k = 0; k < n; k++) {
                int v = Math.floorMod(k + r, n);
                ContainerRuntime.awaitCleanup(); // the previous run's teardown, not timed
                long t0 = System.nanoTime();
                long self = run(variants.get(v));
                long t = self >= 0 ? self : System.nanoTime() - t0;
                finish(variants.get(v)); // not timed
                if (r >= 0) {
                    ns[v][r] = t;
                }
            }
            progress.step(r + warmup + 1, warmup + rounds);
        }
        List<Samples> out = new ArrayList<>(n);
        for (int v = 0; v < n; v++) {
            out.add(new Samples(variants.get(v).name(), ns[v]));
        }
        return out;
    }

    static void finish(Variant v) {
        try {
            v.after().run();
        } catch (Exception e) {
            throw new IllegalStateException(v.name() + " (after): " + e.getMessage(), e);
        }
    }

    /** Runs the variant's work: the nanoseconds a self-timed variant measured, else -1. */
    static long run(Variant v) {
        try {
            if (v.timed() != null) {
                return v.timed().runNanos();
            }
            v.work().run();
            return -1;
        } catch (Exception e) {
            throw new IllegalStateException(v.name() + ": " + e.getMessage(), e);
        }
    }

    /** Told after each round; prints a line now and then so that a long run shows it is alive. */
    @FunctionalInterface
    public interface Progress {
        void step(int done, int total);

        static Progress every(int rounds, String what) {
            return (done, total) -> {
                if (done % rounds == 0 || done == total) {
                    System.out.printf("%s: %d/%d%n", what, done, total);
                }
            };
        }
    }
}
