package io.mdocker.internal;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Cleanup that need not delay the caller: the teardown of a container whose {@code run()} has
 * its result already — waiting for pid 1 and the monitor to finish exiting (the kernel ends the
 * namespaces then: 1-2 ms), removing the cgroups, the writable layer and the state record (on
 * ext4 each rmdir and unlink costs 0.1-0.3 ms). Most of a teardown is waiting on the kernel, so
 * {@link #THREADS} daemon threads do them at once (one alone bounded a JVM's whole throughput by
 * its teardown time); at most {@link #BACKLOG} wait, beyond which the caller tears its own
 * container down, so that a JVM that starts containers faster than they go slows down rather than
 * piling up processes, cgroups and directories. Teardowns are independent of each other and may
 * finish in any order. {@link #awaitIdle()} waits until everything handed over is done, and the
 * JVM's exit waits for it too (RunningContainer's shutdown hook), so nothing is left behind. A JVM
 * killed meanwhile leaves the container's record unlocked, and the next runtime on the same roots
 * removes it, as after any SIGKILL. A claimed warm-pool sandbox's record is rewritten with its
 * command here too, a little after the claim ({@link #submitAfter}).
 */
public final class BackgroundCleanup {
    private BackgroundCleanup() {}

    /** The cleanup threads, made as needed and then kept (a constant number, whatever runs). */
    public static final int THREADS = 4;
    /** Teardowns that may wait for a thread; the next is done by its caller. */
    public static final int BACKLOG = 64;

    private static final ThreadPoolExecutor CLEANER = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(BACKLOG), r -> Thread.ofPlatform().daemon().name("mdocker-cleanup").unstarted(r),
            new ThreadPoolExecutor.CallerRunsPolicy());
    /** The tasks submitted and not finished yet. */
    private static final Set<CompletableFuture<Void>> PENDING = ConcurrentHashMap.newKeySet();

    /** Runs {@code task} on a cleanup thread (or, when the backlog is full, now); a failure is logged, as nobody waits for it. */
    public static void submit(String what, Runnable task) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        PENDING.add(done);
        execute(what, task, done);
    }

    /** Runs {@code task} on a cleanup thread (or now), then completes {@code done} and forgets it. */
    private static void execute(String what, Runnable task, CompletableFuture<Void> done) {
        CLEANER.execute(() -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                System.getLogger(BackgroundCleanup.class.getName()).log(System.Logger.Level.WARNING,
                        "mdocker: " + what + ": " + e.getMessage(), e);
            } finally {
                PENDING.remove(done);
                done.complete(null);
            }
        });
    }

    /**
     * Runs {@code task} on a cleanup thread {@code delay} from now, unless the returned action
     * cancels it first; {@link #awaitIdle()} waits for it from now on (not once cancelled). A
     * failure is logged.
     */
    public static Runnable submitAfter(String what, java.time.Duration delay, Runnable task) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicBoolean taken = new java.util.concurrent.atomic.AtomicBoolean();
        PENDING.add(done);
        CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS).execute(() -> {
            if (taken.compareAndSet(false, true)) {
                execute(what, task, done);
            }
        });
        return () -> {
            if (taken.compareAndSet(false, true)) {
                PENDING.remove(done);
                done.complete(null);
            }
        };
    }

    /** Waits until every task submitted before this call has finished. */
    public static void awaitIdle() {
        List<CompletableFuture<Void>> before = List.copyOf(PENDING);
        for (CompletableFuture<Void> f : before) {
            f.join();
        }
    }
}
