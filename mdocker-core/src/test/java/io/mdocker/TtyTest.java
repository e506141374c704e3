package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pseudo-terminals for containers and execs (Docker's {@code -t}), against the kernel: the
 * terminal is the container's own devpts' first, it is the command's stdin, stdout and
 * controlling terminal, its size is the one given and follows resizes, ^C written to it
 * interrupts the foreground process group, and bad sizes are refused before anything exists.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TtyTest {

    @Test
    @Tag("cgroup") // the device rules (v1 devices cgroup, or v2 BPF program) allow /dev/pts/ptmx and the ptys
    void theCommandsStdioIsTheContainersFirstPseudoTerminalOfTheSizeGiven() {
        ExecResult r = Fixtures.container().ttySize(33, 101)
                .run("/bin/sh", "-c", "tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-three; echo to-stderr >&2; exit 7");
        assertThat(r.exitCode()).isEqualTo(7);
        assertThat(r.stdout()).as("the terminal's output, with its \\r\\n, stderr included")
                .isEqualTo("/dev/pts/0\r\n33 101\r\nall-three\r\nto-stderr\r\n");
        assertThat(r.stderr()).isEmpty();
    }

    @Test
    void withoutInitThePid1CommandHasTheTerminalToo() {
        ExecResult r = Fixtures.container().init(false).tty(true).run("/bin/sh", "-c", "tty; stty size; [ -t 0 ] && echo tty-in");
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("/dev/pts/0\r\n24 80\r\ntty-in\r\n");
    }

    @Test
    void aResizeReachesTheCommand() throws Exception {
        try (RunningContainer c = Fixtures.container().tty(true)
                .start("/bin/sh", "-c", "stty size; read line; stty size; read line; exit 4")) {
            InputStream out = c.stdout();
            assertThat(readUntil(out, "24 80\r\n")).endsWith("24 80\r\n");
            c.resizeTty(40, 132);
            OutputStream in = c.stdin();
            in.write("go\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            assertThat(readUntil(out, "40 132\r\n")).as("the echo of the input, then the new size").isEqualTo("go\r\n40 132\r\n");
            in.write("end\n".getBytes(StandardCharsets.US_ASCII));
            in.flush();
            assertThat(c.waitFor()).isEqualTo(4);
            assertThatThrownBy(() -> c.resizeTty(0, 80)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid tty size: rows 0, expected 1 to 65535");
            assertThatThrownBy(c::stderr).isInstanceOf(IllegalStateException.class).hasMessageContaining("part of stdout()");
        }
    }

    @Test
    void controlCOnTheTerminalInterruptsTheForegroundProcessGroup() throws Exception {
        try (RunningContainer c = Fixtures.container().tty(true).start("/bin/sh", "-c", "echo ready; sleep 60; echo after")) {
            InputStream out = c.stdout();
            readUntil(out, "ready\r\n");
            long t0 = System.nanoTime();
            c.stdin().write(0x03); // ^C: the line discipline sends SIGINT to the terminal's foreground group
            c.stdin().flush();
            assertThat(c.waitFor(Duration.ofSeconds(20))).as("sleep 60 interrupted").isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
            assertThat(c.exitCode()).as("the shell killed by SIGINT").isEqualTo(130);
            assertThat(c.logs()).doesNotContain("after");
        }
    }

    @Test
    @Tag("cgroup") // the device rules (v1 devices cgroup, or v2 BPF program) allow /dev/pts/ptmx and the ptys
    void anExecGetsATerminalOfItsOwnInARunningContainer() throws Exception {
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "600")) {
            ExecResult r = c.exec(Exec.builder("/bin/sh", "-c", "tty; stty size; [ -t 0 ] && [ -t 1 ] && echo both; exit 3")
                    .ttySize(20, 70).build());
            assertThat(r.exitCode()).isEqualTo(3);
            assertThat(r.stdout()).isEqualTo("/dev/pts/0\r\n20 70\r\nboth\r\n");

            try (ExecProcess p = c.execStart(Exec.builder("/bin/sh", "-c", "echo ready; stty size; read x; stty size; sleep 60")
                    .tty(true).build())) {
                InputStream out = p.stdout();
                assertThat(readUntil(out, "24 80\r\n")).isEqualTo("ready\r\n24 80\r\n");
                p.resizeTty(50, 160);
                p.stdin().write("\n".getBytes(StandardCharsets.US_ASCII));
                p.stdin().flush();
                assertThat(readUntil(out, "50 160\r\n")).isEqualTo("\r\n50 160\r\n");
                p.stdin().write(0x03);
                p.stdin().flush();
                assertThat(p.waitFor(Duration.ofSeconds(20))).as("^C ends the exec's sleep").isTrue();
                assertThat(p.exitCode()).isEqualTo(130);
            }
            assertThat(c.isRunning()).isTrue();
        }
    }

    @Test
    void badSizesAndCombinationsAreRefusedBeforeAnythingExists() {
        var lib = Fixtures.list(Fixtures.RUNTIME.libRoot().resolve("containers"));
        assertThatThrownBy(() -> Fixtures.container().ttySize(0, 80)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid tty size: rows 0, expected 1 to 65535");
        assertThatThrownBy(() -> Fixtures.container().ttySize(24, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid tty size: columns -1, expected 1 to 65535");
        assertThatThrownBy(() -> Exec.builder("sh").ttySize(65536, 80)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid tty size: rows 65536, expected 1 to 65535");
        assertThatThrownBy(() -> Fixtures.container().tty(true).inheritIO()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stdin is inherit");
        assertThatThrownBy(() -> Exec.builder("sh").tty(true).input("x").build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stdin is a tty of 24x80");
        assertThatThrownBy(() -> Fixtures.container().tty(true).build().startDetached("sleep", "1"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a detached container cannot have a tty");
        assertThatThrownBy(() -> {
            try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
                c.resizeTty(24, 80);
            }
        }).isInstanceOf(IllegalStateException.class).hasMessageContaining("has no tty");
        ContainerRuntime.awaitCleanup();
        assertThat(Fixtures.list(Fixtures.RUNTIME.libRoot().resolve("containers"))).containsExactlyInAnyOrderElementsOf(lib);
    }

    /** Reads until what was read ends with {@code end}; returns it. */
    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("end of the terminal's output before '" + end + "': " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }
}
