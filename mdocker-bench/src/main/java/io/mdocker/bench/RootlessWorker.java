package io.mdocker.bench;

import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.Network;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The rootless section's worker ({@link Rootless}): a JVM of an unprivileged user, which reads one
 * variant name a line on stdin ({@code mdocker}, {@code bwrap}, {@code podman}), runs it once with
 * {@code /bin/true} on the rootfs given as its argument (owned by the user), and prints the
 * nanoseconds it took, or {@code error MESSAGE}. mdocker runs in-process on the user's default
 * state roots (XDG), rootless; bwrap and podman are started with ProcessBuilder and timed to
 * their exit, their output discarded.
 */
public final class RootlessWorker {
    private RootlessWorker() {}

    /** podman as an unprivileged user here: cgroupfs (this host's cgroup v1 has no user delegation), no network. */
    static List<String> podman(Path rootfs) {
        return List.of("podman", "--cgroup-manager=cgroupfs", "--events-backend=file", "run", "--rm", "--network", "none",
                "--rootfs", rootfs.toString(), "/bin/true");
    }

    static List<String> bwrap(Path rootfs) {
        return List.of("bwrap", "--unshare-all", "--die-with-parent", "--ro-bind", rootfs.toString(), "/", "--proc", "/proc",
                "--dev", "/dev", "/bin/true");
    }

    /**
     * Runs {@code cmd} to its exit, output discarded: Podman's conmon keeps an inherited output
     * pipe open for some 20 s after {@code podman run} has exited, which reading the output to
     * its end would time (it did, here: 21 s a run against 1.5 s to the exit).
     */
    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish within 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue());
        }
    }

    public static void main(String[] args) throws Exception {
        Path rootfs = Path.of(args[0]);
        Container c = Container.builder().rootfs(rootfs).network(Network.none()).build();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            try {
                ContainerRuntime.awaitCleanup(); // the previous run's teardown, not timed
                long t0 = System.nanoTime();
                switch (line) {
                    case "mdocker" -> Benchmark.check(c.run("/bin/true"));
                    case "bwrap" -> run(bwrap(rootfs));
                    case "podman" -> run(podman(rootfs));
                    default -> throw new IllegalArgumentException("unknown variant " + line);
                }
                System.out.println(System.nanoTime() - t0);
            } catch (Exception e) {
                System.out.println("error " + String.valueOf(e.getMessage()).replace('\n', ' '));
            }
            System.out.flush();
        }
    }
}
