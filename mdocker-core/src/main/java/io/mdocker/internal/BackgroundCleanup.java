package io.mdocker.internal;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Cleanup that need not delay the caller: the teardown of a container whose {@code run()} has
 * its result already — waiting for pid 1 and the monitor to finish exiting (the kernel ends the
 * namespaces then: 1-2 ms), removing the cgroups, the writable layer and the state record (on
 * ext4 each rmdir and unlink costs 0.1-0.3 ms). One daemon thread does it in order; {@link #awaitIdle()} waits until everything handed over is done, and
 * the JVM's exit waits for it too (RunningContainer's shutdown hook), so nothing is left behind.
 * A JVM killed meanwhile leaves the container's record unlocked, and the next runtime on the same
 * roots removes it, as after any SIGKILL.
 */
public final class BackgroundCleanup {
    private BackgroundCleanup() {}

    private static final ExecutorService CLEANER = Executors.newSingleThreadExecutor(r ->
            Thread.ofPlatform().daemon().name("mdocker-cleanup").unstarted(r));

    /** Runs {@code task} on the cleanup thread; a failure is logged, as nobody waits for it. */
    public static void submit(String what, Runnable task) {
        CLEANER.execute(() -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                System.getLogger(BackgroundCleanup.class.getName()).log(System.Logger.Level.WARNING,
                        "mdocker: " + what + ": " + e.getMessage(), e);
            }
        });
    }

    /** Waits until every task submitted before this call has finished. */
    public static void awaitIdle() {
        try {
            CLEANER.submit(() -> { }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot happen: an empty task failed", e);
        }
    }
}
