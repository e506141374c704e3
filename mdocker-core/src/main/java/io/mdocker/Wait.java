package io.mdocker;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The wait strategies ({@link ContainerHandle#await(WaitStrategy)}), each with a timeout of
 * {@link #DEFAULT_TIMEOUT} unless {@link WaitStrategy#withTimeout} says otherwise. Arguments are
 * checked at once: bad input is an {@link IllegalArgumentException} naming the value.
 */
public final class Wait {
    private Wait() {}

    /** The timeout of a strategy made here. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    /** A line of stdout or stderr in which {@code regex} is found (already written lines count). */
    public static WaitStrategy forLogLine(String regex) {
        return forLogLine(regex, 1);
    }

    /** {@code times} lines of stdout or stderr in which {@code regex} is found. */
    public static WaitStrategy forLogLine(String regex, int times) {
        return new LogLineWait(regex, times, DEFAULT_TIMEOUT);
    }

    /**
     * TCP {@code containerPort} accepting connections inside the container: connected to at the
     * container's address on bridge and veth networks, looked up in the container's
     * {@code /proc/net/tcp} otherwise.
     */
    public static WaitStrategy forPort(int containerPort) {
        return new TcpPortWait(containerPort, DEFAULT_TIMEOUT);
    }

    /**
     * HTTP 200 from {@code GET path} on {@code containerPort}, asked through its published host
     * port or at the container's address; {@code forHttp(80, "/").forStatus(204)} for another
     * status, {@code usingTls()}, {@code withHeader(...)} and {@code forStatusMatching(...)} for more.
     */
    public static HttpWaitStrategy forHttp(int containerPort, String path) {
        return HttpWaitStrategy.of(containerPort, path, DEFAULT_TIMEOUT);
    }

    /**
     * A command that exits with 0 when run inside the container ({@link ContainerHandle#exec},
     * each run killed after the wait's timeout), e.g. {@code forCommand("pg_isready")}.
     */
    public static WaitStrategy forCommand(String... command) {
        return new CommandWait(List.of(command), null, DEFAULT_TIMEOUT);
    }

    /**
     * A command that exits with 0, asked through {@code runner} (which runs it in the container
     * and returns its exit code and output), for callers that run commands their own way.
     */
    public static WaitStrategy forCommand(CommandRunner runner, String... command) {
        return new CommandWait(List.of(command), Objects.requireNonNull(runner, "runner"), DEFAULT_TIMEOUT);
    }

    /**
     * The Healthcheck of the container's image ({@link ContainerHandle#healthcheck()}) passing:
     * its command (CMD, or CMD-SHELL through /bin/sh) run by exec at once and then every
     * Interval, each run within its Timeout; Retries failures in a row after its StartPeriod end
     * the wait with a {@link WaitTimeoutException} naming the check. A container without a
     * check, or whose image turns it off ({@code NONE}), is an {@link IllegalStateException}.
     */
    public static WaitStrategy forHealthcheck() {
        return new HealthcheckWait(DEFAULT_TIMEOUT);
    }

    /** Runs a wait's command in a container, for {@link #forCommand(CommandRunner, String...)}. */
    @FunctionalInterface
    public interface CommandRunner {
        /** Runs {@code command} in {@code container} and returns how it ended. */
        CommandOutcome run(ContainerHandle container, List<String> command);
    }

    /**
     * What one run of a wait's command gave.
     *
     * @param exitCode the command's exit code; 0 means ready
     * @param output   what it wrote, shown when the wait times out
     */
    public record CommandOutcome(int exitCode, String output) {
        /** Checks the output is there. */
        public CommandOutcome {
            Objects.requireNonNull(output, "output");
        }
    }

    static int checkPort(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid container port " + port + ": expected 1 to 65535");
        }
        return port;
    }
}
