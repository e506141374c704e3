package io.mdocker.bench;

import io.mdocker.ContainerRuntime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Containers per second with a fixed number in flight: {@code inFlight} threads each start a
 * container, wait for its exit and start the next, until {@code perRound} are done; the rate is
 * that count over the wall time. Each level runs {@code rounds} rounds in which every variant
 * takes its turn (rotated, as in {@link Interleaved}); the report gives the median round. A round
 * ends once mdocker's background teardown of its containers is over too
 * ({@link ContainerRuntime#awaitCleanup()}, timed), so that neither its time nor its CPU spills
 * into the next variant's round. CPU per container: user + system of this JVM and every process it
 * reaped during the round ({@link CpuTime}), over the round's containers; the JVM's own work for
 * runc, bwrap and unshare (starting and reaping them) counts for them as mdocker's counts for it.
 */
public final class Throughput {
    private Throughput() {}

    /**
     * The rate of one variant at one level.
     *
     * @param variant the variant's name
     * @param inFlight containers running at once
     * @param perSecond the median round's containers per second
     * @param cpuMsPerContainer the median round's CPU time (user + system, JVM and its reaped
     *                          descendants) per container, in milliseconds
     */
    public record Rate(String variant, int inFlight, double perSecond, double cpuMsPerContainer) {}

    public static List<Rate> measure(List<Variant> variants, int[] levels, int rounds, int perRound) throws InterruptedException {
        return measure(variants, levels, rounds, perRound, java.util.Map.of());
    }

    /**
     * As {@link #measure(List, int[], int, int)}; a variant named in {@code settle} ends each of its
     * rounds with that work too, timed (a warm pool's refill: what the round's claims used up is
     * made again before the round counts as done).
     */
    public static List<Rate> measure(List<Variant> variants, int[] levels, int rounds, int perRound,
                                     java.util.Map<String, Work> settle) throws InterruptedException {
        List<Rate> out = new ArrayList<>();
        for (int level : levels) {
            double[][] rates = new double[variants.size()][rounds];
            double[][] cpu = new double[variants.size()][rounds];
            ExecutorService pool = Executors.newFixedThreadPool(level, r -> Thread.ofPlatform().daemon().unstarted(r));
            try {
                ((ThreadPoolExecutor) pool).prestartAllCoreThreads();
                for (Variant v : variants) { // warm-up at this level, untimed
                    run(pool, v, Math.min(perRound, 2 * level));
                    settle(settle, v);
                }
                for (int r = 0; r < rounds; r++) {
                    for (int k = 0; k < variants.size(); k++) {
                        int v = (k + r) % variants.size();
                        ContainerRuntime.awaitCleanup();
                        double c0 = CpuTime.selfAndChildrenMs();
                        long t0 = System.nanoTime();
                        run(pool, variants.get(v), perRound);
                        ContainerRuntime.awaitCleanup();
                        settle(settle, variants.get(v));
                        rates[v][r] = perRound / ((System.nanoTime() - t0) / 1e9);
                        cpu[v][r] = (CpuTime.selfAndChildrenMs() - c0) / perRound;
                    }
                }
            } finally {
                pool.shutdown();
                pool.awaitTermination(1, TimeUnit.MINUTES);
            }
            for (int v = 0; v < variants.size(); v++) {
                double[] s = rates[v].clone();
                Arrays.sort(s);
                double[] c = cpu[v].clone();
                Arrays.sort(c);
                out.add(new Rate(variants.get(v).name(), level, s[s.length / 2], c[c.length / 2]));
            }
            System.out.printf("throughput with %d in flight: done%n", level);
        }
        return out;
    }

    private static void settle(java.util.Map<String, Work> settle, Variant v) {
        Work w = settle.get(v.name());
        if (w != null) {
            try {
                w.run();
            } catch (Exception e) {
                throw new IllegalStateException(v.name() + ": " + e.getMessage(), e);
            }
        }
    }

    private static void run(ExecutorService pool, Variant v, int count) throws InterruptedException {
        List<Future<?>> futures = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            futures.add(pool.submit(() -> {
                Interleaved.run(v);
                return null;
            }));
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
            }
        }
    }
}
