package io.mdocker.cli;

import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code mdocker run -it} and {@code exec -it} in a JVM of their own on a pseudo-terminal (util-linux
 * {@code script}, which gives its command one and copies between it and its own stdio): the
 * container's terminal, its size from the CLI's, ^C typed on the CLI's terminal, the terminal's
 * modes restored afterwards, the command's exit status; and Docker's one line for {@code -it}
 * without a terminal.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TtyCliTest {
    private static final Path SCRIPT = Path.of("/usr/bin/script");

    @BeforeAll
    static void prerequisites() {
        MainTest.prerequisites();
        Fixtures.prerequisite(Files.isExecutable(SCRIPT), "the -t tests need util-linux's script (apt-get install bsdutils)");
    }

    /** The CLI as a shell command line: this test's JVM and class path, then the arguments (quoted). */
    private static String cli(String... args) {
        List<String> words = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        words.addAll(List.of(args));
        return String.join(" ", words.stream().map(w -> "'" + w.replace("'", "'\\''") + "'").toList());
    }

    private static String[] run(String... command) {
        List<String> all = new ArrayList<>(List.of("run", "-it", "--rootfs", MainTest.ROOTFS.toString(), "--state-root",
                MainTest.STATE.toString(), "--network", "none"));
        all.addAll(List.of(command));
        return all.toArray(String[]::new);
    }

    /**
     * {@code script -qec LINE /dev/null}: LINE runs on a pseudo-terminal of 33x101, whose modes it
     * compares before and after the CLI ("restored"), and exits with the CLI's status.
     */
    private static Process onATerminal(String cliLine) throws IOException {
        String line = "stty rows 33 columns 101; before=$(stty -g); " + cliLine
                + "; s=$?; [ \"$(stty -g)\" = \"$before\" ] && echo restored; exit $s";
        return new ProcessBuilder(SCRIPT.toString(), "-qec", line, "/dev/null").redirectErrorStream(true).start();
    }

    @Test
    void runDashItGivesTheCommandTheContainersTerminalSizedAsTheCliTerminal() throws Exception {
        Process p = onATerminal(cli(run("/bin/sh", "-c", "tty; stty size; [ -t 0 ] && echo stdin-tty; exit 3")));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8); // its stdin stays open
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("/dev/pts/0\r\n33 101\r\nstdin-tty\r\nrestored\r\n");
        assertThat(p.exitValue()).as("the command's status").isEqualTo(3);
        p.getOutputStream().close();
    }

    @Test
    void controlCTypedOnTheCliTerminalInterruptsTheContainersForegroundCommand() throws Exception {
        Process p = onATerminal(cli(run("/bin/sh", "-c", "echo ready; sleep 60; echo after")));
        InputStream out = p.getInputStream();
        String before = readUntil(out, "ready\r\n");
        assertThat(before).isEqualTo("ready\r\n");
        OutputStream keys = p.getOutputStream();
        keys.write(0x03); // typed on script's terminal, which the CLI holds in raw mode: it reaches the container's
        keys.flush();
        String rest = new String(out.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("sh killed by SIGINT: " + rest).isEqualTo(130);
        assertThat(rest).doesNotContain("after").endsWith("restored\r\n");
        keys.close();
    }

    @Test
    void execDashItIntoARunningContainer() throws Exception {
        Path state = MainTest.STATE;
        ByteArrayOutputStream idOut = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(idOut, true, StandardCharsets.UTF_8));
        int started;
        try {
            started = Main.execute("run", "-d", "--rootfs", MainTest.ROOTFS.toString(), "--state-root", state.toString(),
                    "--network", "none", "/bin/sleep", "600");
        } finally {
            System.setOut(old);
        }
        assertThat(started).isZero();
        String id = idOut.toString(StandardCharsets.UTF_8).trim();
        try {
            Process p = onATerminal(cli("exec", "-it", "--state-root", state.toString(), id, "/bin/sh", "-c", "tty; stty size; exit 5"));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(out).isEqualTo("/dev/pts/0\r\n33 101\r\nrestored\r\n");
            assertThat(p.exitValue()).isEqualTo(5);
            p.getOutputStream().close();
        } finally {
            assertThat(Main.execute("rm", "-f", "--state-root", state.toString(), id)).isZero();
        }
    }

    @Test
    void dashItWithoutATerminalOnStdinIsDockersOneLineAndStatus1BeforeAnythingExists() throws Exception {
        // In a JVM of its own, with stdin from a pipe: nothing is created, one line, status 1.
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", cli(run("/bin/true"))));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(1);
        assertThat(out).isEmpty();
        assertThat(err).isEqualTo("mdocker: the input device is not a TTY\n");
        // exec -it refuses the same way, before it looks for the container
        InputStream oldIn = System.in;
        System.setIn(new ByteArrayInputStream(new byte[0]));
        try {
            assertThat(MainTest.stderrOf(1, "exec", "-it", "--state-root", MainTest.STATE.toString(), "nosuchid", "true"))
                    .isEqualTo("mdocker: the input device is not a TTY\n");
        } finally {
            System.setIn(oldIn);
        }
    }

    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith(end)) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("end of output before '" + end + "': " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }
}
