package io.mdocker;

import io.mdocker.testing.Fixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Copying into containers before they start (their writable layer) and while they run, and out
 * of them: contents, mode bits, missing parents, and links in the container that try to lead the
 * copy out to the host.
 */
class CopyTest {
    @TempDir
    Path tmp;

    private Path tree() throws Exception {
        Path site = Files.createDirectories(tmp.resolve("site/sub"));
        Files.writeString(tmp.resolve("site/index.html"), "<h1>hi</h1>\n");
        Files.writeString(site.resolve("run.sh"), "#!/bin/sh\necho ran\n");
        Files.setAttribute(site.resolve("run.sh"), "unix:mode", 04750);
        Files.setAttribute(tmp.resolve("site/sub"), "unix:mode", 0710);
        Files.createSymbolicLink(tmp.resolve("site/link"), Path.of("index.html"));
        return tmp.resolve("site");
    }

    private static String mode(Path p) throws Exception {
        return Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
    }

    @Test
    void copiesBeforeStartLandInTheWritableLayerWithTheirModesAndTheImagesParentModes() throws Exception {
        Path site = tree();
        Container spec = Fixtures.container().copyIn(site, "/tmp/www/site").copyIn(site.resolve("index.html"), "/etc/motd")
                .build();
        ExecResult r = spec.run("/bin/sh", "-c", "stat -c '%a %n' /tmp /tmp/www /tmp/www/site/sub /tmp/www/site/sub/run.sh; "
                + "readlink /tmp/www/site/link; cat /etc/motd; /tmp/www/site/sub/run.sh; ls /etc/passwd");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        // /tmp is 0777 in the test image: the layer's copy of it keeps that (a new directory would be 0755)
        assertThat(r.stdout()).isEqualTo("777 /tmp\n755 /tmp/www\n710 /tmp/www/site/sub\n4750 /tmp/www/site/sub/run.sh\n"
                + "index.html\n<h1>hi</h1>\nran\n/etc/passwd\n");
        assertThat(Fixtures.ROOTFS.resolve("tmp/www")).as("the image is never written").doesNotExist();
        assertThat(Fixtures.ROOTFS.resolve("etc/motd")).doesNotExist();
    }

    @Test
    void aCopyBelowALinkInTheImageIsRefusedBeforeTheContainerStarts() throws Exception {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        assertThatThrownBy(() -> Fixtures.container().copyIn(file, "/bin/sh/f").run("/bin/true"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot copy below /bin/sh: it is a symbolic link in the image; copy to the path it points to");
        assertThat(Fixtures.list(Fixtures.STATE.resolve("run").resolve("containers"))).as("nothing left").isEmpty();
    }

    @Test
    void copiesIntoAndOutOfARunningContainerKeepContentsAndModes() throws Exception {
        Path site = tree();
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "read go; stat -c '%a %n' /srv/new/site/sub/run.sh /srv/new; cat /srv/new/site/index.html; "
                        + "mkdir -p /out/d; echo made > /out/d/f; chmod 640 /out/d/f; chmod 2751 /out/d; "
                        + "ln -s f /out/d/l; mkfifo /out/d/fifo; echo ok; exec sleep 60")) {
            c.copyIn(site, "/srv/new/site");
            c.stdin().write("go\n".getBytes());
            c.stdin().flush();
            c.await(Wait.forLogLine("^ok$").withTimeout(Duration.ofSeconds(10)));
            assertThat(c.logs()).startsWith("4750 /srv/new/site/sub/run.sh\n755 /srv/new\n<h1>hi</h1>\n");

            Path out = tmp.resolve("out");
            c.copyOut("/out/d", out);
            assertThat(Files.readString(out.resolve("f"))).isEqualTo("made\n");
            assertThat(mode(out.resolve("f"))).isEqualTo("640");
            assertThat(mode(out)).isEqualTo("2751");
            assertThat(Files.readSymbolicLink(out.resolve("l"))).isEqualTo(Path.of("f"));
            assertThat(out.resolve("fifo")).as("special files are not copied").doesNotExist();
            c.copyOut("/srv/new/site/sub/run.sh", tmp.resolve("run.sh"));
            assertThat(mode(tmp.resolve("run.sh"))).isEqualTo("4750");
        }
    }

    @Test
    void linksInTheContainerNeverLeadACopyOutToTheHost() throws Exception {
        String marker = "mdocker-copytest-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        Path file = Files.writeString(tmp.resolve("payload"), "payload\n");
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "ln -s / /evil; ln -s ../../../../../../etc /tmp/up; ln -s /etc/passwd /victim; "
                        + "echo ready; exec sleep 60")) {
            c.await(Wait.forLogLine("ready"));
            // in: an absolute link to / and a relative climb both stay in the container's root
            c.copyIn(file, "/evil/tmp/" + marker);
            c.copyIn(file, "/tmp/up/" + marker);
            assertThat(Path.of("/tmp", marker)).as("host /tmp untouched").doesNotExist();
            assertThat(Path.of("/etc", marker)).as("host /etc untouched").doesNotExist();
            // out: the container's files, not the host's
            c.copyOut("/evil/etc/group", tmp.resolve("group"));
            assertThat(Files.readString(tmp.resolve("group"))).isEqualTo(Files.readString(Fixtures.ROOTFS.resolve("etc/group")))
                    .isNotEqualTo(Files.readString(Path.of("/etc/group")));
            c.copyOut("/tmp/up/passwd", tmp.resolve("passwd"));
            assertThat(Files.readString(tmp.resolve("passwd"))).isEqualTo(Files.readString(Fixtures.ROOTFS.resolve("etc/passwd")));
            // a link as the last component is not followed when writing
            assertThatThrownBy(() -> c.copyIn(file, "/victim"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("/victim in container " + c.shortId() + " is a symbolic link (not followed)");
            c.copyOut("/etc/passwd", tmp.resolve("passwd2"));
            assertThat(Files.readString(tmp.resolve("passwd2"))).isEqualTo(Files.readString(Fixtures.ROOTFS.resolve("etc/passwd")));
            c.copyOut("/tmp/" + marker, tmp.resolve("back"));
            assertThat(Files.readString(tmp.resolve("back"))).isEqualTo("payload\n");
        }
    }

    @Test
    void badPathsAreOneLineErrors() throws Exception {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        assertThatThrownBy(() -> Fixtures.container().copyIn(tmp.resolve("missing"), "/x"))
                .hasMessage("copy source " + tmp.resolve("missing") + " does not exist");
        assertThatThrownBy(() -> Fixtures.container().copyIn(file, "relative"))
                .hasMessage("invalid copy target 'relative': expected an absolute path in the container");
        assertThatThrownBy(() -> Fixtures.container().copyIn(file, "/a/../b"))
                .hasMessage("invalid copy target '/a/../b': '..' is not allowed");
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
            assertThatThrownBy(() -> c.copyOut("/missing/file", tmp.resolve("o")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("/missing/file in container " + c.shortId() + " does not exist");
            assertThatThrownBy(() -> c.copyIn(tmp.resolve("nope"), "/x"))
                    .hasMessage("cannot copy " + tmp.resolve("nope") + ": it does not exist on the host");
            assertThatThrownBy(() -> c.copyIn(file, "/etc/passwd/x"))
                    .hasMessage("/etc/passwd in container " + c.shortId() + ": not a directory");
            c.kill(Signal.KILL);
            c.waitFor();
            assertThatThrownBy(() -> c.copyIn(file, "/x")).isInstanceOf(ContainerException.class)
                    .hasMessageStartingWith("container " + c.shortId() + " is not running");
        }
    }
}
