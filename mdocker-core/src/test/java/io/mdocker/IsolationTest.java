package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** What a container must not share with the host, checked against the real kernel. */
class IsolationTest {

    @Test
    void initIsPid1AndHostProcessesAreInvisible() {
        ExecResult r = Fixtures.container().run("/bin/sh", "-c",
                "cat /proc/1/comm; echo $$; ls /proc | grep -c '^[0-9][0-9]*$'");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        String[] lines = r.stdout().split("\n");
        assertThat(lines[0]).isEqualTo("mdocker-init");
        assertThat(lines[1]).isEqualTo("2"); // the command is the init's only child
        // init, sh, ls and grep at most: none of the host's hundreds of processes
        assertThat(Integer.parseInt(lines[2].trim())).isBetween(2, 4);
    }

    @Test
    void withoutInitTheCommandIsPid1() {
        ExecResult r = Fixtures.container().init(false).run("/bin/sh", "-c", "echo $$");
        assertThat(r.stdout().trim()).isEqualTo("1");
    }

    @Test
    void everyNamespaceDiffersFromTheHost() throws IOException {
        Map<String, String> host = new TreeMap<>();
        for (String ns : new String[] {"pid", "mnt", "uts", "ipc", "net", "cgroup"}) {
            host.put(ns, Files.readSymbolicLink(Path.of("/proc/self/ns", ns)).toString());
        }
        ExecResult r = Fixtures.container().run("/bin/sh", "-c",
                "for n in pid mnt uts ipc net cgroup; do echo $n $(readlink /proc/self/ns/$n); done");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        Map<String, String> inside = new TreeMap<>();
        r.stdout().lines().forEach(l -> inside.put(l.split(" ")[0], l.split(" ")[1]));
        assertThat(inside.keySet()).isEqualTo(host.keySet());
        for (String ns : host.keySet()) {
            assertThat(inside.get(ns)).as(ns + " namespace").startsWith(ns + ":[").isNotEqualTo(host.get(ns));
        }
    }

    @Test
    void hostnameIsTheContainersOwn() throws IOException {
        String before = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        // sethostname needs CAP_SYS_ADMIN, as under Docker (EscapeTest shows it fails without)
        ExecResult r = Fixtures.container().hostname("box-1").capAdd(Capability.SYS_ADMIN)
                .run("/bin/sh", "-c", "hostname; hostname other; hostname");
        assertThat(r.stdout()).isEqualTo("box-1\nother\n");
        assertThat(Files.readString(Path.of("/proc/sys/kernel/hostname")).trim()).isEqualTo(before);
    }

    @Test
    void defaultHostnameIsTheShortId() {
        try (RunningContainer c = Fixtures.container().stdout(Stdio.pipe()).start("/bin/hostname")) {
            String out = new String(readAll(c), java.nio.charset.StandardCharsets.UTF_8).trim();
            assertThat(c.waitFor()).isZero();
            assertThat(out).isEqualTo(c.shortId()).hasSize(12);
        }
    }

    @Test
    void mountsMadeInsideAreInvisibleOnTheHost() {
        // mount needs CAP_SYS_ADMIN (and the seccomp rule it unlocks), as under Docker
        try (RunningContainer c = Fixtures.container().capAdd(Capability.SYS_ADMIN).start("/bin/sh", "-c",
                "mount -t tmpfs inside-only /mnt && echo mounted && exec sleep 30")) {
            assertThat(readLine(c)).isEqualTo("mounted");
            String host = Fixtures.mountinfo();
            assertThat(host).doesNotContain("inside-only").doesNotContain(c.id());
        }
    }

    @Test
    void rootfsIsNeverWritten() throws IOException {
        Path rootfs = Fixtures.rootfs();
        Map<String, Long> before = snapshot(rootfs);
        ExecResult r = Fixtures.container().run("/bin/sh", "-c",
                "echo new > /newfile && rm /bin/ls && echo more >> /etc/passwd && mkdir -p /var/x && cat /newfile");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("new\n");
        assertThat(snapshot(rootfs)).isEqualTo(before);
        ExecResult next = Fixtures.container().run("/bin/sh", "-c", "test -e /newfile; echo $?; test -e /bin/ls; echo $?");
        assertThat(next.stdout()).isEqualTo("1\n0\n");
    }

    @Test
    void devHasTheSafeDeviceSetAndProcIsTheContainers() {
        ExecResult r = Fixtures.container().run("/bin/sh", "-c",
                "ls /dev | sort | tr '\\n' ' '; echo; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok;"
                        + " grep -c ' /sys sysfs ro,' /proc/self/mountinfo || grep ' /sys ' /proc/self/mountinfo");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        String[] lines = r.stdout().split("\n");
        assertThat(lines[0].trim().split(" ")).contains("null", "zero", "full", "random", "urandom", "tty", "ptmx",
                "pts", "shm", "mqueue", "fd", "stdin", "stdout", "stderr");
        assertThat(lines[1].trim()).isEqualTo("4");
        assertThat(lines[2]).isEqualTo("null-ok");
        ExecResult sys = Fixtures.container().run("/bin/sh", "-c", "touch /sys/x 2>&1; echo $?");
        assertThat(sys.stdout()).contains("Read-only file system");
    }

    static byte[] readAll(RunningContainer c) {
        try {
            return c.stdout().readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String readLine(RunningContainer c) {
        try {
            StringBuilder sb = new StringBuilder();
            int ch;
            while ((ch = c.stdout().read()) >= 0 && ch != '\n') {
                sb.append((char) ch);
            }
            return sb.toString();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Map<String, Long> snapshot(Path root) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                long v = Files.isSymbolicLink(p) ? Files.readSymbolicLink(p).toString().hashCode()
                        : Files.isRegularFile(p) ? Files.size(p) * 31 + Files.getLastModifiedTime(p).toMillis() : -1;
                m.put(root.relativize(p).toString(), v);
            }
        }
        return m;
    }
}
