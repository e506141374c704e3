package io.mdocker;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.fs.ContainerDirs;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.InitProcess.StdioPlan;
import io.mdocker.internal.process.Protocol;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * mdocker-init's side of the warm pool, spoken to directly: a CONFIG with PARK and no ARG stops
 * pid 1 after GO with PARKED; CLAIM brings the command, the environment and a working directory
 * (created); what does not belong in a CLAIM, a CLAIM before GO or a second one, and PARK with a
 * tty are refused with a protocol ERROR naming it, and the container ends.
 */
class ParkProtocolTest {
    private static final long NAMESPACES = Linux.CLONE_NEWNS() | Linux.CLONE_NEWPID() | Linux.CLONE_NEWUTS()
            | Linux.CLONE_NEWIPC() | Linux.CLONE_NEWNET();

    @Test
    void aParkedPid1RunsTheClaimedCommand() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        withParked(out, config -> { }, monitor -> {
            send(monitor, Protocol.go());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_PARKED);
            send(monitor, new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/sh").string(Protocol.T_ARG, "-c")
                    .string(Protocol.T_ARG, "echo $X; pwd").string(Protocol.T_ENV, "X=claimed")
                    .string(Protocol.T_CWD, "/tmp/made/here").message(Protocol.MSG_CLAIM));
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_STARTED);
            Protocol.Message exit = next(monitor);
            assertThat(exit.type()).isEqualTo(Protocol.MSG_EXIT);
            assertThat(exit.int32(0)).isZero();
            monitor.finished().join();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("claimed\n/tmp/made/here\n");
        });
    }

    @Test
    void aClaimWithAnotherRecordOrWithoutArgIsRefused() {
        withParked(new ByteArrayOutputStream(), config -> { }, monitor -> {
            send(monitor, Protocol.go());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_PARKED);
            send(monitor, new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/true")
                    .string(Protocol.T_HOSTNAME, "sneaky").message(Protocol.MSG_CLAIM));
            assertProtocolError(monitor, "CLAIM: tag " + Protocol.T_HOSTNAME + " does not belong in it");
        });
        withParked(new ByteArrayOutputStream(), config -> { }, monitor -> {
            send(monitor, Protocol.go());
            assertThat(next(monitor).type()).isEqualTo(Protocol.MSG_PARKED);
            send(monitor, new Protocol.ConfigWriter().string(Protocol.T_ENV, "X=1").message(Protocol.MSG_CLAIM));
            assertProtocolError(monitor, "CLAIM: no ARG");
        });
    }

    @Test
    void aClaimBeforeGoOrASecondClaimIsRefusedByTheMonitor() {
        withParked(new ByteArrayOutputStream(), config -> { }, monitor -> {
            send(monitor, new Protocol.ConfigWriter().string(Protocol.T_ARG, "/bin/true").message(Protocol.MSG_CLAIM));
            assertProtocolError(monitor, "unexpected message type " + Protocol.MSG_CLAIM);
        });
        withParked(new ByteArrayOutputStream(), config -> { }, monitor -> {
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
    void parkWithATtyIsRefused() {
        withParked(new ByteArrayOutputStream(), config -> config.tty(24, 80), monitor ->
                assertProtocolError(monitor, "CONFIG: PARK 1: expected 1, without EXECFIFO, DETACH or TTY"));
    }

    /** A monitor whose CONFIG (PARK, no ARG; {@code extra} adds records) has been sent; removed afterwards. */
    private static void withParked(ByteArrayOutputStream out, Consumer<Protocol.ConfigWriter> extra,
                                   Consumer<InitProcess> body) {
        java.nio.file.Path rootfs = Fixtures.rootfs();
        ContainerDirs dirs = ContainerDirs.create(Fixtures.TARGET.resolve("park-protocol"),
                "c" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        InitProcess monitor = InitProcess.spawn(new StdioPlan(Redirect.DISCARD, Redirect.CAPTURE, out, Redirect.CAPTURE,
                new ByteArrayOutputStream()), NAMESPACES);
        try {
            Protocol.ConfigWriter config = new Protocol.ConfigWriter()
                    .string(Protocol.T_LOWER, rootfs.toString())
                    .string(Protocol.T_UPPER, dirs.upper().toString())
                    .string(Protocol.T_WORK, dirs.work().toString())
                    .string(Protocol.T_MERGED, dirs.merged().toString())
                    .string(Protocol.T_HOSTNAME, "parked")
                    .u64(Protocol.T_NSFLAGS, NAMESPACES)
                    .u32(Protocol.T_INIT, 1)
                    .u32(Protocol.T_PARK, 1);
            extra.accept(config);
            send(monitor, config.message());
            body.accept(monitor);
        } finally {
            monitor.killAndReap(java.time.Duration.ofSeconds(5));
            monitor.finished().join();
            monitor.close();
            dirs.delete();
        }
    }

    private static void send(InitProcess monitor, java.nio.ByteBuffer message) {
        assertThat(monitor.send(message)).as("sent").isTrue();
    }

    private static Protocol.Message next(InitProcess monitor) {
        Protocol.Message m = monitor.receive(20_000);
        assertThat(m).as("a message from mdocker-init").isNotNull();
        if (m.type() == Protocol.MSG_ERROR) {
            throw new AssertionError("mdocker-init: ERROR step " + m.int32(0) + " errno " + m.int32(1) + ": " + m.text(2));
        }
        return m;
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
