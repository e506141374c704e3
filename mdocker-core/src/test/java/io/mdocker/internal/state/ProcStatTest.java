package io.mdocker.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** ProcStat against real processes of this host, including one reaped between the open and the read. */
class ProcStatTest {

    @Test
    void aProcessReapedBetweenOpenAndReadCountsAsGone() throws Exception {
        Process p = new ProcessBuilder("sleep", "600").start();
        int pid = (int) p.pid();
        Path stat = Path.of("/proc", Integer.toString(pid), "stat");
        assertThat(ProcStat.startTimeOrMinus1(pid)).isPositive();
        assertThat(ProcStat.isRunning(pid, ProcStat.startTime(pid))).isTrue();
        IOException thrown = null;
        try (SeekableByteChannel open = Files.newByteChannel(stat)) {
            p.destroyForcibly();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue(); // reaped: its /proc entry goes
            open.read(ByteBuffer.allocate(4096));
        } catch (IOException e) {
            thrown = e;
        }
        // The kernel's ESRCH, as the JDK's channel read reports it (CI saw it through
        // Files.readString as a FileSystemException naming the file):
        assertThat(thrown).isNotNull().hasMessage("No such process");
        assertThat(ProcStat.processGone(thrown)).isTrue();
        assertThat(ProcStat.readOrNull(stat)).isNull();
        assertThat(ProcStat.startTimeOrMinus1(pid)).isEqualTo(-1);
        assertThat(ProcStat.parentPid(pid)).isEqualTo(-1);
    }

    @Test
    void otherFailuresAreNotTakenForAnExit() {
        assertThat(ProcStat.processGone(new java.nio.file.FileSystemException("/proc/1/stat", null, "No such process")))
                .isTrue();
        assertThat(ProcStat.processGone(new IOException("Input/output error"))).isFalse();
        assertThat(ProcStat.processGone(new java.nio.file.AccessDeniedException("/proc/1/stat"))).isFalse();
    }
}
