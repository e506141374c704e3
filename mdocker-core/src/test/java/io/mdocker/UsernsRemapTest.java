package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestBridge;

import io.mdocker.internal.process.UserNamespace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.mdocker.testing.Fixtures.RUNTIME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A root JVM's container in a user namespace with a subordinate range ({@code userns(true)},
 * Docker's userns-remap), on the real kernel: root inside is the range's first id outside. The
 * class adds a range for a user name of its own to /etc/subuid and /etc/subgid (no account is
 * needed: the name only selects the line) and removes exactly those lines afterwards.
 */
@TestBridge(name = "mdt82", address = "10.201.82.1/24")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class UsernsRemapTest {
    private static final String USER = "mdockerremaptest";
    private static final long START = 1_820_000_000L;
    private static final long COUNT = 65536;
    private static final String LINE = USER + ":" + START + ":" + COUNT;
    private static final Path SUBUID = Path.of("/etc/subuid");
    private static final Path SUBGID = Path.of("/etc/subgid");
    private static Path dir;

    @BeforeAll
    static void addRange() throws IOException {
        Fixtures.rootfs();
        for (Path f : List.of(SUBUID, SUBGID)) {
            Files.writeString(f, LINE + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        System.setProperty(UserNamespace.REMAP_USER_PROPERTY, USER);
        dir = Files.createTempDirectory(Fixtures.TARGET, "userns-");
        // bind sources must be reachable by the range's root, as by any other user
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterAll
    static void removeRange() throws IOException {
        System.clearProperty(UserNamespace.REMAP_USER_PROPERTY);
        for (Path f : List.of(SUBUID, SUBGID)) {
            List<String> kept = Files.readAllLines(f).stream().filter(l -> !l.equals(LINE)).toList();
            Files.write(f, kept);
            assertThat(Files.readAllLines(f)).doesNotContain(LINE);
        }
        if (dir != null) {
            try (var s = Files.walk(dir)) {
                for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static String out(ExecResult r) {
        assertThat(r.exitCode()).as("exit code; stderr: " + r.stderr()).isZero();
        return r.stdout();
    }

    @Test
    void rootInsideIsTheRangesFirstIdAndExecJoinsTheSameNamespace() {
        Leftovers made;
        try (RunningContainer c = Fixtures.container().userns(true).start("sleep", "30")) {
            made = Leftovers.of(RUNTIME, c.id());
            String inside = out(c.exec("sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"));
            List<String> lines = inside.lines().map(String::strip).toList();
            assertThat(lines.get(0)).isEqualTo("0");
            assertThat(lines.get(1)).isEqualTo("0");
            assertThat(lines.get(2).split("\\s+")).containsExactly("0", Long.toString(START), Long.toString(COUNT));
            assertThat(lines.get(3).split("\\s+")).containsExactly("0", Long.toString(START), Long.toString(COUNT));
            // seen from the host, pid 1 runs as the range's first uid, not as root
            assertThat(hostUid(c.pid())).isEqualTo(START);
        }
        made.assertGone();
    }

    /**
     * The lower layers are idmapped to the range in pid 1's mount namespace: the image's
     * root-owned files are root's inside, /tmp and a file of the image are writable (copied up
     * as files of the range), the image on disk is unchanged, and no idmapped mount is left in
     * the host's mount table.
     */
    @Test
    void theImageIsRootsInsideAndWritableThroughIdmappedLayers() throws IOException {
        Path rootfs = Fixtures.rootfs();
        String passwd = Files.readString(rootfs.resolve("etc/passwd"));
        try (RunningContainer c = Fixtures.container().userns(true).start("sleep", "30")) {
            String inside = out(c.exec("sh", "-c", "stat -c '%u %g' /etc /bin/busybox; echo x > /tmp/x && "
                    + "echo extra >> /etc/passwd && tail -n 1 /etc/passwd && chown 1000:1000 /tmp/x && stat -c '%u' /tmp/x"));
            assertThat(inside).isEqualTo("0 0\n0 0\nextra\n1000\n");
            Path upper = RUNTIME.libRoot().resolve("containers").resolve(c.id()).resolve("upper");
            assertThat(Files.getAttribute(upper.resolve("etc/passwd"), "unix:uid")).as("copied up").isEqualTo((int) START);
            assertThat(Files.getAttribute(upper.resolve("tmp"), "unix:uid")).isEqualTo((int) START);
            assertThat(Files.getAttribute(upper.resolve("tmp/x"), "unix:uid")).isEqualTo((int) (START + 1000));
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).as("the host's mounts")
                    .doesNotContain(" " + rootfs + " ");
        }
        assertThat(Files.readString(rootfs.resolve("etc/passwd"))).isEqualTo(passwd);
        assertThat(Files.getAttribute(rootfs.resolve("etc/passwd"), "unix:uid")).isEqualTo(0);
        assertThat(Files.exists(rootfs.resolve("tmp/x"))).isFalse();
    }

    /**
     * A stored image of several owners (root's store) in a remapped container: through the
     * idmapped layers uid 70's files are 70's inside, the setuid bit stays, the whiteout and the
     * opaque directory (marked for a user namespace's overlay too) hide the lower layer's files,
     * and uid 70 writes in its own directory.
     */
    @Test
    void aStoredImageKeepsItsOwnersAndWhiteoutsRemapped() throws Exception {
        Path layout = io.mdocker.testing.TestImages.ownersLayout(dir.resolve("img"));
        ImageStore store = ImageStore.of(RUNTIME);
        store.loadOciLayout(layout, java.util.Optional.of("owners"), java.util.Optional.of("remap/owners:1"));
        try {
            Container.Builder img = Container.builder().runtime(RUNTIME).image("remap/owners:1").userns(true);
            assertThat(out(img.run("sh", "-c", "stat -c '%u:%g %a' /home/pg /home/pg/data /bin/suid; cat /home/pg/data;"
                    + " ls /srv; echo -; ls -A /srv/opq")))
                    .isEqualTo("70:70 700\n70:71 640\n0:0 4755\npgdata\nkept\nopq\n-\nnew\n");
            assertThat(out(img.user(70, 70).run("sh", "-c", "echo mine > /home/pg/f && cat /home/pg/f"))).isEqualTo("mine\n");
        } finally {
            store.remove("remap/owners:1", true);
        }
    }

    @Test
    void withoutUsernsRootInsideIsHostRoot() {
        ExecResult r = Fixtures.container().run("cat", "/proc/self/uid_map");
        assertThat(out(r).strip().split("\\s+")).containsExactly("0", "0", "4294967295");
    }

    @Test
    void aFileCreatedThroughABindIsOwnedByTheRangeOnTheHost() throws IOException {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        ExecResult r = Fixtures.container().userns(true).bind(shared, "/shared")
                .run("sh", "-c", "echo made > /shared/f; mkdir /shared/d; ls -ln /shared/f");
        out(r);
        assertThat(Files.getAttribute(shared.resolve("f"), "unix:uid")).isEqualTo((int) START);
        assertThat(Files.getAttribute(shared.resolve("f"), "unix:gid")).isEqualTo((int) START);
        assertThat(Files.getAttribute(shared.resolve("d"), "unix:uid")).isEqualTo((int) START);
        assertThat(r.stdout()).contains(" 0 ").contains(" 0 "); // owner and group 0 inside
    }

    @Test
    void rootInsideCannotWriteAHostRootFileThroughABindWhileHostRootCan() throws IOException {
        Path file = dir.resolve("root-owned");
        Files.writeString(file, "original\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(Files.getAttribute(file, "unix:uid")).isEqualTo(0);

        ExecResult remapped = Fixtures.container().userns(true).bind(file, "/f")
                .run("sh", "-c", "ls -ln /f; echo changed >> /f");
        assertThat(remapped.exitCode()).isNotZero();
        assertThat(remapped.stderr()).containsIgnoringCase("permission denied");
        assertThat(remapped.stdout()).contains(" 65534 "); // host root shows as nobody (binds are not idmapped)
        assertThat(Files.readString(file)).isEqualTo("original\n");

        ExecResult host = Fixtures.container().bind(file, "/f").run("sh", "-c", "echo changed >> /f");
        assertThat(host.exitCode()).as(host.stderr()).isZero();
        assertThat(Files.readString(file)).isEqualTo("original\nchanged\n");
    }

    @Test
    void thePidsLimitIsEnforcedInTheUserNamespace() {
        // 20 background sleeps under a limit of 8 pids: forks fail; without the limit all start
        String script = "for i in $(seq 1 20); do sleep 2 & done; wait; echo done";
        ExecResult limited = Fixtures.container().userns(true).pidsLimit(8).run("sh", "-c", script);
        assertThat(limited.stderr()).contains("can't fork");
        ExecResult unlimited = Fixtures.container().userns(true).run("sh", "-c", script);
        assertThat(out(unlimited)).contains("done");
        assertThat(unlimited.stderr()).doesNotContain("fork");
    }

    @Test
    void theBridgeNetworkIsConfiguredFromOutside() {
        ExecResult r = Fixtures.container().userns(true).network(Network.bridge("mdt82", "10.201.82.1/24"))
                .run("sh", "-c", "ip -4 addr show eth0; ip route; ping -c 1 -W 2 10.201.82.1");
        assertThat(out(r)).contains("10.201.82.").contains("default via 10.201.82.1").contains("1 packets received");
    }

    @Test
    void refusedInOneLineWithoutARange() {
        List<Path> before = Fixtures.recordedContainers(RUNTIME);
        System.setProperty(UserNamespace.REMAP_USER_PROPERTY, "mdockernorange");
        try {
            assertThatThrownBy(() -> Fixtures.container().userns(true).run("true"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("userns needs a subordinate range for user mdockernorange in /etc/subuid: add a line "
                            + "such as mdockernorange:165536:65536 to /etc/subuid and /etc/subgid (or name another user "
                            + "with -Dmdocker.userns.user=NAME)");
        } finally {
            System.setProperty(UserNamespace.REMAP_USER_PROPERTY, USER);
        }
        assertThat(Fixtures.recordedContainers(RUNTIME)).isEqualTo(before);
    }

    @Test
    void aUserBeyondTheRangeIsRefused() {
        assertThatThrownBy(() -> Fixtures.container().userns(true).user((int) COUNT, 0).run("true"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("user 65536:0 does not exist in the container's user namespace");
    }

    private static long hostUid(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).strip().split("\\s+")[1]);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("no Uid line for pid " + pid);
    }
}
