package io.mdocker;

import io.mdocker.testing.Fixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A copy into a running container whose target the container made a fifo or a device node:
 * refused in one line without the node ever being opened for I/O on the host
 * side, as opening a device (a watchdog, a tape, a serial line) has effects of its own.
 *
 * <p>Proof that the fifo is not opened: a reader in the container blocks in open(2) until a
 * writer opens the fifo; opening it for writing, even O_NONBLOCK, would release it and it would
 * leave a mark. The counterpart opens it from inside and the mark appears.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CopySpecialFileTest {
    @TempDir
    Path tmp;

    @Test
    void aFifoOrDeviceAtTheTargetIsRefusedWithoutBeingOpened() throws Exception {
        Path file = Files.writeString(tmp.resolve("payload"), "payload\n");
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "mkfifo /tmp/fifo && mknod /tmp/null c 1 3 && echo old > /tmp/reg "
                        + "&& { cat /tmp/fifo > /dev/null; echo opened > /tmp/opened; } & echo ready; exec sleep 60")) {
            c.await(Wait.forLogLine("ready").withTimeout(Duration.ofSeconds(10)));
            Thread.sleep(200); // the reader is in open(2)

            long start = System.nanoTime();
            assertThatThrownBy(() -> c.copyIn(file, "/tmp/fifo"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("refusing to copy to /tmp/fifo in container " + c.shortId()
                            + ": it is a fifo, not a regular file (not opened)");
            assertThatThrownBy(() -> c.copyIn(CopySource.of("x".getBytes()), "/tmp/null"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("refusing to copy to /tmp/null in container " + c.shortId()
                            + ": it is a character device, not a regular file (not opened)");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refused at once").isLessThan(Duration.ofSeconds(2));
            Thread.sleep(300);
            assertThat(c.exec("/bin/sh", "-c", "cat /tmp/opened 2>&1; cat /tmp/null").stdout())
                    .as("the fifo was opened").contains("No such file");

            // the gate opens: a regular file is replaced, a new one made
            c.copyIn(file, "/tmp/reg");
            c.copyIn(file, "/tmp/new");
            assertThat(c.exec("/bin/sh", "-c", "cat /tmp/reg /tmp/new").stdout()).isEqualTo("payload\npayload\n");
            // and the mark does appear once the fifo is opened for writing
            assertThat(c.exec("/bin/sh", "-c", "echo x > /tmp/fifo; sleep 0.3; cat /tmp/opened").stdout())
                    .isEqualTo("opened\n");
        }
    }
}
