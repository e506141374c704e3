package io.mdocker;


import java.time.Duration;

/**
 * A wait that probes until ready: with a growing pause between probes (a process starting up in
 * a container gives the host no descriptor to wait on), stopping as soon as the container exits.
 */
abstract class PollingWait extends WaitBase {
    private static final long FIRST_PAUSE_NANOS = 5_000_000;
    private static final long MAX_PAUSE_NANOS = 100_000_000;

    /** A probe's answer "not yet", with the reason shown should the wait time out. */
    static final class NotReady extends Exception {
        private static final long serialVersionUID = 1L;

        NotReady(String reason) {
            super(reason, null, false, false);
        }
    }

    PollingWait(Duration timeout) {
        super(timeout);
    }

    /**
     * One probe: true when ready. An exception means not ready yet; the last one becomes the
     * cause of the timeout. {@link IllegalStateException} means never: it ends the wait at once.
     */
    abstract boolean probe(ContainerHandle c) throws Exception;

    @Override
    public void waitUntilReady(ContainerHandle c) {
        long deadline = System.nanoTime() + timeout().toNanos();
        long pause = FIRST_PAUSE_NANOS;
        Exception last = null;
        while (true) {
            boolean running = c.isRunning(); // read before the probe: an exit seen after a failed probe is final
            try {
                if (probe(c)) {
                    return;
                }
                last = null;
            } catch (IllegalStateException e) {
                throw e;
            } catch (Exception e) {
                last = e;
            }
            if (!running) {
                throw exited(c, last);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw timedOut(c, last);
            }
            sleep(Math.min(pause, left));
            pause = Math.min(pause * 2, MAX_PAUSE_NANOS);
        }
    }

}
