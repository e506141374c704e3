package io.mdocker;

import java.time.Duration;

/**
 * How to tell that a started container is ready for use: a log line, a listening port, an HTTP
 * answer, a command that succeeds ({@link Wait} makes them). Immutable; one strategy may serve
 * many containers at once.
 */
public interface WaitStrategy {
    /**
     * Blocks until the container is ready. Throws {@link WaitTimeoutException} (what was awaited,
     * the container's last output) when {@link #timeout()} passes first or the container exits.
     */
    void waitUntilReady(ContainerHandle container);

    /** How long {@link #waitUntilReady} waits at most. */
    Duration timeout();

    /** The same strategy with another timeout. */
    WaitStrategy withTimeout(Duration timeout);

    /** What is awaited, in words (used in error messages), e.g. {@code HTTP 200 from GET / on port 80}. */
    String description();
}
