package io.mdocker.cli;

import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.RunningContainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code mdocker exec} against containers found in the run root by id or prefix: the exit
 * status is the command's, 125/126/127 as for run, one line on stderr. The containers are
 * started by this JVM, but the CLI knows only what their records say.
 */
class ExecCommandTest {
    private static final ContainerRuntime RUNTIME =
            ContainerRuntime.at(MainTest.STATE.resolve("lib"), MainTest.STATE.resolve("run"));

    @BeforeAll
    static void prerequisites() {
        MainTest.prerequisites();
    }

    /** A container whose command has written /tmp/made and sleeps. */
    private static RunningContainer start() throws IOException {
        RunningContainer c = Container.builder().rootfs(MainTest.ROOTFS).runtime(RUNTIME).hostname("cli-exec")
                .env("FROM", "container").start("/bin/sh", "-c", "echo made > /tmp/made; echo ready; exec sleep 600");
        assertThat(new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8)).readLine()).isEqualTo("ready");
        return c;
    }

    /** {@code mdocker exec --state-root <the tests'> args...} */
    private static String[] execArgs(String... args) {
        List<String> all = new ArrayList<>(List.of("exec", "--state-root", MainTest.STATE.toString()));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    private static int exec(String... args) {
        return Main.execute(execArgs(args));
    }

    private static String stderrOf(int expectedStatus, String... args) {
        return MainTest.stderrOf(expectedStatus, execArgs(args));
    }

    @Test
    void exitStatusIsTheCommandsInsideTheContainer() throws Exception {
        try (RunningContainer c = start()) {
            String id = c.id();
            assertThat(exec(id, "sh", "-c", "test \"$(hostname) $FROM $(cat /tmp/made) $(cat /proc/1/comm)\" = "
                    + "\"cli-exec container made mdocker-init\"")).isZero();
            assertThat(exec(c.shortId().substring(0, 5), "sh", "-c", "exit 7")).isEqualTo(7);
            assertThat(exec(c.shortId(), "sh", "-c", "kill -9 $$")).isEqualTo(137);
            assertThat(exec("-e", "A=1", "-w", "/tmp", "-u", "1000:1001", c.shortId(), "sh", "-c",
                    "test \"$A $FROM $(pwd) $(id -u):$(id -g)\" = \"1 container /tmp 1000:1001\"")).isZero();
            // options after the command are the command's
            assertThat(exec(c.shortId(), "sh", "-c", "test \"$0\" = -w", "-w")).isZero();
            assertThat(c.isRunning()).isTrue();
        }
    }

    @Test
    void failuresAreOneLineWith125126Or127() throws Exception {
        String id;
        try (RunningContainer c = start()) {
            id = c.shortId();
            assertThat(stderrOf(127, id, "/bin/bash")).isEqualTo("mdocker: executable file not found in rootfs: /bin/bash\n");
            assertThat(stderrOf(126, id, "/etc/passwd")).isEqualTo("mdocker: permission denied executing /etc/passwd\n");
            assertThat(stderrOf(125, "-w", "/no/dir", id, "pwd"))
                    .isEqualTo("mdocker: exec into container " + id + ": chdir(/no/dir): ENOENT (No such file or directory)\n");
            assertThat(stderrOf(125, "-e", "=BAD", id, "true"))
                    .isEqualTo("mdocker: invalid environment variable '=BAD': expected KEY=VALUE\n");
            assertThat(stderrOf(125, "-u", "root", id, "true"))
                    .isEqualTo("mdocker: invalid user 'root': expected UID[:GID] with numeric ids\n");
            assertThat(stderrOf(125, id)).startsWith("mdocker: Missing required parameter: 'CMD'").hasLineCount(1);
            c.stop(java.time.Duration.ofSeconds(5));
            // exited, record still there until close: its pid 1 is gone
            assertThat(stderrOf(125, id, "true")).isEqualTo("mdocker: container " + id + " is not running: cannot exec into it\n");
        }
        assertThat(stderrOf(125, id, "true")).isEqualTo("mdocker: no such container: " + id + "\n");
        assertThat(stderrOf(125, "not-an-id", "true")).isEqualTo("mdocker: no such container: not-an-id\n"); // could be a name
        assertThat(stderrOf(125, "not/an/id", "true"))
                .isEqualTo("mdocker: container 'not/an/id': expected an id, a unique prefix of one (lowercase hex digits), or a container name\n");
        io.mdocker.ContainerRuntime.awaitCleanup(); // a run() returns before its teardown is over
        try (var s = Files.list(MainTest.STATE.resolve("run/containers"))) {
            assertThat(s.toList()).isEmpty();
        }
    }
}
