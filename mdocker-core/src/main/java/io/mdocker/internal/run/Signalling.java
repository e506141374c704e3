package io.mdocker.internal.run;

import io.mdocker.ContainerException;

import java.time.Duration;

/** Docker's kill and stop: a signal to pid 1, then the thaw a frozen container needs to act on it. */
public final class Signalling {
    private Signalling() {}

    /** SIGTERM. */
    public static final int SIGTERM = 15;
    /** SIGKILL. */
    public static final int SIGKILL = 9;
    /** How long stop waits for the end after SIGKILL. */
    static final Duration KILL_WAIT = Duration.ofSeconds(10);

    /** Sends {@code signal} to pid 1 of {@code target}; false when it no longer runs. */
    public static boolean kill(Target target, int signal) {
        boolean sent = target.signalPid1(signal);
        if (sent) {
            Pausing.thaw(target.cgroupDirs()); // a frozen process acts on no signal until thawed
        }
        return sent;
    }

    /**
     * The container's stop signal ({@link Target#stopSignal()}: SIGTERM unless its image or its
     * definition names another), up to {@code grace} for the end, then SIGKILL and up to
     * {@link #KILL_WAIT} more.
     *
     * @throws ContainerException when it still runs after that
     */
    public static void stop(Target target, Duration grace) {
        kill(target, target.stopSignal());
        if (!target.awaitExit(grace)) {
            killAndAwait(target);
        }
    }

    /**
     * SIGKILL and up to {@link #KILL_WAIT} for the end.
     *
     * @throws ContainerException when it still runs after that
     */
    public static void killAndAwait(Target target) {
        kill(target, SIGKILL);
        if (!target.awaitExit(KILL_WAIT)) {
            throw new ContainerException("container " + target.shortId() + " did not exit within "
                    + KILL_WAIT.toSeconds() + " s of SIGKILL");
        }
    }
}
