package io.mdocker;


import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What the wait strategies share: the timeout, and the errors naming what was awaited, with the
 * container's last output, when it passed or the container exited first.
 */
abstract class WaitBase implements WaitStrategy {
    /** Lines of output an error shows. */
    static final int OUTPUT_LINES = 20;

    private final Duration timeout;

    WaitBase(Duration timeout) {
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
            throw new ContainerException("interrupted while waiting", e);
        }
    }

    WaitTimeoutException timedOut(ContainerHandle c, Throwable cause) {
        return new WaitTimeoutException("container " + c.shortId() + " was not ready after " + seconds(timeout)
                + ": waited for " + description() + causeText(cause), lastOutput(c), cause);
    }

    WaitTimeoutException exited(ContainerHandle c, Throwable cause) {
        return new WaitTimeoutException("container " + c.shortId() + " exited with code " + exitCodeText(c)
                + " while waiting for " + description() + causeText(cause), lastOutput(c), cause);
    }

    private static String exitCodeText(ContainerHandle c) {
        try {
            return Integer.toString(c.waitFor());
        } catch (ContainerException e) {
            return "(not recorded)";
        }
    }

    private static String causeText(Throwable cause) {
        return cause == null ? "" : " (last attempt: " + cause.getMessage() + ")";
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** The last {@link #OUTPUT_LINES} lines the container wrote, or "" when it keeps no log. */
    static String lastOutput(ContainerHandle c) {
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
