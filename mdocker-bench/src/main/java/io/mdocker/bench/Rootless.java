package io.mdocker.bench;

import io.mdocker.Container;
import io.mdocker.ContainerRuntime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The rootless section: {@code run("/bin/true")} of a rootless JVM (an unprivileged user with
 * subordinate ids, made for the run) next to the rootful one of this JVM, bwrap run by the same
 * user, and rootless Podman ({@code podman run --rm --rootfs}, when installed), interleaved round
 * by round in an order rotated each round. The user's variants run in its own JVM
 * ({@link RootlessWorker}), which times them itself; the rootful one runs here. The user
 * ({@value #USER}, ranges 1300000-1365535, as the tests' rootless user), its processes (Podman's
 * pause process) and its directory are removed afterwards.
 */
final class Rootless {
    static final String USER = "mdockerrl";
    static final String ROOTFUL = "mdocker, root";
    static final String ROOTLESS = "mdocker, rootless (subordinate ids)";
    static final String BWRAP = "bwrap --unshare-all, as the user";
    static final String PODMAN = "podman run --rm --rootfs, rootless";

    private Rootless() {}

    /** The samples of each variant, in the order above; {@code notes} gets what was left out. */
    static List<Samples> measure(Container rootful, Path rootfs, int warmup, int rounds, List<String> notes)
            throws Exception {
        // The user's home and runtime directory on a short path: with them deep in a checkout
        // (target/.../rootless/run), every rootless `podman run` waited 20 s for its container's
        // exit, against about 1 s with the same directories under /tmp.
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "mdrl");
        removeUser();
        sh("chmod 755 " + dir);
        try {
            sh("useradd -M -d " + dir.resolve("home") + " -s /usr/sbin/nologin -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 " + USER
                    + " && usermod --add-subuids 1300000-1365535 --add-subgids 1300000-1365535 " + USER
                    + " && mkdir " + dir.resolve("home") + " " + dir.resolve("run")
                    + " && chown " + USER + ": " + dir.resolve("home") + " " + dir.resolve("run")
                    + " && chmod 700 " + dir.resolve("home") + " " + dir.resolve("run")
                    + " && cp -a " + rootfs + " " + dir.resolve("rootfs") + " && chown -R " + USER + ": " + dir.resolve("rootfs"));
            Path jar = Path.of(Rootless.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            sh("cp " + jar + " " + dir.resolve("bench.jar") + " && chmod a+r " + dir.resolve("bench.jar"));
            List<String> names = new ArrayList<>(List.of(ROOTFUL, ROOTLESS, BWRAP));
            if (installed("podman")) {
                names.add(PODMAN);
            } else {
                notes.add("podman is not installed (apt-get install podman): the rootless Podman row is missing");
            }
            String java = ProcessHandle.current().info().command().orElseThrow();
            Process worker = new ProcessBuilder("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--reset-env",
                    "/usr/bin/env", "HOME=" + dir.resolve("home"), "XDG_RUNTIME_DIR=" + dir.resolve("run"), "PATH=/usr/bin:/bin",
                    java, "--enable-native-access=ALL-UNNAMED", "-cp", dir.resolve("bench.jar").toString(),
                    RootlessWorker.class.getName(), dir.resolve("rootfs").toString())
                    .directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (PrintWriter to = new PrintWriter(worker.getOutputStream(), true, StandardCharsets.UTF_8);
                 BufferedReader from = new BufferedReader(new InputStreamReader(worker.getInputStream(), StandardCharsets.UTF_8))) {
                int n = names.size();
                long[][] ns = new long[n][rounds];
                for (int r = -warmup; r < rounds; r++) {
                    for (int k = 0; k < n; k++) {
                        int v = Math.floorMod(k + r, n);
                        long t = names.get(v).equals(ROOTFUL) ? rootful(rootful) : remote(names.get(v), to, from);
                        if (r >= 0) {
                            ns[v][r] = t;
                        }
                    }
                    if ((r + warmup + 1) % 10 == 0) {
                        System.out.printf("rootless: %d/%d%n", r + warmup + 1, warmup + rounds);
                    }
                }
                List<Samples> samples = new ArrayList<>();
                for (int v = 0; v < n; v++) {
                    samples.add(new Samples(names.get(v), ns[v]));
                }
                return samples;
            } finally {
                worker.getOutputStream().close();
                if (!worker.waitFor(30, TimeUnit.SECONDS)) {
                    worker.destroyForcibly();
                }
            }
        } finally {
            removeUser();
            sh("rm -rf " + dir);
        }
    }

    private static long rootful(Container spec) {
        ContainerRuntime.awaitCleanup();
        long t0 = System.nanoTime();
        Benchmark.check(spec.run("/bin/true"));
        return System.nanoTime() - t0;
    }

    private static long remote(String name, PrintWriter to, BufferedReader from) throws IOException {
        to.println(switch (name) {
            case ROOTLESS -> "mdocker";
            case BWRAP -> "bwrap";
            case PODMAN -> "podman";
            default -> throw new IllegalArgumentException(name);
        });
        String line = from.readLine();
        if (line == null || line.startsWith("error")) {
            throw new IllegalStateException(name + ": " + (line == null ? "the rootless worker exited" : line));
        }
        return Long.parseLong(line);
    }

    private static boolean installed(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** The user's processes (Podman leaves a pause process), the user and its ranges. */
    private static void removeUser() throws Exception {
        if (sh("id -u " + USER + " 2>/dev/null || true").isBlank()) {
            return;
        }
        long uid = Long.parseLong(sh("id -u " + USER).strip());
        ProcessHandle.allProcesses().filter(p -> {
            try {
                return ((Number) Files.getAttribute(Path.of("/proc", Long.toString(p.pid())), "unix:uid")).longValue() == uid;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }).forEach(ProcessHandle::destroyForcibly);
        Thread.sleep(200);
        sh("userdel " + USER);
    }

    private static String sh(String script) throws Exception {
        return External.exec(List.of("/bin/sh", "-c", script));
    }
}
