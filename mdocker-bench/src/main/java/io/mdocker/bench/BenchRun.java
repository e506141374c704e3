package io.mdocker.bench;

import io.mdocker.Container;
import io.mdocker.ContainerPool;
import io.mdocker.RunningContainer;
import io.mdocker.ContainerRuntime;
import io.mdocker.DataSize;
import io.mdocker.Network;

import io.mdocker.examples.JUnitTiming;
import io.mdocker.examples.ParallelSandboxes;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One run of the benchmark suite: the sections asked for, then results.md and latency.png. */
public final class BenchRun {
    private BenchRun() {}

    /** The sections, in the order they run. */
    public static final List<String> SECTIONS = List.of("footprint", "latency", "throughput", "junit", "cli", "scale", "rootless");
    /**
     * The sections run when none are named: all but scale, which starts 1,000 containers, and
     * rootless, which makes a user and times rootless Podman.
     */
    public static final List<String> DEFAULT_SECTIONS = List.of("footprint", "latency", "throughput", "junit", "cli");

    private static final int JUNIT_SERVER_RUNS = 20;
    /** Parked sandboxes whose helpers the footprint section measures. */
    private static final int PARKED = 8;
    private static final java.time.Duration POOL_FILL = java.time.Duration.ofSeconds(60);

    private static final List<String> TRUE = List.of("/bin/true");

    /** What to run; public fields set from the command line. */
    public static final class Options {
        public int runs = 300;
        public int warmup = 30;
        public Path out = Path.of("target", "bench").toAbsolutePath();
        public List<String> sections = DEFAULT_SECTIONS;
        public int[] levels = {1, 2, 8, 32};
        public int perRound = 96;
        public int rounds = 3;
        public String bridge = Network.DEFAULT_BRIDGE;
        public String bip = Network.DEFAULT_BRIDGE_ADDRESS;
        /** The cli section's timed rounds (each a few process starts) and the launchers it times. */
        public int cliRuns = 20;
        public List<Path> launchers = List.of(Path.of("mdocker").toAbsolutePath());
        /** The scale section's levels of idle containers and its timed rounds per level. */
        public int[] scaleLevels = {0, 100, 1000};
        public int scaleRuns = 100;
        /** The scale section's network: "none", or "bridge" (on --bridge, --bip). */
        public String scaleNetwork = "none";
        /** The rootless section's timed rounds (at most runs): rootless Podman takes about a second a run. */
        public int rootlessRuns = 50;
        /** The latency rows kept: those whose names contain one of these (all when empty). */
        public List<String> rows = List.of();
    }

    public static void run(Options o) throws Exception {
        Files.createDirectories(o.out);
        Container spec = Benchmark.baseSpec(o.out);
        Path rootfs = spec.layers().getFirst();
        External ext = new External(o.out, rootfs, spec);
        Report report = new Report(Machine.here());
        String loadBefore = Machine.loadAverage();
        // Containers made before any number is taken: the reaper and spawner threads, the init
        // memfd, the seccomp program, class loading.
        for (int i = 0; i < 3; i++) {
            Benchmark.check(spec.run("/bin/true"));
        }
        if (o.sections.contains("footprint")) {
            footprint(spec, report);
        }
        if (o.sections.contains("latency")) {
            latency(o, spec, ext, report);
        }
        if (o.sections.contains("throughput")) {
            throughput(o, spec, ext, report);
        }
        if (o.sections.contains("junit")) {
            junit(o, report);
        }
        if (o.sections.contains("cli")) {
            cli(o, rootfs, report);
        }
        if (o.sections.contains("scale")) {
            scale(o, spec, ext, report);
        }
        if (o.sections.contains("rootless")) {
            rootless(o, spec, rootfs, report);
        }
        report.setting("load average (1, 5, 15 min) at the start: " + loadBefore + "; at the end: " + Machine.loadAverage());
        ext.notes().forEach(report::note);
        report.note("runc, bwrap, unshare and the host process are started from this JVM with ProcessBuilder, as a Java "
                + "program would start them: the host-process row is that floor. mdocker runs in-process.");
        report.note("runc gets the rootfs read-only, without the overlay mdocker mounts for each container: "
                + "less work for runc than Docker gives it.");
        Path md = o.out.resolve("results.md");
        Files.writeString(md, report.markdown());
        System.out.println();
        System.out.print(report.markdown());
        System.out.println("written: " + md + (o.sections.contains("latency") ? ", " + o.out.resolve("latency.png") : ""));
    }

    private static void latency(Options o, Container spec, External ext, Report report) throws IOException {
        Container plain = spec.toBuilder().privileged(true).noNewPrivileges(false).build();
        Container limited = Limits.DEFAULT.applyTo(spec);
        Container bridged = spec.toBuilder().network(Network.bridge(o.bridge, o.bip)).build();
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant(Report.MDOCKER, () -> Benchmark.check(spec.run("/bin/true"))));
        variants.add(new Variant("mdocker, no hardening", () -> Benchmark.check(plain.run("/bin/true"))));
        variants.add(new Variant("mdocker, + " + Report.LIMITS, () -> Benchmark.check(limited.run("/bin/true"))));
        variants.add(new Variant("mdocker, + bridge network", () -> Benchmark.check(bridged.run("/bin/true"))));
        // the same root filesystem as a stored one-layer image (imported once, before the rounds):
        // what a container of an image adds to a start once the image is in the store
        String image = "mdocker-bench/rootfs:latest";
        io.mdocker.ImageStore store = io.mdocker.ImageStore.of(spec.runtime());
        if (store.inspect(image).isEmpty()) {
            store.importRootfs(spec.layers().getFirst(), image);
        }
        Container fromImage = spec.toBuilder().image(image).pullPolicy(io.mdocker.PullPolicy.NEVER).build();
        variants.add(new Variant("mdocker, from a stored image", () -> Benchmark.check(fromImage.run("/bin/true"))));
        // storageSize: a tmpfs writable layer where the state root has no project quotas (this
        // host's ext4), against the alternative not taken: an ext4 image of that size, made,
        // loop-mounted and removed (no container: that cost comes on top of a start).
        Container bounded = spec.toBuilder().storageSize(DataSize.ofMiB(16)).build();
        variants.add(new Variant("mdocker, + storageSize 16 MiB (tmpfs layer)", () -> Benchmark.check(bounded.run("/bin/true"))));
        Path layerImage = o.out.resolve("layer.img");
        Path mnt = o.out.resolve("layer-mnt");
        Files.createDirectories(mnt);
        variants.add(new Variant("16 MiB ext4 image: mkfs, mount -o loop, umount (alone)", () -> External.exec(List.of("sh", "-c",
                "truncate -s 16M " + layerImage + " && mkfs.ext4 -q -F " + layerImage + " && mount -o loop " + layerImage
                        + " " + mnt + " && umount " + mnt + " && rm " + layerImage))));
        // run() leaves pid 1's exit, the cgroups and the files to its cleanup thread: this row times them too
        variants.add(new Variant("mdocker, until all is torn down", () -> {
            Benchmark.check(spec.run("/bin/true"));
            ContainerRuntime.awaitCleanup();
        }));
        // The warm pool: sandboxes of the hardened definition parked before the command. Its
        // definition carries a label so that the cold rows above (the definition without it) never
        // claim from it; after each pooled row the pool is refilled, not timed.
        ContainerPool pool = spec.runtime().pool(spec.toBuilder().label("bench", "pool").build(), 2);
        if (!pool.awaitFull(POOL_FILL)) {
            pool.close();
            throw new IllegalStateException("the warm pool did not fill within " + POOL_FILL);
        }
        Work refilled = () -> {
            ContainerRuntime.awaitCleanup();
            if (!pool.awaitFull(POOL_FILL)) {
                throw new IllegalStateException("the warm pool did not refill within " + POOL_FILL);
            }
        };
        RunningContainer[] started = new RunningContainer[1];
        Work closeStarted = () -> {
            started[0].waitFor();
            started[0].close();
            refilled.run();
        };
        variants.add(new Variant(Report.POOL_EXEC, () -> started[0] = pool.start("/bin/true"), closeStarted));
        variants.add(new Variant(Report.POOL_RUN, () -> Benchmark.check(pool.run("/bin/true")), refilled));
        variants.add(new Variant(Report.COLD_EXEC, () -> started[0] = spec.start("/bin/true"), closeStarted));
        add(variants, ext.runc(Report.RUNC, null, TRUE));
        add(variants, ext.runc(Report.RUNC_LIMITS, Limits.DEFAULT, TRUE));
        add(variants, ext.bwrap(Report.BWRAP, TRUE));
        add(variants, ext.unshare(Report.UNSHARE, TRUE));
        variants.add(ext.host(Report.HOST, TRUE));
        ExecFloor floor;
        try {
            floor = ExecFloor.start(benchJar(), spec.layers().getFirst().resolve("bin/true"));
        } catch (IOException | RuntimeException e) {
            pool.close();
            throw e;
        }
        variants.addAll(floor.variants());
        if (!o.rows.isEmpty()) {
            variants.removeIf(v -> o.rows.stream().noneMatch(w -> v.name().contains(w)));
            if (variants.isEmpty()) {
                pool.close();
                floor.close();
                throw new IllegalArgumentException("--rows " + String.join(",", o.rows) + " keeps no latency row");
            }
        }
        System.out.printf("latency: %d variants, %d warm-up and %d timed rounds%n", variants.size(), o.warmup, o.runs);
        List<Samples> samples;
        try {
            samples = Interleaved.measure(variants, o.warmup, o.runs, Interleaved.Progress.every(50, "latency"));
            if (pool.misses() > 0) {
                throw new IllegalStateException("the pooled rows started " + pool.misses() + " containers cold");
            }
        } finally {
            pool.close();
            floor.close();
        }
        report.latency(samples);
        report.note("the floor rows: a C program (mdocker-bench/src/main/c/exec-floor.c) that forks a process ahead, "
                + "waiting on a socketpair as a pooled sandbox's command process does, sends it one datagram and times, "
                + "from inside, its exec of the rootfs's /bin/true (start-to-exec) and its exit (start-to-exit): the least "
                + "a pooled start costs on this machine, without namespaces, a JVM or a relay");
        report.setting("latency: " + o.runs + " timed rounds after " + o.warmup + " warm-up rounds; in each round every "
                + "variant runs once, in an order rotated round by round; limits: " + Limits.DEFAULT
                + "; bridge: " + o.bridge + " " + o.bip + (o.rows.isEmpty() ? "" : "; rows: " + String.join(", ", o.rows)));
        LatencyChart.write(o.out.resolve("latency.png"), "start-to-exit of /bin/true, " + o.runs + " runs each", samples);
    }

    /** The benchmark's jar (target/mdocker-bench.jar), beside which its build puts exec-floor. */
    private static Path benchJar() {
        try {
            return Path.of(BenchRun.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void throughput(Options o, Container spec, External ext, Report report) throws Exception {
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant("mdocker", () -> Benchmark.check(spec.run("/bin/true"))));
        // A warm pool of the hardened definition (labelled, so that the cold row never claims from
        // it): its rounds end once the pool is full again, so the sandboxes a round used up are made
        // within it (the sustained rate); claims that find it empty start cold, counted below.
        ContainerPool pool = spec.runtime().pool(spec.toBuilder().label("bench", "pool-throughput").build(), POOLED_IN_FLIGHT);
        List<Throughput.Rate> rates;
        try {
            if (!pool.awaitFull(POOL_FILL)) {
                throw new IllegalStateException("the warm pool did not fill within " + POOL_FILL);
            }
            variants.add(new Variant(Report.POOL_THROUGHPUT, () -> Benchmark.check(pool.run("/bin/true"))));
            add(variants, ext.runc("runc", null, TRUE));
            add(variants, ext.bwrap("bwrap", TRUE));
            add(variants, ext.unshare("unshare", TRUE));
            Work refilled = () -> {
                if (!pool.awaitFull(POOL_FILL)) {
                    throw new IllegalStateException("the warm pool did not refill within " + POOL_FILL);
                }
            };
            rates = Throughput.measure(variants, o.levels, o.rounds, o.perRound, java.util.Map.of(Report.POOL_THROUGHPUT, refilled));
            report.note(String.format(java.util.Locale.ROOT, "%s: a pool of %d sandboxes; of its %d starts (warm-up included) "
                    + "%d found it empty and started cold", Report.POOL_THROUGHPUT, POOLED_IN_FLIGHT,
                    pool.claims() + pool.misses(), pool.misses()));
        } finally {
            pool.close();
        }
        report.throughput(rates);
        report.setting("throughput: " + o.perRound + " containers of /bin/true per round, " + o.rounds
                + " rounds per level, the variants taking turns; mdocker with its hardened defaults, runc with the same; "
                + "the warm pool's rounds end once it is full again");
    }

    /** The throughput section's warm pool: as many sandboxes as the usual 8 in flight. */
    private static final int POOLED_IN_FLIGHT = 8;

    private static void junit(Options o, Report report) throws Exception {
        System.out.println("junit: web server example start-to-ready, 20-sandbox test class parallel and sequential");
        report.junit(JUnitTiming.measure(Network.bridge(o.bridge, o.bip), JUNIT_SERVER_RUNS));
        report.setting("junit: the web server example started " + JUNIT_SERVER_RUNS + " times after one warm-up; the "
                + ParallelSandboxes.SANDBOXES + "-sandbox class run 5 times per mode through the JUnit Platform Launcher, "
                + "modes interleaved");
    }

    private static void cli(Options o, Path rootfs, Report report) throws IOException {
        int warmup = Math.min(o.warmup, 3);
        System.out.printf("cli: %s --version and run --network none /bin/true against bwrap, %d warm-up and %d timed rounds%n",
                o.launchers, warmup, o.cliRuns);
        Path state = o.out.resolve("cli-state");
        Files.createDirectories(state);
        report.cli(CliStartup.measure(o.launchers, rootfs, state, warmup, o.cliRuns));
        report.setting("cli: " + o.cliRuns + " timed rounds after " + warmup + " warm-up rounds, each command a new process "
                + "per round, order rotated round by round; launchers: " + o.launchers + "; state root " + state);
    }

    private static void scale(Options o, Container spec, External ext, Report report) throws IOException {
        // a state root of its own, so that list() counts the idle containers and the probe only
        Path state = o.out.resolve("scale-state");
        Container scaled = spec.toBuilder().runtime(ContainerRuntime.at(state.resolve("lib"), state.resolve("run")))
                .network(o.scaleNetwork.equals("bridge") ? Network.bridge(o.bridge, o.bip) : Network.none()).build();
        int warmup = Math.min(o.warmup, 10);
        report.scale(Scale.measure(scaled, ext, o.scaleLevels, warmup, o.scaleRuns));
        report.setting("scale: detached idle containers (`sleep`, hardened defaults, network " + o.scaleNetwork
                + (o.scaleNetwork.equals("bridge") ? " " + o.bridge + " " + o.bip : "") + ") on one state root ("
                + state + ") besides one probe container; at each level " + o.scaleRuns + " timed rounds after " + warmup
                + " warm-up rounds of run(\"/bin/true\") (same network), list(), inspect by id, name and 12-digit prefix, "
                + "and as references of the machine's load bwrap --unshare-all and a host process (/bin/true), in an order "
                + "rotated round by round; then all removed and level 0 measured again");
    }

    private static void rootless(Options o, Container spec, Path rootfs, Report report) throws Exception {
        int warmup = Math.min(o.warmup, 5);
        int rounds = Math.min(o.runs, o.rootlessRuns);
        System.out.printf("rootless: mdocker root and rootless, bwrap and podman as an unprivileged user, %d warm-up and "
                + "%d timed rounds%n", warmup, rounds);
        List<String> notes = new ArrayList<>();
        report.rootless(Rootless.measure(spec, rootfs, warmup, rounds, notes));
        notes.forEach(report::note);
        report.setting("rootless: " + rounds + " timed rounds after " + warmup + " warm-up rounds, the variants in an order "
                + "rotated round by round; the unprivileged user " + Rootless.USER + " (subordinate ids 1300000-1365535) made "
                + "for the run; its variants timed in its own JVM; podman: " + String.join(" ",
                RootlessWorker.podman(Path.of("ROOTFS"))));
    }

    private static void footprint(Container spec, Report report) throws IOException {
        System.out.println("footprint: helpers of 1 and 20 idle containers, JVM with 0, 10, 50 running");
        report.helpers(List.of(Footprint.helpers(spec, 1), Footprint.helpers(spec, 20)));
        report.jvm(Footprint.jvm(spec, 0, 10, 50));
        report.parked(Footprint.parked(spec, PARKED));
        report.setting("footprint: idle containers run `sleep 3600` with the hardened defaults and no network; "
                + "the monitor pool keeps 2 spare monitors (each with its pid 1), not counted per container; parked "
                + "sandboxes: a warm pool of " + PARKED + " of the hardened definition, full and idle");
    }

    private static void add(List<Variant> variants, Optional<Variant> v) {
        v.ifPresent(variants::add);
    }
}
