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
 * measured again: the drift of the machine over the run. As the levels cannot be interleaved, a
 * shared machine's load can change between them; {@code bwrap --unshare-all} and a plain host
 * process, both {@code /bin/true}, take their turns in every round too, and the start's growth is
 * read as its ratio to them at each level.
 *
 * <p>Memory per idle container: RSS and PSS of its two helper processes (the monitor and pid 1,
 * both mdocker-init), averaged; the JVM's threads, open descriptors and heap after a full GC. Only
 * the idle containers' ids are kept here, not their handles (a {@link DetachedContainer} holds its
 * state record), so that the heap is what the runtime itself keeps for them.
 * Everything it started is removed before it returns, on every path.
 */
final class Scale {
    private Scale() {}

    /**
     * The figures at one level.
     *
     * @param idle idle containers besides the probe
     * @param label how the report names the level
     * @param samples start, list, inspect by id, by name and by prefix, bwrap and the host process, in this order
     * @param fillMsPerContainer the mean time of {@code startDetached} while filling up to this level
     * @param helpers RSS and PSS of the helpers, per idle container (zero at level 0)
     * @param jvmThreads live JVM threads
     * @param jvmFds open descriptors of the JVM
     * @param heapKiB heap in use after a full GC
     * @param load the load average after the level's rounds
     */
    record Level(int idle, String label, List<Samples> samples, double fillMsPerContainer, Smaps.Usage helpers,
                 int jvmThreads, int jvmFds, long heapKiB, String load) {}

    static final List<String> ROWS = List.of("run(\"/bin/true\")", "list()", "inspect(id)", "inspect(name)",
            "inspect(prefix)", "bwrap --unshare-all", "host process");

    /**
     * Measures each of {@code levels} (ascending) with {@code rounds} timed rounds after
     * {@code warmup}, the idle containers and the probe made from {@code spec}, then level 0 again.
     */
    static List<Level> measure(Container spec, External ext, int[] levels, int warmup, int rounds) throws IOException {
        ContainerRuntime rt = spec.runtime();
        List<String> idle = new ArrayList<>();
        List<Level> out = new ArrayList<>();
        DetachedContainer probe = spec.toBuilder().name("scale-probe").build().startDetached("/bin/sleep", "86400");
        try {
            for (int level : levels) {
                long t0 = System.nanoTime();
                int before = idle.size();
                while (idle.size() < level) {
                    idle.add(spec.toBuilder().name(name(idle.size())).build().startDetached("/bin/sleep", "86400").id());
                    if (idle.size() % 100 == 0) {
                        System.out.printf("scale: %d idle containers%n", idle.size());
                    }
                }
                double fill = idle.size() == before ? 0 : (System.nanoTime() - t0) / 1e6 / (idle.size() - before);
                out.add(level(spec, ext, probe, idle, String.valueOf(level), fill, warmup, rounds));
            }
            removeAll(rt, idle);
            out.add(level(spec, ext, probe, idle, "0 again", 0, warmup, rounds));
        } finally {
            removeAll(rt, idle);
            probe.remove(true);
        }
        return out;
    }

    private static String name(int index) {
        return "scale-" + index;
    }

    /** An idle container (or the probe, when there is none) to look up: its id and name. */
    private record Target(String id, String name) {}

    private static Level level(Container spec, External ext, DetachedContainer probe, List<String> idle, String label,
                               double fill, int warmup, int rounds) throws IOException {
        ContainerRuntime rt = spec.runtime();
        int expected = idle.size() + 1;
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < idle.size(); i++) {
            targets.add(new Target(idle.get(i), name(i)));
        }
        if (targets.isEmpty()) {
            targets.add(new Target(probe.id(), probe.name().orElseThrow()));
        }
        List<Variant> variants = new ArrayList<>(List.of(
                new Variant(ROWS.get(0), () -> Benchmark.check(spec.run("/bin/true"))),
                new Variant(ROWS.get(1), () -> {
                    int n = rt.list().size();
                    if (n != expected) {
                        throw new IllegalStateException("list() gave " + n + " containers, expected " + expected);
                    }
                }),
                new Variant(ROWS.get(2), () -> check(rt.inspect(pick(targets).id()))),
                new Variant(ROWS.get(3), () -> check(rt.inspect(pick(targets).name()))),
                new Variant(ROWS.get(4), () -> check(rt.inspect(pick(targets).id().substring(0, 12))))));
        variants.add(ext.bwrap(ROWS.get(5), List.of("/bin/true")).orElseThrow(() -> new IllegalStateException(
                "the scale section needs bwrap (apt-get install bubblewrap) as the reference of its start latency")));
        variants.add(ext.host(ROWS.get(6), List.of("/bin/true")));
        System.out.printf("scale: %s idle: %d warm-up and %d timed rounds%n", label, warmup, rounds);
        List<Samples> samples = Interleaved.measure(variants, warmup, rounds, Interleaved.Progress.every(100, "scale " + label));
        Smaps.Usage helpers = new Smaps.Usage(0, 0);
        for (String id : idle) {
            int pid1 = rt.inspect(id).pid();
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
        return new Level(idle.size(), label, samples, fill, per, threads, fds, heap, Machine.loadAverage());
    }

    private static Target pick(List<Target> targets) {
        return targets.get(ThreadLocalRandom.current().nextInt(targets.size()));
    }

    private static void check(ContainerInfo info) {
        if (!info.running()) {
            throw new IllegalStateException("inspect: " + info.id() + " is not running");
        }
    }

    /** Kills every idle container at once, then waits for and removes each. */
    private static void removeAll(ContainerRuntime rt, List<String> idle) {
        if (idle.isEmpty()) {
            return;
        }
        System.out.printf("scale: removing %d idle containers%n", idle.size());
        RuntimeException failure = null;
        List<DetachedContainer> handles = new ArrayList<>();
        for (String id : idle) {
            try {
                DetachedContainer c = rt.attach(id);
                c.kill(Signal.KILL);
                handles.add(c);
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        for (DetachedContainer c : handles) {
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
