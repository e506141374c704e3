package io.mdocker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The unprivileged user that rootless tests outside mdocker-core run their programs as (the
 * user {@value #NAME}, as RootlessTest's): made by root with subordinate ranges 1300000-1365535,
 * a directory readable by it with its HOME and XDG_RUNTIME_DIR (mode 0700, its own) and a copy of
 * the busybox rootfs it owns; programs run through {@code setpriv --reset-env}. {@link #close()}
 * ends the user's processes and removes the user, its ranges and the directory.
 */
public final class UnprivilegedUser implements AutoCloseable {
    public static final String NAME = "mdockerrl";
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    private final Path dir;
    private final int uid;

    private UnprivilegedUser(Path dir, int uid) {
        this.dir = dir;
        this.uid = uid;
    }

    /** Makes the user (removing one a killed run left first); needs root, setpriv, useradd and newuidmap. */
    public static UnprivilegedUser create() throws IOException, InterruptedException {
        Path rootfs = Fixtures.rootfs();
        Fixtures.prerequisite(Files.isExecutable(SETPRIV), "setpriv (util-linux) to run as another user");
        Fixtures.prerequisite(Files.isExecutable(Path.of("/usr/sbin/useradd")), "useradd (passwd) to make the test user");
        Fixtures.prerequisite(Files.isExecutable(Path.of("/usr/bin/newuidmap")),
                "newuidmap and newgidmap (apt-get install uidmap) for subordinate id ranges");
        removeUser();
        Path dir = Files.createTempDirectory("mdocker-unprivileged-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        sh("useradd -M -d " + dir.resolve("home") + " -s /usr/sbin/nologin -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 " + NAME
                + " && usermod --add-subuids 1300000-1365535 --add-subgids 1300000-1365535 " + NAME);
        for (String d : List.of("home", "run")) {
            Files.createDirectory(dir.resolve(d));
            sh("chown " + NAME + ": " + dir.resolve(d) + " && chmod 700 " + dir.resolve(d));
        }
        sh("cp -a " + rootfs + " " + dir.resolve("rootfs") + " && chown -R " + NAME + ": " + dir.resolve("rootfs"));
        return new UnprivilegedUser(dir, Integer.parseInt(sh("id -u " + NAME).strip()));
    }

    /** The directory holding home/, run/ and rootfs/ (the busybox rootfs, the user's). */
    public Path dir() {
        return dir;
    }

    public int uid() {
        return uid;
    }

    public Path rootfs() {
        return dir.resolve("rootfs");
    }

    /**
     * Copies the code sources (jars or class directories) of {@code classes} into the directory,
     * readable by the user, and returns them as a class path (the build's may sit below a private home).
     */
    public String classpath(List<Class<?>> classes) throws IOException, InterruptedException {
        Set<Path> from = new LinkedHashSet<>();
        for (Class<?> c : classes) {
            try {
                from.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()));
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        List<String> cp = new ArrayList<>();
        int i = 0;
        Path cpDir = Files.createDirectories(dir.resolve("cp"));
        for (Path f : from) {
            Path to = cpDir.resolve(i++ + (Files.isDirectory(f) ? "" : ".jar"));
            sh("rm -rf " + to + " && cp -r " + f + " " + to + " && chmod -R a+rX " + to);
            cp.add(to.toString());
        }
        sh("chmod a+rx " + cpDir);
        return String.join(":", cp);
    }

    /**
     * A command as the user: setpriv with a clean environment, HOME and XDG_RUNTIME_DIR of its own,
     * PATH /usr/bin:/bin, in the directory; stderr with stdout.
     */
    public ProcessBuilder command(List<String> command) {
        List<String> cmd = new ArrayList<>(List.of(SETPRIV.toString(), "--reuid=" + NAME, "--regid=" + NAME,
                "--init-groups", "--reset-env", "/usr/bin/env", "HOME=" + dir.resolve("home"),
                "XDG_RUNTIME_DIR=" + dir.resolve("run"), "PATH=/usr/bin:/bin"));
        cmd.addAll(command);
        return new ProcessBuilder(cmd).redirectErrorStream(true).directory(dir.toFile());
    }

    /** What {@link #command} printed and its exit status, within {@code seconds}. */
    public record Result(int status, String output) { }

    public Result run(int seconds, String... command) throws IOException, InterruptedException {
        Process p = command(List.of(command)).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not end within " + seconds + " s: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            removeUser();
        } finally {
            sh("rm -rf " + dir);
        }
    }

    /** The user's processes (ours: nobody else runs as it), the user and its ranges. */
    private static void removeUser() throws IOException, InterruptedException {
        if (sh("id -u " + NAME + " 2>/dev/null || true").isBlank()) {
            return;
        }
        int uid = Integer.parseInt(sh("id -u " + NAME).strip());
        ProcessHandle.allProcesses().filter(p -> ownedBy(p, uid)).forEach(ProcessHandle::destroyForcibly);
        sh("userdel " + NAME);
    }

    private static boolean ownedBy(ProcessHandle p, int uid) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc", Long.toString(p.pid())), "unix:uid") == uid;
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /** A shell command as root; its output, or an AssertionError naming it. */
    public static String sh(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(script + " failed: " + out);
        }
        return out;
    }
}
