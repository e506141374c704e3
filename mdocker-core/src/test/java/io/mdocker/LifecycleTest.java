package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Exit codes, signals, reaping, exec failures, stdio and concurrency. */
class LifecycleTest {

    @Test
    void exitCodesArePassedThrough() {
        assertThat(Fixtures.container().run("/bin/true").exitCode()).isZero();
        assertThat(Fixtures.container().run("/bin/sh", "-c", "exit 7").exitCode()).isEqualTo(7);
        assertThat(Fixtures.container().run("/bin/sh", "-c", "kill -9 $$").exitCode()).isEqualTo(128 + 9);
        assertThat(Fixtures.container().init(false).run("/bin/sh", "-c", "exit 7").exitCode()).isEqualTo(7);
    }

    @Test
    void stopLetsATrapRunBeforeKill() throws IOException {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "trap 'echo got-term; exit 3' TERM; echo ready; while true; do sleep 0.1; done")) {
            assertThat(IsolationTest.readLine(c)).isEqualTo("ready");
            assertThat(c.stop(Duration.ofSeconds(10))).isEqualTo(3);
            assertThat(new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("got-term\n");
        }
    }

    @Test
    void stopKillsWhatIgnoresTerm() {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "trap '' TERM; echo ready; sleep 60")) {
            assertThat(IsolationTest.readLine(c)).isEqualTo("ready");
            long t0 = System.nanoTime();
            assertThat(c.stop(Duration.ofMillis(300))).isEqualTo(137);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void signalsAreForwardedToTheCommand() {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "trap 'echo usr1; exit 0' USR1; echo ready; while true; do sleep 0.1; done")) {
            assertThat(IsolationTest.readLine(c)).isEqualTo("ready");
            c.kill(Signal.USR1);
            assertThat(IsolationTest.readLine(c)).isEqualTo("usr1");
            assertThat(c.waitFor()).isZero();
        }
    }

    @Test
    void orphansAreReaped() {
        // A double fork leaves orphans that are reparented to pid 1; none may stay a zombie.
        ExecResult r = Fixtures.container().run("/bin/sh", "-c",
                "for i in 1 2 3 4 5; do (sleep 0.1 &) ; done; sleep 1;"
                        + " cat /proc/[0-9]*/stat 2>/dev/null | awk '{print $3}' | sort | uniq -c");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).doesNotContain(" Z");
        assertThat(r.stdout()).contains(" R").contains(" S");
    }

    @Test
    void execFailuresAreClear() {
        assertThatThrownBy(() -> Fixtures.container().run("/bin/bash"))
                .isInstanceOf(ExecFailedException.class)
                .hasMessage("executable file not found in rootfs: /bin/bash")
                .satisfies(e -> assertThat(((ExecFailedException) e).exitCode()).isEqualTo(127));
        assertThatThrownBy(() -> Fixtures.container().run("no-such-command"))
                .isInstanceOf(ExecFailedException.class)
                .hasMessage("executable file not found in $PATH: no-such-command");
        assertThatThrownBy(() -> Fixtures.container().run("/etc/passwd"))
                .isInstanceOf(ExecFailedException.class)
                .hasMessage("permission denied executing /etc/passwd")
                .satisfies(e -> assertThat(((ExecFailedException) e).exitCode()).isEqualTo(126));
        assertThatThrownBy(() -> Fixtures.container().init(false).run("/x/y"))
                .isInstanceOf(ExecFailedException.class)
                .hasMessage("executable file not found in rootfs: /x/y");
    }

    @Test
    void tenMebibytesOnEachStreamWithoutDeadlock() {
        ExecResult r = Fixtures.container().run("/bin/sh", "-c",
                "head -c 10485760 /dev/urandom; head -c 10485760 /dev/zero >&2; echo done >&2");
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdoutBytes()).hasSize(10 * 1024 * 1024);
        assertThat(r.stderrBytes()).hasSize(10 * 1024 * 1024 + 5);
        assertThat(r.stderr()).endsWith("done\n");
    }

    @Test
    void stdinIsPipedToStartedContainers() throws IOException {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "read line; echo got:$line")) {
            c.stdin().write("hello\n".getBytes(StandardCharsets.UTF_8));
            c.stdin().flush();
            assertThat(IsolationTest.readLine(c)).isEqualTo("got:hello");
            assertThat(c.waitFor()).isZero();
        }
    }

    @Test
    void outputCanStreamIntoASink() {
        java.io.ByteArrayOutputStream sink = new java.io.ByteArrayOutputStream();
        ExecResult r = Fixtures.container().stdout(Stdio.to(sink)).run("/bin/echo", "streamed");
        assertThat(r.stdout()).isEmpty();
        assertThat(sink.toString(StandardCharsets.UTF_8)).isEqualTo("streamed\n");
    }

    @Test
    void environmentWorkdirAndUser() {
        ExecResult r = Fixtures.container().env("GREETING", "hi").env("PATH", "/bin").workdir("/made/here")
                .user(1000, 1001).run("/bin/sh", "-c", "echo $GREETING $PATH $HOME; pwd; id -u; id -g");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("hi /bin /\n/made/here\n1000\n1001\n");
        ExecResult defaults = Fixtures.container().run("/bin/sh", "-c", "echo $PATH; echo $HOME; id -u");
        assertThat(defaults.stdout()).isEqualTo(Container.DEFAULT_PATH + "\n/root\n0\n");
    }

    @Test
    void bindMountsReadWriteAndReadOnly() throws IOException {
        Path dir = Files.createTempDirectory(Fixtures.TARGET, "bind");
        Files.writeString(dir.resolve("in.txt"), "from-host");
        ExecResult r = Fixtures.container().bind(dir, "/data").bindReadOnly(dir, "/ro/data")
                .run("/bin/sh", "-c", "cat /data/in.txt; echo; echo back > /data/out.txt;"
                        + " echo nope > /ro/data/x 2>/dev/null; echo $?");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("from-host\n1\n");
        assertThat(Files.readString(dir.resolve("out.txt"))).isEqualTo("back\n");
        assertThat(dir.resolve("x")).doesNotExist();
    }

    @Test
    void aSymlinkInTheImageCannotRedirectABindOntoTheHost() throws IOException {
        // An image whose /data is a symlink to /etc: the bind must land inside the container's
        // root, never on the host's /etc.
        Path layer = Files.createTempDirectory(Fixtures.TARGET, "layer");
        Files.createSymbolicLink(layer.resolve("data"), Path.of("/etc"));
        Path src = Files.createTempDirectory(Fixtures.TARGET, "src");
        Files.writeString(src.resolve("marker"), "m");
        ExecResult r = Fixtures.container().layers(List.of(layer, Fixtures.rootfs())).bind(src, "/data")
                .run("/bin/sh", "-c", "cat /etc/marker");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("m");
        assertThat(Path.of("/etc/marker")).doesNotExist();
    }

    @Test
    void twentyContainersAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try {
            List<Future<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String name = "c" + i;
                results.add(pool.submit(() -> Fixtures.container().hostname(name)
                        .run("/bin/sh", "-c", "sleep 0.2; hostname")));
            }
            for (int i = 0; i < 20; i++) {
                ExecResult r = results.get(i).get();
                assertThat(r.exitCode()).isZero();
                assertThat(r.stdout()).isEqualTo("c" + i + "\n");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeKillsARunningContainerAndRemovesEverything() {
        RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "echo ready; sleep 600");
        assertThat(IsolationTest.readLine(c)).isEqualTo("ready");
        int pid = c.pid();
        assertThat(Path.of("/proc", Integer.toString(pid))).exists();
        Path lib = Fixtures.RUNTIME.libRoot().resolve("containers").resolve(c.id());
        Path run = Fixtures.RUNTIME.runRoot().resolve("containers").resolve(c.id());
        assertThat(lib).exists();
        assertThat(run).exists();
        c.close();
        assertThat(c.exitCode()).isEqualTo(137);
        assertThat(Path.of("/proc", Integer.toString(pid))).doesNotExist();
        assertThat(lib).doesNotExist();
        assertThat(run).doesNotExist();
        c.close(); // idempotent
    }
}
