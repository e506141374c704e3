package io.mdocker;

import io.mdocker.internal.fs.ContainerDirs;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.InitProcess.StdioPlan;
import io.mdocker.internal.process.Protocol;
import io.mdocker.testing.InitDialogue;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import static io.mdocker.testing.InitDialogue.next;
import static io.mdocker.testing.InitDialogue.send;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * mdocker-init's side of the warm pool, spoken to directly: a CONFIG with PARK and no ARG stops
 * after GO with PARKED; with the init, PARKED brings the claim channel of the command's process,
 * which waits with its identity taken, and the exit channel, on which pid 1 sends EXIT too; without, pid 1 waits for CLAIM through its monitor. CLAIM
 * brings the command, the environment and a working directory (created); what does not belong in
 * a CLAIM, a CLAIM before GO, through the monitor where a process waits, or a second one, and
 * PARK with a tty are refused with a protocol ERROR naming it, and the container ends.
 */
class ParkProtocolTest {
    private static final long NAMESPACES = InitDialogue.NAMESPACES;

    @Test
    void theWaitingCommandProcessRunsTheClaimFromItsClaimChannel() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        withParked(1, out, config -> { }, monitor -> {
            send(monitor, Protocol.go());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_PARKED);
            assertThat(monitor.hasClaimChannel()).as("PARKED brought the claim channel").isTrue();
            assertThat(monitor.claimDirect(new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/sh")
                    .string(Protocol.T_ARG, "-c").string(Protocol.T_ARG, "echo $X; pwd; id -u")
                    .string(Protocol.T_ENV, "X=claimed").string(Protocol.T_CWD, "/tmp/made/here")
                    .message(Protocol.MSG_CLAIM), 20_000)).as("exec'd: end of file, no ERROR").isNull();
            assertThat(monitor.awaitExitDirect()).as("EXIT on the exit channel, straight from pid 1").hasValue(0);
            Protocol.Message exit = next(monitor); // no STARTED: the claim channel's end of file said it
            assertThat(exit.type()).isEqualTo(Protocol.MSG_EXIT);
            assertThat(exit.int32(0)).isZero();
            monitor.finished().join();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("claimed\n/tmp/made/here\n0\n");
        });
    }

    @Test
    void withoutTheInitPid1WaitsForTheClaimThroughItsMonitor() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        withParked(0, out, config -> { }, monitor -> {
            send(monitor, Protocol.go());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_PARKED);
            assertThat(monitor.hasClaimChannel()).isFalse();
            send(monitor, new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/sh").string(Protocol.T_ARG, "-c")
                    .string(Protocol.T_ARG, "echo $$ $X").string(Protocol.T_ENV, "X=claimed").message(Protocol.MSG_CLAIM));
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_STARTED);
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_EXIT);
            monitor.finished().join();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("1 claimed\n");
        });
    }

    @Test
    void aClaimWithAnotherRecordOrWithoutArgIsRefused() {
        for (int init : new int[] {1, 0}) {
            withParked(init, new ByteArrayOutputStream(), config -> { }, monitor -> {
                send(monitor, Protocol.go());
                assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_PARKED);
                assertClaimRefused(monitor, new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/true")
                        .string(Protocol.T_HOSTNAME, "sneaky"), "CLAIM: tag " + Protocol.T_HOSTNAME + " does not belong in it");
            });
            withParked(init, new ByteArrayOutputStream(), config -> { }, monitor -> {
                send(monitor, Protocol.go());
                assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_PARKED);
                assertClaimRefused(monitor, new Protocol.ConfigWriter().string(Protocol.T_ENV, "X=1"), "CLAIM: no ARG");
            });
        }
    }

    /** A bad CLAIM: ERROR (on the claim channel, or through the monitor without one), then the container's end. */
    private static void assertClaimRefused(InitProcess monitor, Protocol.ConfigWriter claim, String text) {
        if (monitor.hasClaimChannel()) {
            Protocol.Message m = monitor.claimDirect(claim.message(Protocol.MSG_CLAIM), 20_000);
            assertThat(m).as("ERROR on the claim channel").isNotNull();
            assertThat(m.type()).isEqualTo(Protocol.MSG_ERROR);
            assertThat(m.int32(0)).isEqualTo(Protocol.STEP_PROTOCOL);
            assertThat(m.text(2)).isEqualTo(text);
            Protocol.Message exit = next(monitor);
            assertThat(exit.type()).isEqualTo(Protocol.MSG_EXIT);
            assertThat(exit.int32(0)).isEqualTo(125);
            monitor.finished().join();
        } else {
            send(monitor, claim.message(Protocol.MSG_CLAIM));
            assertProtocolError(monitor, text);
        }
    }

    @Test
    void aClaimBeforeGoThroughTheMonitorOfAWaitingProcessOrASecondOneIsRefused() {
        withParked(1, new ByteArrayOutputStream(), config -> { }, monitor -> {
            send(monitor, new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/true").message(Protocol.MSG_CLAIM));
            assertProtocolError(monitor, "unexpected message type " + Protocol.MSG_CLAIM);
        });
        withParked(1, new ByteArrayOutputStream(), config -> { }, monitor -> {
            send(monitor, Protocol.go());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_PARKED);
            send(monitor, new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/true").message(Protocol.MSG_CLAIM));
            assertProtocolError(monitor, "unexpected message type " + Protocol.MSG_CLAIM);
        });
        withParked(0, new ByteArrayOutputStream(), config -> { }, monitor -> {
            send(monitor, Protocol.go());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_PARKED);
            java.nio.ByteBuffer claim = new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/sleep")
                    .string(Protocol.T_ARG, "60").message(Protocol.MSG_CLAIM);
            send(monitor, claim.duplicate());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_STARTED);
            send(monitor, claim);
            assertProtocolError(monitor, "unexpected message type " + Protocol.MSG_CLAIM);
        });
    }

    @Test
    void outputsWatchedEarlyAreDrainedBeforeTheBindAndKeptForItsSink() throws Exception {
        // more than a pipe holds: without the early drain the command would block until the bind
        ContainerDirs dirs = InitDialogue.dirs("park-protocol");
        InitProcess monitor = InitProcess.spawnUnbound(NAMESPACES);
        try {
            monitor.watchOutputsEarly();
            send(monitor, InitDialogue.config(dirs, "early")
                    .string(Protocol.T_ARG, "/bin/sh").string(Protocol.T_ARG, "-c")
                    .string(Protocol.T_ARG, "yes x | head -c 200000; echo done >&2")
                    .message());
            send(monitor, Protocol.go());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_STARTED);
            Protocol.Message exit = next(monitor);
            assertThat(exit.type()).as("the command ended before its streams were bound").isEqualTo(Protocol.MSG_EXIT);
            assertThat(exit.int32(0)).isZero();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            monitor.bind(new StdioPlan(Redirect.DISCARD, Redirect.CAPTURE, out, Redirect.CAPTURE, err));
            long deadline = System.nanoTime() + java.time.Duration.ofSeconds(20).toNanos();
            while ((out.size() < 200_000 || err.size() < 5) && System.nanoTime() < deadline) {
                Thread.sleep(5); // what the reaper read before the bind came at once; the rest follows
            }
            assertThat(out.size()).isEqualTo(200_000);
            assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("done\n");
        } finally {
            InitDialogue.end(monitor, dirs);
        }
    }

    @Test
    void parkWithATtyIsRefused() {
        withParked(1, new ByteArrayOutputStream(), config -> config.tty(24, 80), monitor ->
                assertProtocolError(monitor, "CONFIG: PARK 1: expected 1, without EXECFIFO, DETACH or TTY"));
    }

    /** A monitor whose CONFIG (PARK, no ARG; {@code extra} adds records) has been sent; removed afterwards. */
    private static void withParked(int init, ByteArrayOutputStream out, Consumer<Protocol.ConfigWriter> extra,
                                   Consumer<InitProcess> body) {
        ContainerDirs dirs = InitDialogue.dirs("park-protocol");
        InitProcess monitor = InitProcess.spawn(new StdioPlan(Redirect.DISCARD, Redirect.CAPTURE, out, Redirect.CAPTURE,
                new ByteArrayOutputStream()), NAMESPACES);
        try {
            Protocol.ConfigWriter config = InitDialogue.config(dirs, "parked")
                    .u32(Protocol.T_INIT, init)
                    .u32(Protocol.T_PARK, 1);
            extra.accept(config);
            send(monitor, config.message());
            body.accept(monitor);
        } finally {
            InitDialogue.end(monitor, dirs);
        }
    }

    private static void assertProtocolError(InitProcess monitor, String text) {
        Protocol.Message m = monitor.receive(20_000);
        assertThat(m).as("ERROR from mdocker-init").isNotNull();
        assertThat(m.type()).isEqualTo(Protocol.MSG_ERROR);
        assertThat(m.int32(0)).isEqualTo(Protocol.STEP_PROTOCOL);
        assertThat(m.text(2)).startsWith(text);
        monitor.finished().join(); // the container ends
    }
}
