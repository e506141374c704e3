package io.mdocker.internal.run;

import io.mdocker.ContainerException;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Waiting for a process's end (a future the reaper completes), with the handles' exceptions. */
public final class Waiting {
    private Waiting() {}

    /** Waits for {@code end}; {@code what} names the awaited in the exception. */
    public static void await(CompletableFuture<?> end, String what) {
        try {
            end.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while waiting for " + what, e);
        } catch (ExecutionException e) {
            throw new ContainerException("waiting for " + what + ": " + e.getCause(), e.getCause());
        }
    }

    /** Waits at most {@code timeout}; true when {@code end} has come. */
    public static boolean await(CompletableFuture<?> end, Duration timeout, String what) {
        try {
            end.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while waiting for " + what, e);
        } catch (ExecutionException e) {
            throw new ContainerException("waiting for " + what + ": " + e.getCause(), e.getCause());
        }
    }
}
