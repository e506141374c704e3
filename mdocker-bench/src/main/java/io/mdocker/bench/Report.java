package io.mdocker.bench;

import io.mdocker.examples.JUnitTiming;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * The benchmark's Markdown: latencies with ratios against runc, bubblewrap and unshare measured
 * in the same run, throughput, footprint, the targets met or not, and the machine. Any
 * section may be missing (not run); the targets it feeds then say so.
 */
public final class Report {
    /** mdocker's latency variant that the targets are about. */
    public static final String MDOCKER = "mdocker, hardened defaults";
    public static final String RUNC = "runc run, same hardening";
    public static final String RUNC_LIMITS = "runc run, + memory+cpu+pids";
    public static final String BWRAP = "bwrap --unshare-all";
    public static final String UNSHARE = "unshare + chroot";
    public static final String HOST = "host process, no isolation";
    /** The warm pool's rows and the cold start-to-exec they are set against. */
    public static final String POOL_EXEC = "pool: start-to-exec";
    public static final String POOL_RUN = "pool: run /bin/true start-to-exit";
    /** The throughput section's warm pool variant. */
    public static final String POOL_THROUGHPUT = "mdocker, warm pool";
    public static final String COLD_EXEC = "mdocker, start-to-exec (cold)";
    private static final double TARGET_POOL_EXEC_MS = 1;
    private static final double TARGET_POOL_RUN_MS = 2;
    /** Suffix of the variants with limits: their runc comparison is {@link #RUNC_LIMITS}. */
    public static final String LIMITS = "memory+cpu+pids";

    private static final long TARGET_HELPER_KIB = 1024;

    private final Machine machine;
    private final List<String> settings = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private List<Samples> latency = List.of();
    private List<Samples> rootless = List.of();
    private List<Throughput.Rate> throughput = List.of();
    private List<Footprint.Helpers> helpers = List.of();
    private List<Footprint.JvmState> jvm = List.of();
    private Optional<Footprint.Helpers> parked = Optional.empty();
    private Optional<JUnitTiming.Figures> junit = Optional.empty();
    private List<CliStartup.Row> cli = List.of();
    private List<Scale.Level> scale = List.of();

    Report(Machine machine) {
        this.machine = machine;
    }

    void setting(String line) {
        settings.add(line);
    }

    void note(String line) {
        notes.add(line);
    }

    void latency(List<Samples> s) {
        latency = s;
    }

    void throughput(List<Throughput.Rate> r) {
        throughput = r;
    }

    void helpers(List<Footprint.Helpers> h) {
        helpers = h;
    }

    void jvm(List<Footprint.JvmState> j) {
        jvm = j;
    }

    void parked(Footprint.Helpers h) {
        parked = Optional.of(h);
    }

    void rootless(List<Samples> s) {
        rootless = s;
    }

    void cli(List<CliStartup.Row> rows) {
        cli = rows;
    }

    void scale(List<Scale.Level> levels) {
        scale = levels;
    }

    void junit(JUnitTiming.Figures f) {
        junit = Optional.of(f);
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("### Benchmark, ").append(machine.date()).append("\n\n").append(machine.markdown());
        settings.forEach(s -> md.append("- ").append(s).append('\n'));
        md.append('\n');
        targets(md);
        latencyTable(md);
        throughputTable(md);
        footprintTables(md);
        junitTable(md);
        cliTable(md);
        scaleTables(md);
        rootlessTable(md);
        if (!notes.isEmpty()) {
            md.append("Notes:\n\n");
            notes.forEach(n -> md.append("- ").append(n).append('\n'));
            md.append('\n');
        }
        return md.toString();
    }

    private Optional<Samples> find(String name) {
        return latency.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    private String ratio(Samples row, String comparator) {
        String c = comparator.equals(RUNC) && row.name().endsWith(LIMITS) ? RUNC_LIMITS : comparator;
        return find(c).map(o -> String.format(Locale.ROOT, "%.2f", row.medianMs() / o.medianMs())).orElse("-");
    }

    private void latencyTable(StringBuilder md) {
        if (latency.isEmpty()) {
            return;
        }
        md.append("Start-to-exit latency of `/bin/true` (ratios: this row's median divided by the other's; "
                + "the limits rows are set against runc with the same limits):\n\n");
        md.append("| variant | median ms | p99 ms | ÷ runc | ÷ bwrap | ÷ unshare | ÷ host |\n|---|---:|---:|---:|---:|---:|---:|\n");
        for (Samples s : latency) {
            md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %s | %s | %s | %s |%n", s.name(), s.medianMs(),
                    s.p99Ms(), ratio(s, RUNC), ratio(s, BWRAP), ratio(s, UNSHARE), ratio(s, HOST)));
        }
        md.append('\n');
    }

    private void rootlessTable(StringBuilder md) {
        if (rootless.isEmpty()) {
            return;
        }
        md.append("Rootless: start-to-exit of `/bin/true` by a JVM that is not root (in-process, as the user's tests "
                + "would), set against the rootful one, bwrap and rootless Podman run by the same user (target: rootless "
                + "≤ 1.5× rootful, below bwrap):\n\n");
        md.append("| variant | median ms | p90 ms | ÷ root | ÷ bwrap | ÷ podman |\n|---|---:|---:|---:|---:|---:|\n");
        for (Samples s : rootless) {
            md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %s | %s | %s |%n", s.name(), s.medianMs(),
                    s.percentileMs(90), rootlessRatio(s, Rootless.ROOTFUL), rootlessRatio(s, Rootless.BWRAP),
                    rootlessRatio(s, Rootless.PODMAN)));
        }
        md.append('\n');
    }

    private String rootlessRatio(Samples row, String other) {
        return rootless.stream().filter(o -> o.name().equals(other)).findFirst()
                .map(o -> String.format(Locale.ROOT, "%.2f", row.medianMs() / o.medianMs())).orElse("-");
    }

    private void cliTable(StringBuilder md) {
        if (cli.isEmpty()) {
            return;
        }
        Optional<CliStartup.Row> bwrap = cli.stream().filter(r -> r.name().startsWith(BWRAP)).findFirst();
        md.append("The command line, as a shell user waits for it: each row a new process from start to reaped (the "
                + "launcher script, the JVM, the command, the JVM's exit); CPU is user + system of the process and all it "
                + "waited for; ÷ bwrap: this row's median wall time divided by bwrap's in the same run. Targets (2 cores): "
                + "run ≤ " + (int) CliStartup.TARGET_RUN_MS + " ms, --version ≤ " + (int) CliStartup.TARGET_VERSION_MS
                + " ms (bwrap took 13 ms when they were set: ≤ 11.5× and ≤ 6.2× bwrap).\n\n");
        md.append("| command | median ms | p90 ms | CPU median ms | CPU p90 ms | ÷ bwrap | target met |\n"
                + "|---|---:|---:|---:|---:|---:|---|\n");
        for (CliStartup.Row r : cli) {
            String ratio = bwrap.map(b -> String.format(Locale.ROOT, "%.1f", r.wall().medianMs() / b.wall().medianMs()))
                    .orElse("-");
            double target = r.name().endsWith("--version") ? CliStartup.TARGET_VERSION_MS
                    : r.name().contains(" run ") && !r.name().contains(" IMAGE ") ? CliStartup.TARGET_RUN_MS : Double.NaN;
            String met = Double.isNaN(target) ? "" : yes(r.wall().medianMs() <= target) + " (≤ " + (int) target + " ms)";
            md.append(String.format(Locale.ROOT, "| `%s` | %.1f | %.1f | %.1f | %.1f | %s | %s |%n", r.name(),
                    r.wall().medianMs(), r.wall().percentileMs(90), r.cpu().medianMs(), r.cpu().percentileMs(90), ratio, met));
        }
        md.append('\n');
    }

    private void throughputTable(StringBuilder md) {
        if (throughput.isEmpty()) {
            return;
        }
        Map<String, Map<Integer, Throughput.Rate>> by = new LinkedHashMap<>();
        for (Throughput.Rate r : throughput) {
            by.computeIfAbsent(r.variant(), k -> new LinkedHashMap<>()).put(r.inFlight(), r);
        }
        List<Integer> levels = throughput.stream().map(Throughput.Rate::inFlight).distinct().toList();
        rateTable(md, "Throughput, containers per second (median of the rounds) with N in flight at once, each round "
                + "until all is torn down:", by, levels, Throughput.Rate::perSecond, " %.1f |");
        md.append("\n");
        rateTable(md, "CPU time per container, ms (user + system of the JVM and every process it reaped: the "
                + "container's helpers and command, or the other runtime's processes; median round):", by, levels,
                Throughput.Rate::cpuMsPerContainer, " %.2f |");
        md.append('\n');
    }

    /**
     * One throughput table: a column per variant with {@code metric} at each level (written with
     * {@code format}), then each of mdocker's variants (those named "mdocker...": cold, and the warm
     * pool when measured) divided by each other runtime's.
     */
    private static void rateTable(StringBuilder md, String caption, Map<String, Map<Integer, Throughput.Rate>> by,
            List<Integer> levels, ToDoubleFunction<Throughput.Rate> metric, String format) {
        List<String> names = List.copyOf(by.keySet());
        List<String> ours = names.stream().filter(n -> n.startsWith("mdocker")).toList();
        List<String> others = names.stream().filter(n -> !n.startsWith("mdocker")).toList();
        md.append(caption).append("\n\n| N |");
        names.forEach(n -> md.append(' ').append(n).append(" |"));
        for (String o : ours) {
            others.forEach(n -> md.append(' ').append(o.equals(POOL_THROUGHPUT) ? "pool" : "mdocker").append(" ÷ ")
                    .append(n.split(" ")[0]).append(" |"));
        }
        md.append("\n|---:|").append("---:|".repeat(names.size() + ours.size() * others.size())).append('\n');
        for (int level : levels) {
            md.append("| ").append(level).append(" |");
            for (String n : names) {
                md.append(String.format(Locale.ROOT, format, metric.applyAsDouble(by.get(n).get(level))));
            }
            for (String o : ours) {
                for (String n : others) {
                    md.append(String.format(Locale.ROOT, " %.2f |", metric.applyAsDouble(by.get(o).get(level))
                            / metric.applyAsDouble(by.get(n).get(level))));
                }
            }
            md.append('\n');
        }
    }

    private void scaleTables(StringBuilder md) {
        if (scale.isEmpty()) {
            return;
        }
        Scale.Level base = scale.getFirst();
        md.append("With N idle detached containers on the state root (besides the probe), median ms (p99), and the "
                + "median divided by the first level's (target: ≤ 1.2x from 0 to 1,000); bwrap and the host process are "
                + "the machine's load at that level:\n\n| idle containers |");
        Scale.ROWS.forEach(r -> md.append(" `").append(r).append("` |"));
        md.append(" run ÷ bwrap | load |\n|---:|").append("---:|".repeat(Scale.ROWS.size() + 1)).append("---|\n");
        for (Scale.Level l : scale) {
            md.append("| ").append(l.label()).append(" |");
            for (int i = 0; i < Scale.ROWS.size(); i++) {
                Samples s = l.samples().get(i);
                md.append(String.format(Locale.ROOT, " %.3f (%.2f) %.2fx |", s.medianMs(), s.p99Ms(),
                        s.medianMs() / base.samples().get(i).medianMs()));
            }
            double ratio = l.samples().get(0).medianMs() / l.samples().get(5).medianMs();
            double baseRatio = base.samples().get(0).medianMs() / base.samples().get(5).medianMs();
            md.append(String.format(Locale.ROOT, " %.2f (%.2fx) | %s |%n", ratio, ratio / baseRatio, l.load()));
        }
        md.append("\nPer idle container: its two helpers (monitor and pid 1) in KiB, the JVM, and the time to start it "
                + "detached while filling up to the level; list() per listed container:\n\n| idle containers | helper RSS "
                + "| helper PSS | JVM threads | JVM open fds | JVM heap KiB (after full GC) | startDetached ms each "
                + "| list() ms per container |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Scale.Level l : scale) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %d | %.2f | %.3f |%n", l.label(),
                    l.helpers().rssKiB(), l.helpers().pssKiB(), l.jvmThreads(), l.jvmFds(), l.heapKiB(),
                    l.fillMsPerContainer(), l.samples().get(1).medianMs() / (l.idle() + 1)));
        }
        md.append('\n');
    }

    private void junitTable(StringBuilder md) {
        junit.ifPresent(f -> md.append(String.format(Locale.ROOT, """
                JUnit extension, ms:

                | web server example, start to ready: median | min | max | 20-sandbox class, parallel | sequential | sequential ÷ parallel | failed tests |
                |---:|---:|---:|---:|---:|---:|---:|
                | %.1f | %.1f | %.1f | %.0f | %.0f | %.2f | %d |

                """, ms(f.readyMedian()), ms(f.readyMin()), ms(f.readyMax()), ms(f.parallel()), ms(f.sequential()),
                (double) f.sequential().toNanos() / f.parallel().toNanos(), f.failedTests())));
    }

    private static double ms(java.time.Duration d) {
        return d.toNanos() / 1e6;
    }

    private void footprintTables(StringBuilder md) {
        if (!helpers.isEmpty()) {
            md.append("Host memory of the helper processes per idle container (the monitor and pid 1, both "
                    + "mdocker-init; `sleep` itself not counted), KiB:\n\n");
            md.append("| idle containers | monitor RSS | pid 1 RSS | RSS per container | PSS per container |\n"
                    + "|---:|---:|---:|---:|---:|\n");
            for (Footprint.Helpers h : helpers) {
                md.append(String.format(Locale.ROOT, "| %d | %d | %d | %d | %d |%n", h.containers(), h.monitor().rssKiB(),
                        h.pid1().rssKiB(), h.perContainer().rssKiB(), h.perContainer().pssKiB()));
            }
            md.append("\nLargest mappings of one container's two helpers (RSS, KiB): ");
            md.append(String.join(", ", helpers.getFirst().topMappings().stream()
                    .map(e -> "`" + e.getKey() + "` " + e.getValue()).toList())).append("\n\n");
        }
        parked.ifPresent(h -> md.append(String.format(Locale.ROOT, "Host memory of one parked sandbox of a full, idle "
                + "warm pool (%d parked; its monitor, its pid 1 and the command's process waiting for its command, all three "
                + "mdocker-init), KiB: monitor RSS %d, pid 1 and the waiting process RSS %d, "
                + "**RSS %d, PSS %d per parked sandbox**. Largest mappings (RSS, KiB): %s.%n%n", h.containers(),
                h.monitor().rssKiB(), h.pid1().rssKiB(), h.perContainer().rssKiB(), h.perContainer().pssKiB(),
                String.join(", ", h.topMappings().stream().map(e -> "`" + e.getKey() + "` " + e.getValue()).toList()))));
        if (!jvm.isEmpty()) {
            md.append("The JVM with idle containers running (heap after a full GC):\n\n"
                    + "| running | JVM threads | heap MiB | JVM RSS MiB |\n|---:|---:|---:|---:|\n");
            for (Footprint.JvmState j : jvm) {
                md.append(String.format(Locale.ROOT, "| %d | %d | %.1f | %.1f |%n", j.running(), j.threads(),
                        j.heapBytes() / 1048576.0, j.jvmRssKiB() / 1024.0));
            }
            Footprint.JvmState first = jvm.getFirst();
            Footprint.JvmState last = jvm.getLast();
            if (last.running() > first.running()) {
                md.append(String.format(Locale.ROOT, "%nPer running container: %.1f KiB of heap, %.1f KiB of JVM RSS.%n",
                        (last.heapBytes() - first.heapBytes()) / 1024.0 / (last.running() - first.running()),
                        (double) (last.jvmRssKiB() - first.jvmRssKiB()) / (last.running() - first.running())));
            }
            md.append('\n');
        }
    }

    private void targets(StringBuilder md) {
        md.append("| target | measured | met |\n|---|---|---|\n");
        ratioTarget(md, "median start-to-exit ≤ ½ of runc's", RUNC, 0.5);
        ratioTarget(md, "median start-to-exit ≤ 2× bubblewrap's", BWRAP, 2);
        absoluteTarget(md, "warm pool: median start-to-exec < " + (int) TARGET_POOL_EXEC_MS + " ms", POOL_EXEC, TARGET_POOL_EXEC_MS,
                ExecFloor.EXEC);
        absoluteTarget(md, "warm pool: median `run(\"/bin/true\")` start-to-exit < " + (int) TARGET_POOL_RUN_MS + " ms",
                POOL_RUN, TARGET_POOL_RUN_MS, ExecFloor.EXIT);
        if (!helpers.isEmpty()) {
            long worst = helpers.stream().mapToLong(h -> h.perContainer().rssKiB()).max().orElseThrow();
            long worstPss = helpers.stream().mapToLong(h -> h.perContainer().pssKiB()).max().orElseThrow();
            md.append(String.format(Locale.ROOT, "| ≤ 1 MiB helper RSS per idle container | %d KiB RSS (%+d KiB), %d KiB PSS | %s |%n",
                    worst, worst - TARGET_HELPER_KIB, worstPss, yes(worst <= TARGET_HELPER_KIB)));
        } else {
            md.append("| ≤ 1 MiB helper RSS per idle container | not measured | - |\n");
        }
        if (!jvm.isEmpty()) {
            boolean constant = jvm.stream().mapToInt(Footprint.JvmState::threads).distinct().count() == 1;
            md.append("| constant JVM threads | ").append(String.join(", ", jvm.stream()
                    .map(j -> j.threads() + " at " + j.running()).toList())).append(" running | ").append(yes(constant)).append(" |\n");
        } else {
            md.append("| constant JVM threads | not measured | - |\n");
        }
        md.append('\n');
    }

    /** A target row: mdocker's median at most {@code limit} times the median of {@code comparator}. */
    private void ratioTarget(StringBuilder md, String target, String comparator, double limit) {
        Optional<Samples> m = find(MDOCKER);
        Optional<Samples> other = find(comparator);
        if (m.isEmpty() || other.isEmpty()) {
            md.append("| ").append(target).append(" | not measured | - |\n");
            return;
        }
        double r = m.get().medianMs() / other.get().medianMs();
        md.append(String.format(Locale.ROOT, "| %s | %.2f ms vs %.2f ms: %.2fx | %s |%n", target, m.get().medianMs(),
                other.get().medianMs(), r, yes(r <= limit)));
    }

    /**
     * A target row: the median of {@code variant} below {@code limitMs}, with the median of the
     * {@code floor} row (the least the same start costs on this machine: {@link ExecFloor}) when it ran.
     */
    private void absoluteTarget(StringBuilder md, String target, String variant, double limitMs, String floor) {
        Optional<Samples> v = find(variant);
        if (v.isEmpty()) {
            md.append("| ").append(target).append(" | not measured | - |\n");
            return;
        }
        String against = find(floor).map(f -> String.format(Locale.ROOT, "; floor %.3f ms: %.2fx", f.medianMs(),
                v.get().medianMs() / f.medianMs())).orElse("");
        md.append(String.format(Locale.ROOT, "| %s | %.3f ms (p99 %.2f ms%s) | %s |%n", target, v.get().medianMs(),
                v.get().p99Ms(), against, yes(v.get().medianMs() < limitMs)));
    }

    private static String yes(boolean met) {
        return met ? "yes" : "**no**";
    }
}
