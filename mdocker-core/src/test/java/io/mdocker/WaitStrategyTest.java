package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestBridge;
import io.mdocker.testing.NetFixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The wait strategies against real containers: each one ready when it should be, and a timeout
 * or an exit that names what was awaited and shows the last output. Network waits use a bridge of
 * their own ({@value #BRIDGE}, {@value #BRIDGE_ADDRESS}) and ports published on 127.0.0.1.
 */
@TestBridge(name = WaitStrategyTest.BRIDGE, address = WaitStrategyTest.BRIDGE_ADDRESS)
class WaitStrategyTest {
    static final String BRIDGE = "mdt7";
    static final String BRIDGE_ADDRESS = "10.201.7.1/24";

    @BeforeAll
    static void prerequisites() {
        NetFixtures.prerequisites();
    }

    private static Container.Builder onBridge() {
        return Fixtures.container().network(Network.bridge(BRIDGE, BRIDGE_ADDRESS));
    }

    @Test
    void logLineCountsMatchesWrittenBeforeAndAfterTheWaitBegan() {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c",
                "echo ready 1; sleep 0.2; echo not yet; echo ready 2; exec sleep 60")) {
            long t0 = System.nanoTime();
            c.await(Wait.forLogLine("^ready \\d$", 2).withTimeout(Duration.ofSeconds(10)));
            assertThat(c.logs()).contains("ready 2");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aLogLineTimeoutNamesThePatternAndShowsTheLastOutput() {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "echo starting up; sleep 0.05; echo oops >&2; exec sleep 60")) {
            assertThatThrownBy(() -> c.await(Wait.forLogLine("listening on", 1).withTimeout(Duration.ofMillis(400))))
                    .isInstanceOf(WaitTimeoutException.class)
                    .hasMessageContaining("was not ready after 400 ms")
                    .hasMessageContaining("a log line matching 'listening on'")
                    .hasMessageContaining("0 of 1 lines matched")
                    .hasMessageContaining("last output:\n    starting up\n    [stderr] oops".replace("[stderr] ", ""));
        }
    }

    @Test
    void aContainerThatExitsEndsTheWaitAtOnceWithItsExitCode() {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "echo config missing >&2; exit 3")) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> c.await(Wait.forPort(8080)))
                    .isInstanceOf(WaitTimeoutException.class)
                    .hasMessageContaining("exited with code 3 while waiting for TCP port 8080 to accept connections")
                    .hasMessageContaining("config missing");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void portWaitWithoutANetworkReadsTheContainersProcNetTcp() {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "sleep 0.3; exec nc -l -p 8080")) {
            assertThatThrownBy(() -> c.await(Wait.forPort(8080).withTimeout(Duration.ofMillis(100))))
                    .hasMessageContaining("TCP port 8080");
            c.await(Wait.forPort(8080).withTimeout(Duration.ofSeconds(10)));
            assertThat(c.isRunning()).isTrue();
        }
    }

    @Test
    void portWaitOnABridgeConnectsToTheContainersAddress() {
        try (RunningContainer c = onBridge().start("/bin/sh", "-c", "sleep 0.3; exec nc -l -p 9000")) {
            c.await(Wait.forPort(9000).withTimeout(Duration.ofSeconds(10)));
            // nc accepts one connection: the probe was that connection, so nc has exited.
            assertThat(c.waitFor(Duration.ofSeconds(5))).isTrue();
        }
    }

    @Test
    void httpWaitGoesThroughThePublishedPortAndHostAddress() {
        try (RunningContainer c = onBridge().publish("127.0.0.1", 0, 80).start(NetFixtures.HTTPD)) {
            assertThat(c.host()).isEqualTo("127.0.0.1");
            c.await(Wait.forHttp(80, "/index.html").withTimeout(Duration.ofSeconds(10)));
            assertThat(NetFixtures.httpGet(c.host(), c.mappedPort(80), Duration.ofSeconds(5))).startsWith("hello ");
            assertThatThrownBy(() -> c.await(Wait.forHttp(80, "/missing").withTimeout(Duration.ofMillis(300))))
                    .isInstanceOf(WaitTimeoutException.class)
                    .hasMessageContaining("HTTP 200 from GET /missing on port 80")
                    .hasMessageContaining("404");
            c.await(Wait.forHttp(80, "/missing").forStatus(404).withTimeout(Duration.ofSeconds(5)));
        }
    }

    @Test
    void httpWaitWithoutAWayInFailsAtOnce() {
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
            assertThatThrownBy(() -> c.await(Wait.forHttp(80, "/")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("cannot wait for HTTP on port 80 of container " + c.shortId()
                            + ": publish the port, or give the container a bridge or veth network");
        }
    }

    @Test
    void commandWaitThroughARunnerRetriesUntilItSucceedsAndShowsItsLastFailure() {
        AtomicInteger calls = new AtomicInteger();
        Wait.CommandRunner thirdTimeLucky = (c, cmd) -> calls.incrementAndGet() < 3
                ? new Wait.CommandOutcome(1, "not ready") : new Wait.CommandOutcome(0, "");
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
            c.await(Wait.forCommand(thirdTimeLucky, "check").withTimeout(Duration.ofSeconds(5)));
            assertThat(calls).hasValue(3);
            assertThatThrownBy(() -> c.await(Wait.forCommand((x, cmd) -> new Wait.CommandOutcome(2, "no db"), "pg_isready")
                    .withTimeout(Duration.ofMillis(200))))
                    .hasMessageContaining("command 'pg_isready' to succeed")
                    .hasMessageContaining("pg_isready exited with 2: no db");
        }
    }

    @Test
    void commandWaitExecsInTheContainerUntilTheCommandSucceeds() {
        try (RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "sleep 0.4; touch /tmp/ready; exec sleep 60")) {
            assertThatThrownBy(() -> c.await(Wait.forCommand("test", "-e", "/tmp/ready").withTimeout(Duration.ofMillis(100))))
                    .isInstanceOf(WaitTimeoutException.class)
                    .hasMessageContaining("waited for command 'test -e /tmp/ready' to succeed")
                    .hasMessageContaining("test -e /tmp/ready exited with 1");
            c.await(Wait.forCommand("test", "-e", "/tmp/ready").withTimeout(Duration.ofSeconds(10)));
            assertThat(c.isRunning()).isTrue();
            assertThatThrownBy(() -> c.await(Wait.forCommand("/no/such/tool").withTimeout(Duration.ofMillis(300))))
                    .hasMessageContaining("/no/such/tool exited with 127: executable file not found in rootfs: /no/such/tool");
        }
    }

    @Test
    void badArgumentsAreOneLineErrorsBeforeAnyWait() {
        assertThatThrownBy(() -> Wait.forLogLine("(unclosed")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid log pattern '(unclosed'");
        assertThatThrownBy(() -> Wait.forLogLine("x", 0)).hasMessage("invalid count 0 of log lines: expected at least 1");
        assertThatThrownBy(() -> Wait.forPort(70000)).hasMessage("invalid container port 70000: expected 1 to 65535");
        assertThatThrownBy(() -> Wait.forHttp(80, "health")).hasMessageStartingWith("invalid HTTP path 'health'");
        assertThatThrownBy(() -> Wait.forHttp(80, "/").forStatus(42)).hasMessage("invalid HTTP status 42: expected 100 to 599");
        assertThatThrownBy(() -> Wait.forCommand()).hasMessage("invalid wait command []: expected a program and its arguments");
        assertThatThrownBy(() -> Wait.forPort(80).withTimeout(Duration.ZERO))
                .hasMessage("invalid wait timeout PT0S: expected a positive duration");
    }
}
