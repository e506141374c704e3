package io.mdocker.internal.wait;

import io.mdocker.RunningContainer;
import io.mdocker.WaitStrategy;
import io.mdocker.WaitTimeoutException;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the wait strategies share: the timeout, and the errors naming what was awaited, with the
 * container's last output, when it passed or the container exited first.
 */
public abstract class WaitBase implements WaitStrategy {
    /** Lines of output an error shows. */
    static final int OUTPUT_LINES = 20;

    private final Duration timeout;

    protected WaitBase(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("invalid wait timeout " + timeout + ": expected a positive duration");
        }
        this.timeout = timeout;
    }

    @Override
    public Duration timeout() {
        return timeout;
    }

    static void sleep(long nanos) {
        try {
            Thread.sleep(Duration.ofNanos(nanos));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.mdocker.ContainerException("interrupted while waiting", e);
        }
    }

    WaitTimeoutException timedOut(RunningContainer c, Throwable cause) {
        return new WaitTimeoutException("container " + c.shortId() + " was not ready after " + seconds(timeout)
                + ": waited for " + description() + causeText(cause), lastOutput(c), cause);
    }

    WaitTimeoutException exited(RunningContainer c, Throwable cause) {
        return new WaitTimeoutException("container " + c.shortId() + " exited with code " + c.exitCode()
                + " while waiting for " + description() + causeText(cause), lastOutput(c), cause);
    }

    private static String causeText(Throwable cause) {
        return cause == null ? "" : " (last attempt: " + cause.getMessage() + ")";
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** The last {@link #OUTPUT_LINES} lines the container wrote, or "" when it keeps no log. */
    static String lastOutput(RunningContainer c) {
        try {
            List<String> lines = c.logs().lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - OUTPUT_LINES), lines.size()));
        } catch (IllegalStateException e) {
            return "";
        }
    }

    @Override
    public String toString() {
        return description() + " (timeout " + seconds(timeout) + ")";
    }
}
