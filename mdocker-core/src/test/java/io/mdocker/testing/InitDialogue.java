package io.mdocker.testing;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.fs.ContainerDirs;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.Protocol;

import java.nio.ByteBuffer;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests that speak mdocker-init's protocol directly (ParkProtocolTest, ExitChannelTest): the
 * container directories a CONFIG names, its base records on the test rootfs, sending and
 * receiving with assertions, and the end of a monitor.
 */
public final class InitDialogue {
    /** The namespaces of these tests' containers. */
    public static final long NAMESPACES = Linux.CLONE_NEWNS() | Linux.CLONE_NEWPID() | Linux.CLONE_NEWUTS()
            | Linux.CLONE_NEWIPC() | Linux.CLONE_NEWNET();

    private InitDialogue() {
    }

    /** Fresh container directories under target/{@code where}. */
    public static ContainerDirs dirs(String where) {
        return ContainerDirs.create(Fixtures.TARGET.resolve(where), "c" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    }

    /** CONFIG's filesystem and namespace records: the test rootfs over {@code dirs}, {@code hostname}, {@link #NAMESPACES}. */
    public static Protocol.ConfigWriter config(ContainerDirs dirs, String hostname) {
        return new Protocol.ConfigWriter()
                .string(Protocol.T_LOWER, Fixtures.rootfs().toString())
                .string(Protocol.T_UPPER, dirs.upper().toString())
                .string(Protocol.T_WORK, dirs.work().toString())
                .string(Protocol.T_MERGED, dirs.merged().toString())
                .string(Protocol.T_HOSTNAME, hostname)
                .u64(Protocol.T_NSFLAGS, NAMESPACES);
    }

    /** Sends {@code message}, asserting that the monitor took it. */
    public static void send(InitProcess monitor, ByteBuffer message) {
        assertThat(monitor.send(message)).as("sent").isTrue();
    }

    /** The next message within 20 s; an ERROR fails the test with its step and text. */
    public static Protocol.Message next(InitProcess monitor) {
        Protocol.Message m = monitor.receive(20_000);
        assertThat(m).as("a message from mdocker-init").isNotNull();
        if (m.type() == Protocol.MSG_ERROR) {
            throw new AssertionError("mdocker-init: ERROR step " + m.int32(0) + " errno " + m.int32(1) + ": " + m.text(2));
        }
        return m;
    }

    /** Ends the monitor and its container, and removes {@code dirs}. */
    public static void end(InitProcess monitor, ContainerDirs dirs) {
        monitor.killAndReap(Duration.ofSeconds(5));
        monitor.finished().join();
        monitor.close();
        dirs.delete();
    }
}
