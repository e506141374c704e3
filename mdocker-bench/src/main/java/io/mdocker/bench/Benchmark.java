package io.mdocker.bench;

import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.ExecResult;
import io.mdocker.Network;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The benchmark suite: start-to-exit latency of {@code /bin/true} (mdocker in-process with its
 * hardened defaults, with all hardening off, with memory+cpu+pids limits and with bridge
 * networking; {@code runc run} with the same hardening, and with the same limits;
 * {@code bwrap --unshare-all}; {@code unshare} with a chroot; a plain host process), all variants
 * interleaved round by round; throughput with 1, 2, 8 and 32 containers in flight; the host
 * memory of an idle container's helper processes and the JVM's threads and heap per running
 * container. Writes {@code results.md} (a Markdown table with ratios, the targets and the
 * machine) and {@code latency.png} under the output folder. Not a test: figures from a shared
 * 2-core machine are noisy, which is why each is set against the others measured in the same run.
 *
 * The {@code cli} section times the command line itself ({@link CliStartup}); the {@code scale}
 * section starts and looks containers up with 0, 100 and 1,000 idle ones running ({@link Scale}).
 *
 * <pre>sudo scripts/bench [--runs N] [--warmup N] [--out DIR] [--sections latency,throughput,footprint,junit,cli,scale,rootless]
 *                   [--levels 1,2,8,32] [--per-round N] [--rounds N] [--bridge NAME --bip CIDR]
 *                   [--cli-runs N] [--launchers PATH,...] [--rows WORD,...]
 *                   [--scale-levels 0,100,1000] [--scale-runs N] [--scale-network none|bridge] [--rootless-runs N]</pre>
 *
 * {@code --rows} keeps only the latency rows whose names contain one of the words (e.g.
 * {@code pool,cold,hardened,bwrap,host} for a quick A/B of the warm pool against its references).
 *
 * The {@code rootless} section compares a rootless JVM's start with the rootful one, bwrap and
 * rootless Podman ({@link Rootless}).
 */
public final class Benchmark {
    private Benchmark() {}

    private static final String USAGE = "usage: scripts/bench [--runs N] [--warmup N] [--out DIR]"
            + " [--sections latency,throughput,footprint,junit,cli,scale,rootless] [--levels 1,2,8,32] [--per-round N] [--rounds N]"
            + " [--bridge NAME --bip CIDR] [--cli-runs N] [--launchers PATH,...] [--rows WORD,...]"
            + " [--scale-levels 0,100,1000] [--scale-runs N] [--scale-network none|bridge] [--rootless-runs N]";

    public static void main(String[] args) throws Exception {
        BenchRun.Options o = new BenchRun.Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) {
                usage("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--runs" -> o.runs = positive(a, v);
                case "--warmup" -> o.warmup = positive(a, v);
                case "--out" -> o.out = Path.of(v).toAbsolutePath();
                case "--sections" -> o.sections = Arrays.asList(v.toLowerCase(Locale.ROOT).split(","));
                case "--levels" -> o.levels = Arrays.stream(v.split(",")).mapToInt(s -> positive(a, s)).toArray();
                case "--per-round" -> o.perRound = positive(a, v);
                case "--rounds" -> o.rounds = positive(a, v);
                case "--bridge" -> o.bridge = v;
                case "--bip" -> o.bip = v;
                case "--cli-runs" -> o.cliRuns = positive(a, v);
                case "--scale-levels" -> o.scaleLevels = Arrays.stream(v.split(",")).mapToInt(s -> whole(a, s)).sorted().toArray();
                case "--scale-runs" -> o.scaleRuns = positive(a, v);
                case "--scale-network" -> {
                    if (!v.equals("none") && !v.equals("bridge")) {
                        usage("invalid --scale-network '" + v + "': expected none or bridge");
                    }
                    o.scaleNetwork = v;
                }
                case "--rootless-runs" -> o.rootlessRuns = positive(a, v);
                case "--rows" -> o.rows = Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
                case "--launchers" -> o.launchers = Arrays.stream(v.split(",")).map(p -> Path.of(p).toAbsolutePath()).toList();
                default -> usage("unknown option " + a);
            }
        }
        for (String s : o.sections) {
            if (!BenchRun.SECTIONS.contains(s)) {
                usage("unknown section '" + s + "': expected some of " + BenchRun.SECTIONS);
            }
        }
        ContainerRuntime.requireRoot();
        try {
            BenchRun.run(o);
        } finally {
            removeRunRoot();
        }
    }

    /**
     * Removes {@link #RUN_ROOT} once nothing is recorded in it (no container of mdocker's, no
     * runc state): what another benchmark running at the same time still uses stays.
     */
    static void removeRunRoot() throws java.io.IOException {
        for (Path inUse : List.of(RUN_ROOT.resolve("mdocker/containers"), RUN_ROOT.resolve("runc"))) {
            if (Files.isDirectory(inUse)) {
                try (var entries = Files.list(inUse)) {
                    if (entries.findAny().isPresent()) {
                        return;
                    }
                }
            }
        }
        if (Files.isDirectory(RUN_ROOT)) {
            try (var tree = Files.walk(RUN_ROOT)) {
                for (Path p : tree.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static int positive(String option, String value) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        usage("invalid " + option + " '" + value + "': expected a positive whole number");
        return 0;
    }

    private static int whole(String option, String value) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        usage("invalid " + option + " '" + value + "': expected a whole number, 0 or more");
        return 0;
    }

    private static void usage(String error) {
        System.err.println("scripts/bench: " + error);
        System.err.println(USAGE);
        System.exit(2);
    }

    /** Throws unless {@code r} exited 0: a benchmark must not time failures. */
    public static void check(ExecResult r) {
        if (r.exitCode() != 0) {
            throw new IllegalStateException("mdocker run failed: " + r);
        }
    }

    /**
     * Where the benchmark's runtimes keep their run state (mdocker's records and locks, runc's
     * state): on /run, a tmpfs, as the defaults /run/mdocker and /run/runc are; a run root on the
     * build's file system would time that file system instead (here ext4 mounted with discard, on
     * which every directory removed waits for the virtual disk: docs/bench/benchmark.md).
     */
    public static final Path RUN_ROOT = Path.of("/run/mdocker-bench");

    /** The busybox rootfs under {@code out} and a runtime on state roots of its own: the lib root under {@code out}, the run root under {@link #RUN_ROOT}. */
    public static Container baseSpec(Path out) {
        Path rootfs = out.resolve("rootfs");
        BusyboxRootfs.ensure(rootfs);
        ContainerRuntime rt = ContainerRuntime.at(out.resolve("state/lib"), RUN_ROOT.resolve("mdocker"));
        return Container.builder().rootfs(rootfs).runtime(rt).network(Network.none()).build();
    }
}
