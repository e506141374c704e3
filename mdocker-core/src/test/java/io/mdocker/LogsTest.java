package io.mdocker;

import io.mdocker.testing.Fixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Logs of started containers: the bounded in-memory log next to the stdout()/stderr() streams,
 * followers, and the pipe held back only for a stream someone asked for.
 */
class LogsTest {

    @Test
    void logsKeepStdoutAndStderrInOrderAfterTheContainerExited() {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "echo one; sleep 0.05; echo two >&2; sleep 0.05; echo three; printf tail")) {
            assertThat(c.waitFor()).isZero();
            assertThat(c.logs()).isEqualTo("one\ntwo\nthree\ntail");
            assertThat(c.logLines()).containsExactly(new LogLine(LogLine.Source.STDOUT, "one"),
                    new LogLine(LogLine.Source.STDERR, "two"), new LogLine(LogLine.Source.STDOUT, "three"),
                    new LogLine(LogLine.Source.STDOUT, "tail"));
            c.close();
            assertThat(c.logs()).as("readable after close").endsWith("three\ntail");
        }
    }

    @Test
    void theStreamsStillGiveEveryByteWhileTheLogKeepsTheLines() throws Exception {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "echo out; echo err >&2")) {
            InputStream out = c.stdout();
            assertThat(new String(out.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("out\n");
            assertThat(new String(c.stderr().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("err\n");
            assertThat(c.stdout()).as("one stream per container").isSameAs(out);
            c.waitFor();
            assertThat(c.logs()).contains("out\n").contains("err\n");
        }
    }

    @Test
    void anUnreadContainerNeverBlocksAndItsLogStaysBounded() {
        // 2 MiB of numbered lines, far above the pipe and the log: nobody reads the streams.
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "i=0; while [ $i -lt 30000 ]; do echo line-$i-0123456789012345678901234567890123456789012345678901; "
                        + "i=$((i+1)); done; echo last")) {
            assertThat(c.waitFor(Duration.ofSeconds(60))).as("exited without a reader").isTrue();
            String logs = c.logs();
            assertThat(logs.length()).isLessThanOrEqualTo(RunningContainer.LOG_CAPACITY);
            assertThat(logs.length()).isGreaterThan(RunningContainer.LOG_CAPACITY / 2);
            assertThat(logs).endsWith("line-29999-0123456789012345678901234567890123456789012345678901\nlast\n")
                    .doesNotContain("line-0-");
        }
    }

    @Test
    void aStreamAskedForButNotReadHoldsTheContainerBackAsAPipeWould() throws Exception {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "head -c 1048576 /dev/zero; echo done >&2")) {
            InputStream out = c.stdout();
            assertThat(c.waitFor(Duration.ofMillis(500))).as("blocked on its full stdout").isFalse();
            assertThat(c.logs()).doesNotContain("done");
            assertThat(out.readAllBytes()).hasSize(1048576).containsOnly(0);
            assertThat(c.waitFor()).isZero();
            // stdout and stderr are separate pipes: their order in the log is the order of arrival
            assertThat(c.logLines()).contains(new LogLine(LogLine.Source.STDERR, "done"));
        }
    }

    @Test
    void closeDoesNotWaitForAStreamNobodyReads() throws Exception {
        RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "head -c 1048576 /dev/zero; exec sleep 600");
        InputStream out = c.stdout();
        assertThat(c.waitFor(Duration.ofMillis(300))).isFalse();
        long t0 = System.nanoTime();
        c.close();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(c.isRunning()).isFalse();
        assertThatThrownBy(out::read).hasMessage("container stream is closed");
    }

    @Test
    void followersGetTheRetainedLinesThenEachNewOneUntilClosed() throws Exception {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "echo before; read go; echo after-1; echo after-2 >&2; read stop; echo unseen")) {
            c.await(Wait.forLogLine("^before$"));
            List<LogLine> seen = new CopyOnWriteArrayList<>();
            LogSubscription sub = c.followLogs(seen::add);
            c.stdin().write("go\n".getBytes(StandardCharsets.US_ASCII));
            c.stdin().flush();
            c.await(Wait.forLogLine("after-2"));
            assertThat(seen).extracting(LogLine::toString).containsExactly("before", "after-1", "[stderr] after-2");
            sub.close();
            c.stdin().write("stop\n".getBytes(StandardCharsets.US_ASCII));
            c.stdin().flush();
            assertThat(c.waitFor()).isZero();
            assertThat(c.logs()).contains("unseen");
            assertThat(seen).hasSize(3);
        }
    }

    @Test
    void logsNeedPipedOutput() {
        try (RunningContainer c = Fixtures.container().stdout(Stdio.discard()).stderr(Stdio.discard()).start("/bin/true")) {
            assertThatThrownBy(c::logs).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("keeps no log").hasMessageContaining("Stdio.pipe()");
        }
    }
}
