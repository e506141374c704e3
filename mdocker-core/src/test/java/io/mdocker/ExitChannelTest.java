package io.mdocker;

import io.mdocker.internal.fs.ContainerDirs;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.InitProcess.StdioPlan;
import io.mdocker.internal.process.Protocol;
import io.mdocker.testing.Fixtures;
import io.mdocker.testing.InitDialogue;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Consumer;

import static io.mdocker.testing.InitDialogue.next;
import static io.mdocker.testing.InitDialogue.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exit channel of a cold container, spoken to directly: PID brings it; with the init, pid 1
 * sends its command's EXIT there before the monitor relays anything the JVM has not read (run()
 * waits on it, not on STARTED); where the command cannot be started, without the init, and when
 * pid 1 is killed, the channel ends without an EXIT and the sync socket says what happened. And
 * through run(): a command that outlasts the setup timeout still gives its exit code (STARTED is
 * read once that timeout has passed).
 */
class ExitChannelTest {

    @Test
    @DisplayName("with the init: EXIT on the exit channel, with nothing read from the sync socket; STARTED and EXIT queued there too")
    void exitComesOnTheChannel() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        withContainer(1, out, "echo ran; exit 3", monitor -> {
            assertThat(monitor.hasExitChannel()).as("PID brought the exit channel").isTrue();
            send(monitor, Protocol.go());
            assertThat(monitor.awaitExitDirect(20_000)).as("EXIT straight from pid 1").hasValue(3);
            assertThat(monitor.hasExitChannel()).as("still open until it ends").isTrue();
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_STARTED);
            Protocol.Message exit = next(monitor);
            assertThat(exit.type()).isEqualTo(Protocol.MSG_EXIT);
            assertThat(exit.int32(0)).isEqualTo(3);
            monitor.finished().join();
            assertThat(monitor.awaitExitDirect(1_000)).as("the channel's end once pid 1 exited").isEmpty();
            assertThat(monitor.hasExitChannel()).as("closed at its end").isFalse();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("ran\n");
        });
    }

    @Test
    @DisplayName("with the init, a command that cannot be executed: the channel ends without EXIT, ERROR(EXEC) on the sync socket")
    void execFailureEndsTheChannel() {
        withContainer(1, new ByteArrayOutputStream(), null, monitor -> {
            send(monitor, Protocol.go());
            assertThat(monitor.awaitExitDirect(20_000)).as("no EXIT on the channel").isEmpty();
            Protocol.Message m = monitor.receive(20_000);
            assertThat(m.type()).as("ERROR through the monitor").isEqualTo(Protocol.MSG_ERROR);
            assertThat(m.int32(0)).isEqualTo(Protocol.STEP_EXEC);
            assertThat(m.text(2)).contains("/no/such/command");
        });
    }

    @Test
    @DisplayName("without the init: exec closes the channel; STARTED and the monitor's EXIT on the sync socket")
    void withoutTheInitExecEndsTheChannel() {
        withContainer(0, new ByteArrayOutputStream(), "exit 4", monitor -> {
            send(monitor, Protocol.go());
            assertThat(monitor.awaitExitDirect(20_000)).as("exec closed pid 1's end").isEmpty();
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_STARTED);
            Protocol.Message exit = next(monitor);
            assertThat(exit.type()).isEqualTo(Protocol.MSG_EXIT);
            assertThat(exit.int32(0)).isEqualTo(4);
        });
    }

    @Test
    @DisplayName("pid 1 SIGKILLed while its command runs: the channel ends without EXIT; the monitor's EXIT says 137")
    void killedPid1EndsTheChannel() {
        withContainer(1, new ByteArrayOutputStream(), "sleep 600", monitor -> {
            send(monitor, Protocol.go());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_STARTED);
            assertThat(ProcessHandle.of(monitor.containerPid()).map(ProcessHandle::destroyForcibly)).hasValue(true);
            assertThat(monitor.awaitExitDirect(20_000)).isEmpty();
            Protocol.Message exit = next(monitor);
            assertThat(exit.type()).isEqualTo(Protocol.MSG_EXIT);
            assertThat(exit.int32(0)).isEqualTo(137);
        });
    }

    @Test
    @DisplayName("run() of a command that outlasts the setup timeout: its exit code (STARTED read after the timeout)")
    void runLongerThanTheSetupTimeout() {
        ExecResult r = Fixtures.container().startTimeout(Duration.ofMillis(300))
                .run("/bin/sh", "-c", "sleep 1; echo late; exit 5");
        assertThat(r.exitCode()).isEqualTo(5);
        assertThat(r.stdout()).isEqualTo("late\n");
    }

    /** A container of the test rootfs running {@code sh -c script} (null: a command that does not exist) once GO comes. */
    private static void withContainer(int init, ByteArrayOutputStream out, String script, Consumer<InitProcess> body) {
        ContainerDirs dirs = InitDialogue.dirs("exit-channel");
        InitProcess monitor = InitProcess.spawn(new StdioPlan(Redirect.DISCARD, Redirect.CAPTURE, out, Redirect.CAPTURE,
                new ByteArrayOutputStream()), InitDialogue.NAMESPACES);
        try {
            Protocol.ConfigWriter config = InitDialogue.config(dirs, "exits").u32(Protocol.T_INIT, init)
                    .string(Protocol.T_ENV, "PATH=/bin:/usr/bin");
            if (script == null) {
                config.string(Protocol.T_ARG, "/no/such/command");
            } else {
                config.string(Protocol.T_ARG, "/bin/sh").string(Protocol.T_ARG, "-c").string(Protocol.T_ARG, script);
            }
            send(monitor, config.message());
            body.accept(monitor);
        } finally {
            InitDialogue.end(monitor, dirs);
        }
    }
}
