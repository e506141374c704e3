package io.mdocker.bench;

import io.mdocker.Container;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The other runtimes, doing the same work as mdocker on the same busybox rootfs, each started
 * from this JVM with {@link ProcessBuilder} as a Java program would call them: {@code runc run}
 * on a generated bundle (with and without the limits), {@code bwrap --unshare-all}, util-linux
 * {@code unshare} with a chroot, and a plain host process as the floor (what starting any
 * process from Java costs here). A tool that is not installed gives no variant and a note.
 */
final class External {
    private final Path work;
    private final Path rootfs;
    private final Container spec;
    private final List<String> notes = new ArrayList<>();
    private final AtomicLong ids = new AtomicLong();

    External(Path work, Path rootfs, Container spec) {
        this.work = work;
        this.rootfs = rootfs;
        this.spec = spec;
    }

    /** What was skipped and why, for the report. */
    List<String> notes() {
        return notes;
    }

    /** {@code runc run} of {@code command} with the container's hardening, and {@code limits} when not null. */
    Optional<Variant> runc(String name, Limits limits, List<String> command) throws IOException {
        if (!installed("runc", "runc")) {
            return Optional.empty();
        }
        Path bundle = runcBundle(name, limits, command);
        return Optional.of(new Variant(name, () -> exec(runcRun(bundle))));
    }

    /** Writes the bundle of a runc variant; returns its directory. */
    Path runcBundle(String name, Limits limits, List<String> command) throws IOException {
        return RuncBundle.write(work.resolve("runc-bundles").resolve(name.replaceAll("[^A-Za-z0-9]+", "-")), rootfs, spec,
                limits, command);
    }

    /** The command line that runs {@code bundle} once, as a container with an id of its own. */
    List<String> runcRun(Path bundle) {
        return List.of("runc", "--root", Benchmark.RUN_ROOT.resolve("runc").toString(), "run", "--bundle", bundle.toString(),
                "mdocker-bench-" + ProcessHandle.current().pid() + "-" + ids.incrementAndGet());
    }

    /** {@code bwrap --unshare-all}: new user, pid, mount, ipc, uts, net and cgroup namespaces; no cgroup. */
    Optional<Variant> bwrap(String name, List<String> command) {
        if (!installed("bwrap", "bubblewrap")) {
            return Optional.empty();
        }
        List<String> cmd = new ArrayList<>(List.of("bwrap", "--unshare-all", "--die-with-parent",
                "--ro-bind", rootfs.toString(), "/", "--proc", "/proc", "--dev", "/dev"));
        cmd.addAll(command);
        return Optional.of(new Variant(name, () -> exec(cmd)));
    }

    /** util-linux {@code unshare}: pid, mount, ipc, uts, net and cgroup namespaces, /proc, chroot; no cgroup. */
    Optional<Variant> unshare(String name, List<String> command) {
        if (!installed("unshare", "util-linux")) {
            return Optional.empty();
        }
        List<String> cmd = new ArrayList<>(List.of("unshare", "--fork", "--pid", "--mount", "--ipc", "--uts", "--net",
                "--cgroup", "--mount-proc=" + rootfs.resolve("proc"), "chroot", rootfs.toString()));
        cmd.addAll(command);
        return Optional.of(new Variant(name, () -> exec(cmd)));
    }

    /** The same command as a plain host process: no isolation at all. */
    Variant host(String name, List<String> command) {
        return new Variant(name, () -> exec(command));
    }

    private boolean installed(String tool, String pkg) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        notes.add(tool + " is not installed (apt-get install " + pkg + "): its rows are missing");
        return false;
    }

    /** Runs {@code cmd} and returns its output (stdout and stderr); throws unless it exits 0. */
    static String exec(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", cmd) + " did not finish within 60 s");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue() + ": " + out.strip());
        }
        return out;
    }
}
