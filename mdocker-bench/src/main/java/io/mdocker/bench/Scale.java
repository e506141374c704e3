package io.mdocker.bench;

import io.mdocker.Container;
import io.mdocker.ContainerInfo;
import io.mdocker.ContainerRuntime;
import io.mdocker.DetachedContainer;
import io.mdocker.Signal;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * What a start and a look-up cost as idle containers accumulate on one state root: detached
 * containers running {@code sleep} (hardened defaults, the network of the given definition) are
 * added up to each level in turn; at each level {@code run("/bin/true")} (cold: the monitor pool
 * as always, no warm sandbox), {@link ContainerRuntime#list()} (what {@code mdocker ps} does after
 * its JVM has started), and {@link ContainerRuntime#inspect} by full id, by name and by a 12-digit
 * id prefix (of a container picked at random each time) take turns round by round as in
 * {@link Interleaved}. One more detached container, the probe, runs from the start, so that level
 * 0 has something to look up. After the top level every idle container is removed and level 0 is
 * measured again: the drift of the machine over the run, against which the growth is read.
 *
 * <p>Memory per idle container: RSS and PSS of its two helper processes (the monitor and pid 1,
 * both mdocker-init), averaged; the JVM's threads, open descriptors and heap after a full GC.
 * Everything it started is removed before it returns, on every path.
 */
final class Scale {
    private Scale() {}

    /**
     * The figures at one level.
     *
     * @param idle idle containers besides the probe
     * @param label how the report names the level
     * @param samples start, list, inspect by id, by name and by prefix, in this order
     * @param fillMsPerContainer the mean time of {@code startDetached} while filling up to this level
     * @param helpers RSS and PSS of the helpers, per idle container (zero at level 0)
     * @param jvmThreads live JVM threads
     * @param jvmFds open descriptors of the JVM
     * @param heapKiB heap in use after a full GC
     */
    record Level(int idle, String label, List<Samples> samples, double fillMsPerContainer, Smaps.Usage helpers,
                 int jvmThreads, int jvmFds, long heapKiB) {}

    static final List<String> ROWS = List.of("run(\"/bin/true\")", "list()", "inspect(id)", "inspect(name)",
            "inspect(prefix)");

    /**
     * Measures each of {@code levels} (ascending) with {@code rounds} timed rounds after
     * {@code warmup}, the idle containers and the probe made from {@code spec}, then level 0 again.
     */
    static List<Level> measure(Container spec, int[] levels, int warmup, int rounds) throws IOException {
        ContainerRuntime rt = spec.runtime();
        List<DetachedContainer> idle = new ArrayList<>();
        List<Level> out = new ArrayList<>();
        DetachedContainer probe = spec.toBuilder().name("scale-probe").build().startDetached("/bin/sleep", "86400");
        try {
            for (int level : levels) {
                long t0 = System.nanoTime();
                int before = idle.size();
                while (idle.size() < level) {
                    idle.add(spec.toBuilder().name("scale-" + idle.size()).build().startDetached("/bin/sleep", "86400"));
                    if (idle.size() % 100 == 0) {
                        System.out.printf("scale: %d idle containers%n", idle.size());
                    }
                }
                double fill = idle.size() == before ? 0 : (System.nanoTime() - t0) / 1e6 / (idle.size() - before);
                out.add(level(spec, probe, idle, String.valueOf(level), fill, warmup, rounds));
            }
            removeAll(idle);
            out.add(level(spec, probe, idle, "0 again", 0, warmup, rounds));
        } finally {
            removeAll(idle);
            probe.remove(true);
        }
        return out;
    }

    private static Level level(Container spec, DetachedContainer probe, List<DetachedContainer> idle, String label,
                               double fill, int warmup, int rounds) throws IOException {
        ContainerRuntime rt = spec.runtime();
        int expected = idle.size() + 1;
        List<DetachedContainer> targets = idle.isEmpty() ? List.of(probe) : idle;
        List<Variant> variants = List.of(
                new Variant(ROWS.get(0), () -> Benchmark.check(spec.run("/bin/true"))),
                new Variant(ROWS.get(1), () -> {
                    int n = rt.list().size();
                    if (n != expected) {
                        throw new IllegalStateException("list() gave " + n + " containers, expected " + expected);
                    }
                }),
                new Variant(ROWS.get(2), () -> check(rt.inspect(pick(targets).id()))),
                new Variant(ROWS.get(3), () -> check(rt.inspect(pick(targets).name().orElseThrow()))),
                new Variant(ROWS.get(4), () -> check(rt.inspect(pick(targets).id().substring(0, 12)))));
        System.out.printf("scale: %s idle: %d warm-up and %d timed rounds%n", label, warmup, rounds);
        List<Samples> samples = Interleaved.measure(variants, warmup, rounds, Interleaved.Progress.every(100, "scale " + label));
        Smaps.Usage helpers = new Smaps.Usage(0, 0);
        for (DetachedContainer c : idle) {
            int pid1 = c.pid();
            helpers = helpers.plus(Smaps.rollup(pid1)).plus(Smaps.rollup(Smaps.parent(pid1)));
        }
        int n = Math.max(1, idle.size());
        Smaps.Usage per = new Smaps.Usage(helpers.rssKiB() / n, helpers.pssKiB() / n);
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1024;
        int threads = ManagementFactory.getThreadMXBean().getThreadCount();
        int fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            fds = (int) s.count();
        }
        return new Level(idle.size(), label, samples, fill, per, threads, fds, heap);
    }

    private static DetachedContainer pick(List<DetachedContainer> targets) {
        return targets.get(ThreadLocalRandom.current().nextInt(targets.size()));
    }

    private static void check(ContainerInfo info) {
        if (!info.running()) {
            throw new IllegalStateException("inspect: " + info.id() + " is not running");
        }
    }

    /** Kills every idle container at once, then waits for and removes each. */
    private static void removeAll(List<DetachedContainer> idle) {
        if (idle.isEmpty()) {
            return;
        }
        System.out.printf("scale: removing %d idle containers%n", idle.size());
        RuntimeException failure = null;
        for (DetachedContainer c : idle) {
            try {
                c.kill(Signal.KILL);
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        for (DetachedContainer c : idle) {
            try {
                c.waitFor(Duration.ofSeconds(10));
                c.remove(true);
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        idle.clear();
        ContainerRuntime.awaitCleanup();
        if (failure != null) {
            throw failure;
        }
    }
}
