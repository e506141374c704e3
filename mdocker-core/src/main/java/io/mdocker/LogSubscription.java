package io.mdocker;

/** A follower of a container's output ({@link RunningContainer#followLogs}); {@link #close()} stops it. Idempotent. */
@FunctionalInterface
public interface LogSubscription extends AutoCloseable {
    @Override
    void close();
}
