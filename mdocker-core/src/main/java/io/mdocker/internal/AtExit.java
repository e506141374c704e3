package io.mdocker.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What mdocker does when its JVM exits, run by one shutdown hook in a fixed order of stages: the
 * JVM starts a thread for every hook at exit, about a millisecond each on a small VM, and a
 * one-shot CLI command pays it after its work is done. Within a stage, actions run in the order
 * they were registered; an action that throws does not stop the others.
 */
public final class AtExit {
    private AtExit() {}

    /** The order in which registered actions run. */
    public enum Stage {
        /** The containers of this JVM: those still running closed, the teardowns in progress awaited. */
        CONTAINERS,
        /** What containers shared, removed once they are gone (cgroup parents, leases). */
        SHARED,
        /** The event loop, last: it serves the containers the earlier stages close. */
        EVENT_LOOP
    }

    private static final List<List<Runnable>> ACTIONS = List.of(
            new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>(), new CopyOnWriteArrayList<>());
    private static final Object LOCK = new Object();
    private static boolean hooked; // guarded by LOCK
    private static volatile boolean running;

    /**
     * Runs {@code action} at this JVM's exit, in {@code stage}. False when the JVM is already
     * shutting down: the action will not run, and the caller must not count on it.
     */
    public static boolean register(Stage stage, Runnable action) {
        synchronized (LOCK) {
            if (running) {
                return false;
            }
            if (!hooked) {
                try {
                    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("mdocker-exit").unstarted(AtExit::runAll));
                } catch (IllegalStateException e) {
                    return false; // the JVM is shutting down
                }
                hooked = true;
            }
            ACTIONS.get(stage.ordinal()).add(action);
            return true;
        }
    }

    private static void runAll() {
        synchronized (LOCK) {
            running = true;
        }
        for (List<Runnable> stage : ACTIONS) {
            for (Runnable action : stage) {
                try {
                    action.run();
                } catch (RuntimeException | Error e) {
                    System.getLogger(AtExit.class.getName()).log(System.Logger.Level.WARNING,
                            "mdocker: an action at exit failed: " + e, e);
                }
            }
        }
    }
}
