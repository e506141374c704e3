package io.mdocker.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code cli} section: what a shell user waits for. {@code ./mdocker --version} and
 * {@code ./mdocker run --network none /bin/true} (the launcher script, the JVM, the command,
 * the JVM's exit), the same {@code run} of an image made from the rootfs (imported into the
 * section's state root before the rounds, removed after), with {@code ./mdocker ps} (the CLI's start
 * without a container) and the JVM alone beside them, against {@code bwrap --unshare-all ... /bin/true}, each a new process started
 * from this JVM, all variants interleaved round by round in a rotated order as {@link Interleaved}
 * does. Per run: the wall time from start to reaped, and the CPU time the process and everything it
 * waited for used (user + system, from {@code getrusage(RUSAGE_CHILDREN)} before and after: the
 * launcher's bash, the JVM with all its threads, the container's monitor and pid 1). Each launcher
 * given (default: this project's {@code ./mdocker}) gives two rows, so that two builds (say main's
 * and a branch's) are compared in one run.
 */
final class CliStartup {
    private CliStartup() {}

    /** The targets on a 2-core machine, against 13 ms of bwrap measured then. */
    static final double TARGET_RUN_MS = 150;
    static final double TARGET_VERSION_MS = 80;

    /** One variant's figures: wall and CPU per run, as samples. */
    record Row(String name, String command, Samples wall, Samples cpu) {}

    private record Cmd(String name, List<String> argv) {}

    /** The one-layer image of the rootfs that the image row runs, in the section's own state root. */
    static final String IMAGE = "mdocker-bench/cli:1";

    static List<Row> measure(List<Path> launchers, Path rootfs, Path stateRoot, int warmup, int rounds) {
        String importer = launchers.get(0).toString();
        try {
            External.exec(List.of(importer, "import", "--state-root", stateRoot.toString(), rootfs.toString(), IMAGE));
        } catch (Exception e) {
            throw new IllegalStateException("importing " + rootfs + " as " + IMAGE + ": " + e.getMessage(), e);
        }
        try {
            return measureWithImage(launchers, rootfs, stateRoot, warmup, rounds);
        } finally {
            try {
                External.exec(List.of(importer, "rmi", "--state-root", stateRoot.toString(), IMAGE));
            } catch (Exception e) {
                System.out.println("cli: could not remove " + IMAGE + " from " + stateRoot + ": " + e.getMessage());
            }
        }
    }

    private static List<Row> measureWithImage(List<Path> launchers, Path rootfs, Path stateRoot, int warmup, int rounds) {
        List<Cmd> cmds = new ArrayList<>();
        for (Path l : launchers) {
            String label = launchers.size() == 1 ? "mdocker" : l.toString();
            cmds.add(new Cmd(label + " --version", List.of(l.toString(), "--version")));
            cmds.add(new Cmd(label + " run --network none /bin/true", List.of(l.toString(), "run", "--network", "none",
                    "--rootfs", rootfs.toString(), "--state-root", stateRoot.toString(), "/bin/true")));
            cmds.add(new Cmd(label + " run --network none IMAGE /bin/true", List.of(l.toString(), "run", "--network", "none",
                    "--state-root", stateRoot.toString(), IMAGE, "/bin/true")));
            // the CLI's own start with no container: its runtime, state root and first native calls
            cmds.add(new Cmd(label + " ps", List.of(l.toString(), "ps", "--state-root", stateRoot.toString())));
            jvmAlone(l).ifPresent(argv -> cmds.add(new Cmd(label + "'s JVM alone: java -version", argv)));
        }
        cmds.add(new Cmd(Report.BWRAP + " /bin/true", List.of("bwrap", "--unshare-all", "--die-with-parent",
                "--ro-bind", rootfs.toString(), "/", "--proc", "/proc", "--dev", "/dev", "/bin/true")));
        int n = cmds.size();
        long[][] wall = new long[n][rounds];
        long[][] cpu = new long[n][rounds];
        for (int r = -warmup; r < rounds; r++) {
            for (int k = 0; k < n; k++) {
                int v = Math.floorMod(k + r, n);
                long c0 = childrenCpuNanos();
                long t0 = System.nanoTime();
                try {
                    External.exec(cmds.get(v).argv());
                } catch (Exception e) {
                    throw new IllegalStateException(cmds.get(v).name() + ": " + e.getMessage(), e);
                }
                long t = System.nanoTime() - t0;
                long c = childrenCpuNanos() - c0;
                if (r >= 0) {
                    wall[v][r] = t;
                    cpu[v][r] = c;
                }
            }
            int done = r + warmup + 1;
            if (done % 5 == 0 || done == warmup + rounds) {
                System.out.printf("cli: %d/%d%n", done, warmup + rounds);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            Cmd c = cmds.get(v);
            rows.add(new Row(c.name(), String.join(" ", c.argv()), new Samples(c.name(), wall[v]), new Samples(c.name(), cpu[v])));
        }
        return rows;
    }

    /**
     * The floor under the launcher's commands: its JVM (the JDK the build recorded in
     * mdocker-cli.jdk) started as the launcher starts it, with the same flags and AOT cache (when
     * built), running nothing but {@code -version}. Empty when the launcher has no such build.
     */
    static java.util.Optional<List<String>> jvmAlone(Path launcher) {
        Path target = launcher.toAbsolutePath().resolveSibling("mdocker-cli").resolve("target");
        Path jdk = target.resolve("mdocker-cli.jdk");
        Path aot = target.resolve("mdocker-cli.aot");
        try {
            if (!java.nio.file.Files.isReadable(jdk)) {
                return java.util.Optional.empty();
            }
            Path javaBin = Path.of(java.nio.file.Files.readString(jdk).trim(), "bin", "java");
            // the flags of the launcher (./mdocker): a cache serves only a JVM started with them
            List<String> argv = new ArrayList<>(List.of(javaBin.toString(), "--enable-native-access=ALL-UNNAMED",
                    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:CompileThresholdScaling=50", "-XX:-UsePerfData"));
            if (java.nio.file.Files.isRegularFile(aot)) {
                argv.add("-XX:AOTCache=" + aot);
                argv.add("-Xlog:aot=off,cds=off");
            }
            argv.add("-version");
            return java.util.Optional.of(argv);
        } catch (java.io.IOException e) {
            return java.util.Optional.empty();
        }
    }

    private static final MethodHandle GETRUSAGE = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("getrusage").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    private static final int RUSAGE_CHILDREN = -1;
    /** sizeof(struct rusage) on 64-bit Linux; ru_utime and ru_stime (struct timeval) come first. */
    private static final long RUSAGE_SIZE = 144;

    /** User + system CPU of this process's reaped children (and theirs), in nanoseconds. */
    static long childrenCpuNanos() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ru = arena.allocate(RUSAGE_SIZE, 8);
            int rc = (int) GETRUSAGE.invokeExact(RUSAGE_CHILDREN, ru);
            if (rc != 0) {
                throw new IllegalStateException("getrusage(RUSAGE_CHILDREN) failed");
            }
            long micros = 0;
            for (long off = 0; off < 32; off += 16) {
                micros += ru.get(ValueLayout.JAVA_LONG, off) * 1_000_000 + ru.get(ValueLayout.JAVA_LONG, off + 8);
            }
            return micros * 1000;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
