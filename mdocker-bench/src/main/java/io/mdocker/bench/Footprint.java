package io.mdocker.bench;

import io.mdocker.Container;
import io.mdocker.RunningContainer;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an idle running container costs the host and the JVM. The helpers of a container are
 * its mdocker-init monitor (a child of the JVM) and its pid 1 (mdocker-init again, inside the
 * container; the monitor's child); the command itself ({@code sleep}) is the user's and not
 * counted. RSS counts shared pages in full, PSS divides them among the processes sharing them,
 * which is what N containers really cost together. JVM threads and heap are read with 0, then
 * 10, then 50 containers running (heap after a full GC).
 */
public final class Footprint {
    private Footprint() {}

    /**
     * Helper memory with {@code containers} idle containers.
     *
     * @param containers how many ran
     * @param perContainer monitor plus pid 1, averaged over the containers
     * @param monitor the monitor alone, averaged
     * @param pid1 pid 1 alone, averaged
     * @param topMappings the largest mappings (RSS, KiB) of one monitor and its pid 1 together
     */
    public record Helpers(int containers, Smaps.Usage perContainer, Smaps.Usage monitor, Smaps.Usage pid1,
                          List<Map.Entry<String, Long>> topMappings) {}

    /**
     * The JVM with {@code running} containers.
     *
     * @param running containers running
     * @param threads live JVM threads
     * @param heapBytes heap in use after a full GC
     * @param jvmRssKiB the JVM process's RSS
     */
    public record JvmState(int running, int threads, long heapBytes, long jvmRssKiB) {}

    public static Helpers helpers(Container spec, int containers) throws IOException {
        List<RunningContainer> started = new ArrayList<>();
        try {
            for (int i = 0; i < containers; i++) {
                started.add(spec.start("/bin/sleep", "3600"));
            }
            Smaps.Usage monitor = new Smaps.Usage(0, 0);
            Smaps.Usage pid1 = new Smaps.Usage(0, 0);
            long jvm = ProcessHandle.current().pid();
            for (RunningContainer c : started) {
                long m = Smaps.parent(c.pid());
                if (Smaps.parent(m) != jvm) {
                    throw new IllegalStateException("pid " + c.pid() + "'s parent " + m + " is not a child of this JVM");
                }
                monitor = monitor.plus(Smaps.rollup(m));
                pid1 = pid1.plus(Smaps.rollup(c.pid()));
            }
            RunningContainer first = started.getFirst();
            Map<String, Long> merged = new LinkedHashMap<>();
            for (long pid : new long[] {Smaps.parent(first.pid()), first.pid()}) {
                for (Map.Entry<String, Long> e : Smaps.rssByMapping(pid)) {
                    merged.merge(e.getKey(), e.getValue(), Long::sum);
                }
            }
            List<Map.Entry<String, Long>> top = merged.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(4).toList();
            int n = started.size();
            Smaps.Usage avgMonitor = new Smaps.Usage(monitor.rssKiB() / n, monitor.pssKiB() / n);
            Smaps.Usage avgPid1 = new Smaps.Usage(pid1.rssKiB() / n, pid1.pssKiB() / n);
            return new Helpers(n, avgMonitor.plus(avgPid1), avgMonitor, avgPid1, top);
        } finally {
            started.forEach(RunningContainer::close);
        }
    }

    /**
     * Helper memory of {@code sandboxes} parked sandboxes of a full, idle warm pool of {@code spec}:
     * their monitors are the JVM's children that the pool added (mdocker-init), their pid 1s those
     * monitors' children, counted with their own child, the command's process made and waiting for
     * its command.
     */
    public static Helpers parked(Container spec, int sandboxes) throws IOException {
        io.mdocker.ContainerRuntime.awaitCleanup();
        java.util.Set<Long> before = ProcessHandle.current().children().map(ProcessHandle::pid)
                .collect(java.util.stream.Collectors.toSet());
        try (io.mdocker.ContainerPool pool = spec.runtime().pool(spec.toBuilder().label("bench", "parked").build(), sandboxes)) {
            if (!pool.awaitFull(java.time.Duration.ofSeconds(120))) {
                throw new IllegalStateException("the warm pool did not fill");
            }
            List<Long> monitors = ProcessHandle.current().children().map(ProcessHandle::pid)
                    .filter(p -> !before.contains(p)).toList();
            if (monitors.size() != sandboxes) {
                throw new IllegalStateException(monitors.size() + " new helper processes for " + sandboxes + " parked sandboxes");
            }
            Smaps.Usage monitor = new Smaps.Usage(0, 0);
            Smaps.Usage pid1 = new Smaps.Usage(0, 0);
            long firstPid1 = -1;
            for (long m : monitors) {
                List<Long> children = ProcessHandle.of(m).orElseThrow().children().map(ProcessHandle::pid).toList();
                if (children.size() != 1) {
                    throw new IllegalStateException("monitor " + m + " has " + children.size() + " children, expected its pid 1");
                }
                monitor = monitor.plus(Smaps.rollup(m));
                pid1 = pid1.plus(Smaps.rollup(children.getFirst()));
                for (ProcessHandle prepared : ProcessHandle.of(children.getFirst()).orElseThrow().children().toList()) {
                    pid1 = pid1.plus(Smaps.rollup(prepared.pid())); // the command's process, made before its command
                }
                firstPid1 = firstPid1 < 0 ? children.getFirst() : firstPid1;
            }
            Map<String, Long> merged = new LinkedHashMap<>();
            for (long pid : new long[] {monitors.getFirst(), firstPid1}) {
                for (Map.Entry<String, Long> e : Smaps.rssByMapping(pid)) {
                    merged.merge(e.getKey(), e.getValue(), Long::sum);
                }
            }
            List<Map.Entry<String, Long>> top = merged.entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(4).toList();
            int n = sandboxes;
            Smaps.Usage avgMonitor = new Smaps.Usage(monitor.rssKiB() / n, monitor.pssKiB() / n);
            Smaps.Usage avgPid1 = new Smaps.Usage(pid1.rssKiB() / n, pid1.pssKiB() / n);
            return new Helpers(n, avgMonitor.plus(avgPid1), avgMonitor, avgPid1, top);
        }
    }

    /** The JVM's threads, heap and RSS with each of {@code levels} containers running (ascending). */
    public static List<JvmState> jvm(Container spec, int... levels) throws IOException {
        List<RunningContainer> started = new ArrayList<>();
        List<JvmState> out = new ArrayList<>();
        try {
            for (int level : levels) {
                while (started.size() < level) {
                    started.add(spec.start("/bin/sleep", "3600"));
                }
                out.add(snapshot(level));
            }
        } finally {
            started.forEach(RunningContainer::close);
        }
        return out;
    }

    private static JvmState snapshot(int running) throws IOException {
        for (int i = 0; i < 2; i++) {
            System.gc();
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        int threads = ManagementFactory.getThreadMXBean().getThreadCount();
        return new JvmState(running, threads, heap, Smaps.rollup(ProcessHandle.current().pid()).rssKiB());
    }
}
