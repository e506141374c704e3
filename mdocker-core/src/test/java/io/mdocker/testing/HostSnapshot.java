package io.mdocker.testing;

import io.mdocker.ContainerRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What containers could leave behind on the host and in the JVM, read at one moment: mounts (the
 * JVM's and pid 1's mount tables), cgroup directories whose path names mdocker and the processes
 * in them, network links and veths, address leases of one bridge, iptables rules, the JVM's open
 * descriptors and threads, the runtime's state directories, and the JVM's descendant processes.
 * {@link #leftSince} names every item that is new, so a leak says what it is. (Items that went
 * away are no leak: threads of earlier tests end, for one.)
 */
public record HostSnapshot(Map<String, List<String>> items) {

    /** Takes a snapshot; {@code bridge} names the bridge whose leases count (may be null). */
    public static HostSnapshot take(ContainerRuntime rt, String bridge) {
        ContainerRuntime.awaitCleanup(); // run() returns before its teardown (pid 1's exit, cgroups, files) is over
        Map<String, List<String>> m = new TreeMap<>();
        // The JVM's own descriptors and threads first: the ip and iptables-save run below leave
        // one of the JDK's pipe ends open for up to ~30 ms after they have been waited for.
        m.put("descriptor", Fixtures.list(Path.of("/proc/self/fd")).stream().map(HostSnapshot::fdTarget)
                .filter(t -> !t.isEmpty()).sorted().toList());
        m.put("JVM thread", Thread.getAllStackTraces().keySet().stream().map(Thread::getName).sorted().toList());
        m.put("mount (JVM)", lines(Path.of("/proc/self/mountinfo")));
        m.put("mount (host pid 1)", lines(Path.of("/proc/1/mountinfo")));
        List<Path> cgroups = mdockerCgroups();
        m.put("cgroup directory", cgroups.stream().map(Path::toString).toList());
        m.put("process in an mdocker cgroup", cgroups.stream().flatMap(d -> lines(d.resolve("cgroup.procs")).stream()
                .map(pid -> pid + " in " + d)).toList());
        m.put("network link", Fixtures.list(Path.of("/sys/class/net")).stream().map(p -> p.getFileName().toString())
                .sorted().toList());
        m.put("veth", NetFixtures.vethLinks());
        m.put("address lease", bridge == null ? List.of()
                : NetFixtures.leases(rt, bridge).stream().map(Path::toString).sorted().toList());
        m.put("iptables rule", NetFixtures.iptablesRules());
        m.put("state directory", Stream.of(rt.libRoot().resolve("containers"), rt.runRoot().resolve("containers"))
                .flatMap(d -> Fixtures.list(d).stream()).map(Path::toString).sorted().toList());
        m.put("process (JVM descendant)", ProcessHandle.current().descendants()
                .map(p -> comm(p.pid())).sorted().toList());
        return new HostSnapshot(m);
    }

    /** One line per item that is in this snapshot and not in {@code before} (as many times as it is new). */
    public List<String> leftSince(HostSnapshot before) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : items.entrySet()) {
            List<String> was = before.items.getOrDefault(e.getKey(), List.of());
            minus(e.getValue(), was).forEach(x -> out.add(e.getKey() + ": " + x));
        }
        return out;
    }

    /** The new items of the kinds named (e.g. only links and rules). */
    public List<String> leftSince(HostSnapshot before, Collection<String> kinds) {
        Map<String, List<String>> mine = new TreeMap<>(items);
        mine.keySet().retainAll(kinds);
        return new HostSnapshot(mine).leftSince(before);
    }

    /** Elements of {@code a} not matched one for one in {@code b} (multiset difference). */
    private static List<String> minus(List<String> a, List<String> b) {
        List<String> rest = new ArrayList<>(a);
        for (String x : b) {
            rest.remove(x);
        }
        return rest;
    }

    private static List<Path> mdockerCgroups() {
        try (Stream<Path> s = Files.walk(Path.of("/sys/fs/cgroup"), 8)) {
            return s.filter(Files::isDirectory).filter(p -> p.toString().contains("mdocker")).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalStateException("listing the mdocker cgroups: " + e.getMessage(), e);
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            return List.of(); // a cgroup removed while being read, or a process gone
        }
    }

    private static String fdTarget(Path fd) {
        try {
            return Files.readSymbolicLink(fd).toString().replaceAll("\\[\\d+]", "[inode]");
        } catch (IOException e) {
            return ""; // the descriptor of the listing itself, closed by now
        }
    }

    private static String comm(long pid) {
        List<String> l = lines(Path.of("/proc/" + pid + "/comm"));
        return l.isEmpty() ? "(exited)" : l.getFirst();
    }
}
