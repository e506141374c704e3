package io.mdocker.examples;

import static io.mdocker.testing.Fixtures.prerequisite;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A Debian root filesystem made by {@code scripts/debian-rootfs} (debootstrap from the host's
 * Debian mirror), cached outside the repository under {@code /var/cache/mdocker-test} (or
 * {@code $MDOCKER_TEST_CACHE}) by release and package list: the first use in a machine's life
 * builds it (3 to 8 minutes for PostgreSQL 15), later ones, from any checkout, find it. The
 * script's progress goes to stderr. Under {@code CI=true} a failure to make it fails the test;
 * elsewhere it aborts it with the reason (no root, no debootstrap, no mirror).
 *
 * @param dir the cache directory: {@code rootfs/} (the tree) and {@code rootfs.tar} (the same
 *            tree as a tar, for an image import)
 */
record DebianRootfs(Path dir) {
    /** Each release and package list's outcome in this JVM: a failure is not tried again by the next test. */
    private static final ConcurrentHashMap<String, Outcome> MADE = new ConcurrentHashMap<>();
    /** A first build takes 3 to 8 minutes; a slow mirror gets this long before the test gives up. */
    private static final long BUILD_TIMEOUT_MINUTES = 20;

    /** The root filesystem of {@code release} with {@code packages} (comma-separated), made on first use. */
    static DebianRootfs of(String release, String packages) {
        Outcome o = MADE.computeIfAbsent(release + " " + packages, k -> make(release, packages));
        prerequisite(o.failure() == null, o.failure());
        return o.made();
    }

    private record Outcome(DebianRootfs made, String failure) {}

    /** The tree, to use as a container's root filesystem. */
    Path rootfs() {
        return dir.resolve("rootfs");
    }

    /** The tree as a tar (numeric owners, xattrs). */
    Path tar() {
        return dir.resolve("rootfs.tar");
    }

    /**
     * The uid and gid of {@code user} in the tree's {@code /etc/passwd}: containers take numeric
     * users, and these are the image's own, not the host's.
     */
    int[] user(String user) {
        Path passwd = rootfs().resolve("etc/passwd");
        try {
            for (String line : Files.readAllLines(passwd)) {
                String[] f = line.split(":", -1);
                if (f.length >= 4 && f[0].equals(user)) {
                    return new int[] {Integer.parseInt(f[2]), Integer.parseInt(f[3])};
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalArgumentException("no user '" + user + "' in " + passwd);
    }

    private static Outcome make(String release, String packages) {
        Path script = projectRoot().resolve("scripts/debian-rootfs");
        List<String> cmd = List.of(script.toString(), release, packages);
        try {
            Path stdout = Files.createTempFile("debian-rootfs", ".out");
            try {
                Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).start();
                p.getOutputStream().close();
                // The script's progress, through System.err so that surefire shows it with the test's.
                Thread progress = Thread.ofVirtual().start(() -> {
                    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                        r.lines().forEach(System.err::println);
                    } catch (IOException e) {
                        System.err.println("reading the output of " + script + ": " + e);
                    }
                });
                if (!p.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                    // debootstrap and what it runs first (bash runs its traps once they end), then the
                    // script, whose EXIT trap removes the half-made build.
                    p.descendants().forEach(ProcessHandle::destroy);
                    p.destroy();
                    p.waitFor();
                    System.err.println(script + " ran for more than " + BUILD_TIMEOUT_MINUTES + " minutes: stopped");
                }
                progress.join();
                int rc = p.exitValue();
                if (rc != 0) {
                    return new Outcome(null, String.join(" ", cmd) + " failed with exit code " + rc + " (its message is above)");
                }
                String out = Files.readString(stdout).strip();
                Path dir = Path.of(out);
                if (!Files.isDirectory(dir.resolve("rootfs")) || !Files.isRegularFile(dir.resolve("rootfs.tar"))) {
                    return new Outcome(null, String.join(" ", cmd) + " printed '" + out
                            + "': expected a directory holding rootfs/ and rootfs.tar");
                }
                return new Outcome(new DebianRootfs(dir), null);
            } finally {
                Files.deleteIfExists(stdout);
            }
        } catch (IOException e) {
            return new Outcome(null, "cannot run " + script + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + script + " ran", e);
        }
    }

    /** The reactor's root (surefire sets MDOCKER_PROJECT_ROOT), else the first directory up that has the script. */
    private static Path projectRoot() {
        String env = System.getenv("MDOCKER_PROJECT_ROOT");
        if (env != null && Files.isExecutable(Path.of(env, "scripts/debian-rootfs"))) {
            return Path.of(env);
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isExecutable(d.resolve("scripts/debian-rootfs"))) {
                return d;
            }
        }
        throw new IllegalStateException("scripts/debian-rootfs not found above " + Path.of("").toAbsolutePath()
                + " (MDOCKER_PROJECT_ROOT=" + env + ")");
    }
}
