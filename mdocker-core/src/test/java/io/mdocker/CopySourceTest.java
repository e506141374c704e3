package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Copies into containers from bytes, strings and classpath resources with a mode
 * ({@link CopySource}): before the start (the writable layer) and into running containers,
 * attached and detached; content and mode checked from inside the container; missing parents
 * made; bad sources one-line errors before anything exists; links in the container never lead
 * the copy out.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CopySourceTest {
    private static final String RESOURCE = "io/mdocker/copy-source.txt";
    private static final String RESOURCE_TEXT = "from the classpath\nline 2\n";
    private static final DetachedRoots ROOTS = new DetachedRoots();

    @TempDir
    Path tmp;

    @AfterAll
    static void sweep() {
        ROOTS.sweep();
    }

    @Test
    void contentCopiedBeforeTheStartArrivesWithItsModeAndMadeParents() {
        byte[] script = "#!/bin/sh\necho script ran\n".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = script.clone();
        Container def = Fixtures.container()
                .copyIn(CopySource.ofString("héllo\nworld\n"), "/etc/app/conf.d/app.conf")
                .copyIn(CopySource.of(bytes).mode(04750), "/usr/local/bin/run-me")
                .copyIn(CopySource.ofClasspathResource(RESOURCE), "/srv/res.txt")
                .copyIn(CopySource.ofClasspathResource("/" + RESOURCE).mode(0600), "/srv/private.txt")
                .copyIn(CopySource.ofString("replaced\n").mode(0444), "/etc/hostname.orig")
                .copyIn(CopySource.ofString("second\n"), "/etc/hostname.orig") // a later copy replaces the earlier
                .build();
        bytes[0] = 'X'; // copied when the source was made
        ExecResult r = def.run("/bin/sh", "-c", "stat -c '%a %u:%g %n' /etc/app /etc/app/conf.d /etc/app/conf.d/app.conf "
                + "/usr/local/bin/run-me /srv/res.txt /srv/private.txt /etc/hostname.orig; cat /etc/app/conf.d/app.conf "
                + "/srv/res.txt /etc/hostname.orig; /usr/local/bin/run-me");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("""
                755 0:0 /etc/app
                755 0:0 /etc/app/conf.d
                644 0:0 /etc/app/conf.d/app.conf
                4750 0:0 /usr/local/bin/run-me
                644 0:0 /srv/res.txt
                600 0:0 /srv/private.txt
                644 0:0 /etc/hostname.orig
                héllo
                world
                """ + RESOURCE_TEXT + "second\nscript ran\n");
        // the same definition again: each start reads its sources again
        assertThat(def.run("/bin/cat", "/srv/private.txt").stdout()).isEqualTo(RESOURCE_TEXT);
        assertThat(Fixtures.ROOTFS.resolve("etc/app")).as("the image is never written").doesNotExist();
    }

    @Test
    void contentCopiedIntoARunningContainerArrivesWithItsMode() throws Exception {
        Path host = Files.writeString(tmp.resolve("host.sh"), "#!/bin/sh\necho host\n");
        Files.setAttribute(host, "unix:mode", 0644);
        Path dir = Files.createDirectories(tmp.resolve("tree"));
        Files.setAttribute(Files.writeString(dir.resolve("f"), "f\n"), "unix:mode", 0640);
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
            c.copyIn(CopySource.ofString("one\n").mode(0640), "/new/dir/one.txt");
            c.copyIn(CopySource.ofClasspathResource(RESOURCE), "/etc/passwd.bak");
            c.copyIn(CopySource.of(new byte[] {0, 1, 2, (byte) 255}), "/bin.dat");
            c.copyIn(CopySource.of(host).mode(0700), "/usr/local/bin/host.sh");
            c.copyIn(CopySource.of(dir).mode(0711), "/tree"); // the top directory's mode; its files keep theirs
            c.copyIn(CopySource.ofString("root:x:0:0:root:/root:/bin/sh\n").mode(0600), "/etc/passwd"); // replaced
            ExecResult r = c.exec("/bin/sh", "-c", "stat -c '%a %n' /new /new/dir /new/dir/one.txt /etc/passwd.bak "
                    + "/usr/local/bin/host.sh /etc/passwd /tree /tree/f; cat /new/dir/one.txt /etc/passwd.bak /etc/passwd; "
                    + "od -An -tx1 /bin.dat; /usr/local/bin/host.sh");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo("755 /new\n755 /new/dir\n640 /new/dir/one.txt\n644 /etc/passwd.bak\n"
                    + "700 /usr/local/bin/host.sh\n600 /etc/passwd\n711 /tree\n640 /tree/f\none\n" + RESOURCE_TEXT
                    + "root:x:0:0:root:/root:/bin/sh\n 00 01 02 ff\nhost\n");
            assertThat(mode(host)).as("the host file keeps its mode").isEqualTo(0644);
            assertThatThrownBy(() -> c.copyIn(CopySource.ofString("x"), "/etc"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("/etc in container " + c.shortId() + " is a directory");
            assertThatThrownBy(() -> c.copyIn(CopySource.ofString("x"), "/etc/passwd/x"))
                    .hasMessage("/etc/passwd in container " + c.shortId() + ": not a directory");
            c.kill(Signal.KILL);
            c.waitFor();
            assertThatThrownBy(() -> c.copyIn(CopySource.ofString("x"), "/x")).isInstanceOf(ContainerException.class)
                    .hasMessageStartingWith("container " + c.shortId() + " is not running");
        }
    }

    @Test
    void contentCopiedIntoADetachedContainerThroughItsHandleAndTheRuntime() throws Exception {
        ContainerRuntime rt = ROOTS.runtime("copy-source-detached");
        DetachedContainer d = Container.builder().rootfs(Fixtures.rootfs()).runtime(rt).name("copy-target")
                .startDetached("/bin/sleep", "60");
        try {
            d.copyIn(CopySource.ofString("by handle\n").mode(0604), "/srv/a.txt");
            rt.copyIn("copy-target", CopySource.ofClasspathResource(RESOURCE).mode(0755), "/srv/sub/b.txt");
            ExecResult r = d.exec("/bin/sh", "-c", "stat -c '%a %n' /srv/a.txt /srv/sub /srv/sub/b.txt; cat /srv/a.txt /srv/sub/b.txt");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            assertThat(r.stdout()).isEqualTo("604 /srv/a.txt\n755 /srv/sub\n755 /srv/sub/b.txt\nby handle\n" + RESOURCE_TEXT);
        } finally {
            d.remove(true);
        }
        assertThatThrownBy(() -> rt.copyIn("copy-target", CopySource.ofString("x"), "/x"))
                .isInstanceOf(ContainerException.class).hasMessage("no such container: copy-target");
    }

    @Test
    void linksInTheContainerNeverLeadAContentCopyOut() throws Exception {
        String marker = "mdocker-copysourcetest-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "ln -s / /evil; ln -s ../../../../../../etc /tmp/up; ln -s /etc/passwd /victim; "
                        + "echo ready; exec sleep 60")) {
            c.await(Wait.forLogLine("ready").withTimeout(Duration.ofSeconds(10)));
            c.copyIn(CopySource.ofString("payload\n"), "/evil/tmp/" + marker);
            c.copyIn(CopySource.ofString("payload\n").mode(0600), "/tmp/up/" + marker);
            assertThat(Path.of("/tmp", marker)).as("host /tmp untouched").doesNotExist();
            assertThat(Path.of("/etc", marker)).as("host /etc untouched").doesNotExist();
            assertThatThrownBy(() -> c.copyIn(CopySource.ofString("x"), "/victim"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("/victim in container " + c.shortId() + " is a symbolic link (not followed)");
            ExecResult r = c.exec("/bin/sh", "-c", "cat /tmp/" + marker + " /etc/" + marker + "; readlink /victim; "
                    + "stat -c %a /etc/" + marker);
            assertThat(r.stdout()).isEqualTo("payload\npayload\n/etc/passwd\n600\n");
        }
        // before the start: a link in the image stops the copy before the container exists
        assertThatThrownBy(() -> Fixtures.container().copyIn(CopySource.ofString("x"), "/bin/sh/f").run("/bin/true"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot copy below /bin/sh: it is a symbolic link in the image; copy to the path it points to");
        assertThat(Fixtures.recordedContainers(Fixtures.RUNTIME)).as("nothing left").isEmpty();
    }

    @Test
    void badSourcesAreOneLineErrorsBeforeAnythingExists() throws Exception {
        assertThatThrownBy(() -> CopySource.ofClasspathResource("io/mdocker/no-such-resource.txt"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("classpath resource 'io/mdocker/no-such-resource.txt' not found (class loader ")
                .hasMessageEndingWith("): expected a file on the classpath, such as 'config/app.conf'")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThatThrownBy(() -> CopySource.ofClasspathResource("io/mdocker"))
                .hasMessageStartingWith("classpath resource 'io/mdocker' is a directory (");
        assertThatThrownBy(() -> CopySource.ofClasspathResource(""))
                .hasMessageStartingWith("classpath resource '' not found");
        assertThatThrownBy(() -> CopySource.ofString("x").mode(010000))
                .hasMessage("invalid file mode 010000: expected 0 to 07777 (octal, such as 0644)");
        assertThatThrownBy(() -> CopySource.ofString("x").mode(-1))
                .hasMessage("invalid file mode -1: expected 0 to 07777 (octal, such as 0644)");
        assertThatThrownBy(() -> Fixtures.container().copyIn(CopySource.ofString("x"), "relative"))
                .hasMessage("invalid copy target 'relative': expected an absolute path in the container");
        assertThatThrownBy(() -> Fixtures.container().copyIn(CopySource.ofString("x"), "/"))
                .hasMessage("invalid copy target '/': expected a path below /");
        // a host path is read when copied: missing then, the start fails and leaves nothing
        Container late = Fixtures.container().copyIn(CopySource.of(tmp.resolve("later")), "/x").build();
        assertThatThrownBy(() -> late.run("/bin/true")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot copy " + tmp.resolve("later") + ": it does not exist on the host");
        Path link = Files.createSymbolicLink(tmp.resolve("link"), Path.of("target"));
        Container linkWithMode = Fixtures.container().copyIn(CopySource.of(link).mode(0600), "/x").build();
        assertThatThrownBy(() -> linkWithMode.run("/bin/true"))
                .hasMessage("cannot copy " + link + " with mode 600: it is a symbolic link, which has no mode");
        assertThat(Fixtures.recordedContainers(Fixtures.RUNTIME)).as("nothing left").isEmpty();

        assertThat(CopySource.ofString("abc").mode()).hasValue(0644);
        assertThat(CopySource.of(tmp).mode()).isEmpty();
        assertThat(CopySource.of(tmp).hostPath()).hasValue(tmp);
        assertThat(CopySource.ofClasspathResource(RESOURCE).classpathResource()).hasValue(RESOURCE);
        assertThat(CopySource.ofString("abc").mode(0755)).hasToString("3 bytes (mode 0755)");
    }

    private static int mode(Path p) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:mode") & 07777;
    }
}
