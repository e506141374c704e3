package io.mdocker.examples;

import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.DataSize;
import io.mdocker.ExecResult;
import io.mdocker.Network;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-to-exit latency of {@code /bin/true} in a container: mdocker in-process with its
 * hardened defaults, with all hardening off, with a memory, CPU and pids limit, and with
 * {@code --network bridge} (the variants take turns, run by run, so all see the same machine;
 * each starts once the teardown {@code run()} left to the cleanup thread is over), with that
 * teardown included ("until all is torn down"), and back-to-back (each run at once, overlapping
 * the previous one's teardown), and in the same run {@code runc run} and
 * {@code bwrap --unshare-all} on the same busybox rootfs, printed as median, p99 and ratios. Not a test: figures from a shared 2-core machine are
 * noisy, which is why every figure is set against the others measured in the same run. The
 * bridge is {@code mdocker0} (created if missing, and kept, as Docker keeps docker0) unless
 * {@code --bridge NAME --bip CIDR} names another.
 *
 * <pre>sudo ./scripts/bench [--runs N] [--bridge NAME --bip CIDR]</pre>
 */
public final class Benchmark {
    private Benchmark() {}

    public static void main(String[] args) throws Exception {
        int runs = 200;
        String bridge = Network.DEFAULT_BRIDGE;
        String bip = Network.DEFAULT_BRIDGE_ADDRESS;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--runs") && i + 1 < args.length) {
                runs = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--bridge") && i + 1 < args.length) {
                bridge = args[++i];
            } else if (args[i].equals("--bip") && i + 1 < args.length) {
                bip = args[++i];
            } else {
                System.err.println("usage: Benchmark [--runs N] [--bridge NAME --bip CIDR]");
                System.exit(2);
            }
        }
        Path work = Path.of("target", "bench").toAbsolutePath();
        Path rootfs = work.resolve("rootfs");
        BusyboxRootfs.ensure(rootfs);
        ContainerRuntime rt = ContainerRuntime.at(work.resolve("state/lib"), work.resolve("state/run"));
        // mdocker's defaults are hardened (capabilities, no_new_privs, seccomp, masked paths, devices
        // cgroup); "plain" turns every piece of that off, to show what the hardening costs.
        Container spec = Container.builder().rootfs(rootfs).runtime(rt).build();
        Container plain = spec.toBuilder().privileged(true).noNewPrivileges(false).build();
        Container onBridge = spec.toBuilder().network(Network.bridge(bridge, bip)).build();

        System.out.printf(Locale.ROOT, "start-to-exit of /bin/true, %d runs each after 20 warm-up runs%n", runs);
        System.out.printf(Locale.ROOT, "kernel %s, %d cpus%n", System.getProperty("os.version"),
                Runtime.getRuntime().availableProcessors());

        // The mdocker variants take turns, so that all of them see the same machine.
        Container limited = spec.toBuilder().memory(DataSize.ofMiB(64)).cpus(1).pidsLimit(64).build();
        // run() returns once the command has ended and its output is complete, and leaves the rest
        // of the teardown to the cleanup thread. Each timed run starts once the previous one's
        // teardown is over (not timed), as runc's and bwrap's do; "until all is torn down" times
        // that teardown too (ContainerRuntime.awaitCleanup), "back-to-back" starts each run at once.
        long[][] mdocker = measureInterleaved(runs,
                () -> check(spec.run("/bin/true")),
                () -> check(plain.run("/bin/true")),
                () -> check(limited.run("/bin/true")),
                () -> check(onBridge.run("/bin/true")),
                () -> {
                    check(spec.run("/bin/true"));
                    ContainerRuntime.awaitCleanup();
                });
        Stats m = Stats.of("mdocker, hardened defaults", mdocker[0]);
        Stats p = Stats.of("  no hardening", mdocker[1]);
        Stats ml = Stats.of("  with memory+cpu+pids", mdocker[2]);
        Stats b = Stats.of("  with bridge network", mdocker[3]);
        Stats gone = Stats.of("  until all is torn down", mdocker[4]);
        Stats backToBack = Stats.of("  back-to-back", measure(runs, () -> check(spec.run("/bin/true"))));
        ContainerRuntime.awaitCleanup();

        List<Stats> others = new ArrayList<>();
        if (onPath("runc")) {
            Path bundle = runcBundle(work, rootfs);
            Path state = work.resolve("runc-state");
            int[] n = {0};
            others.add(Stats.of("runc run", measure(runs, () -> exec(List.of("runc", "--root", state.toString(), "run",
                    "--bundle", bundle.toString(), "mdocker-bench-" + ProcessHandle.current().pid() + "-" + n[0]++)))));
        } else {
            System.out.println("runc: not installed (apt-get install runc), skipped");
        }
        if (onPath("bwrap")) {
            others.add(Stats.of("bwrap --unshare-all", measure(runs, () -> exec(List.of("bwrap", "--unshare-all",
                    "--ro-bind", rootfs.toString(), "/", "--proc", "/proc", "--dev", "/dev", "/bin/true")))));
        } else {
            System.out.println("bwrap: not installed (apt-get install bubblewrap), skipped");
        }

        System.out.println();
        System.out.printf(Locale.ROOT, "| %-26s | %9s | %9s | %13s |%n", "runtime", "median ms", "p99 ms", "mdocker/this");
        System.out.printf(Locale.ROOT, "|%s|%s|%s|%s|%n", "-".repeat(28), "-".repeat(11), "-".repeat(11), "-".repeat(15));
        m.print(m);
        p.print(m);
        ml.print(m);
        b.print(m);
        gone.print(m);
        backToBack.print(m);
        for (Stats s : others) {
            s.print(m);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "hardening (capabilities, no_new_privs, seccomp, masked paths, devices cgroup): "
                + "%+.2f ms median per container, %.2fx the plain run%n", m.medianMs - p.medianMs, m.medianMs / p.medianMs);
        System.out.printf(Locale.ROOT, "memory+cpu+pids limits: %+.2f ms median per container%n", ml.medianMs - m.medianMs);
        System.out.printf(Locale.ROOT, "bridge networking (%s %s): %+.2f ms median per container%n",
                bridge, bip, b.medianMs - m.medianMs);
        System.out.printf(Locale.ROOT, "teardown after run() returned (pid 1's exit, cgroups, files): %+.2f ms median%n",
                gone.medianMs - m.medianMs);
        ContainerRuntime.awaitCleanup();
    }

    private static void check(ExecResult r) {
        if (r.exitCode() != 0) {
            throw new IllegalStateException("mdocker run failed: " + r);
        }
    }

    /** Runs the variants in turn, 20 warm-up rounds and then {@code runs} timed rounds. */
    private static long[][] measureInterleaved(int runs, Work... variants) throws Exception {
        for (int i = 0; i < 20; i++) {
            for (Work w : variants) {
                w.run();
            }
        }
        long[][] ns = new long[variants.length][runs];
        for (int i = 0; i < runs; i++) {
            for (int v = 0; v < variants.length; v++) {
                ContainerRuntime.awaitCleanup(); // the previous run's teardown, not timed
                long t0 = System.nanoTime();
                variants[v].run();
                ns[v][i] = System.nanoTime() - t0;
            }
        }
        return ns;
    }

    private interface Work {
        void run() throws Exception;
    }

    private static long[] measure(int runs, Work w) throws Exception {
        for (int i = 0; i < 20; i++) {
            w.run();
        }
        long[] ns = new long[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            w.run();
            ns[i] = System.nanoTime() - t0;
        }
        return ns;
    }

    private record Stats(String name, double medianMs, double p99Ms) {
        static Stats of(String name, long[] ns) {
            long[] s = ns.clone();
            Arrays.sort(s);
            return new Stats(name, s[s.length / 2] / 1e6, s[(int) Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] / 1e6);
        }

        void print(Stats mdocker) {
            System.out.printf(Locale.ROOT, "| %-26s | %9.2f | %9.2f | %13.2f |%n", name, medianMs, p99Ms,
                    mdocker.medianMs / medianMs);
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    private static void exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(cmd + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
    }

    /** An OCI bundle from `runc spec`: /bin/true, no terminal, the shared rootfs read-only. */
    private static Path runcBundle(Path work, Path rootfs) throws IOException, InterruptedException {
        Path bundle = work.resolve("runc-bundle");
        Files.createDirectories(bundle);
        Files.deleteIfExists(bundle.resolve("config.json"));
        Process p = new ProcessBuilder("runc", "spec").directory(bundle.toFile()).inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("runc spec failed");
        }
        String config = Files.readString(bundle.resolve("config.json"))
                .replace("\"terminal\": true", "\"terminal\": false")
                .replace("\"sh\"", "\"/bin/true\"")
                .replace("\"path\": \"rootfs\"", "\"path\": \"" + rootfs + "\"");
        Files.writeString(bundle.resolve("config.json"), config);
        return bundle;
    }
}
