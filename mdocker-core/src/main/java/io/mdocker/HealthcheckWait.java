package io.mdocker;

import java.time.Duration;
import java.util.List;

/**
 * Ready once the image's Healthcheck passes ({@link ContainerHandle#healthcheck()}): its command
 * run by exec at once and then every Interval, each run limited to its Timeout; failures during
 * the StartPeriod do not count, and Retries failures in a row after it end the wait with an error
 * naming the check. The wait's own timeout bounds the whole.
 */
final class HealthcheckWait extends WaitBase {
    HealthcheckWait(Duration timeout) {
        super(timeout);
    }

    @Override
    public void waitUntilReady(ContainerHandle c) {
        Healthcheck h = c.healthcheck().orElseThrow(() -> new IllegalStateException("container " + c.shortId()
                + " has no healthcheck to wait for: its image defines none: expected an image with a Healthcheck, or another wait strategy"));
        if (h.disabled()) {
            throw new IllegalStateException("container " + c.shortId() + " has no healthcheck to wait for: its image"
                    + " turns it off (Test [\"NONE\"]): expected another wait strategy");
        }
        List<String> command = h.command();
        long start = System.nanoTime();
        long deadline = start + timeout().toNanos();
        int failures = 0;
        Wait.CommandRunner exec = CommandWait.exec(h.timeout());
        while (true) {
            boolean running = c.isRunning();
            Wait.CommandOutcome o = running ? exec.run(c, command) : null;
            if (o != null && o.exitCode() == 0) {
                return;
            }
            PollingWait.NotReady last = o == null ? null : new PollingWait.NotReady(String.join(" ", command)
                    + " exited with " + o.exitCode() + (o.output().isBlank() ? "" : ": " + o.output().strip()));
            if (!running) {
                throw exited(c, last);
            }
            if (System.nanoTime() - start >= h.startPeriod().toNanos() && ++failures >= h.retries()) {
                throw new WaitTimeoutException("container " + c.shortId() + ": healthcheck " + h.test() + " failed "
                        + failures + " times in a row (last: " + last.getMessage().lines().findFirst().orElse("") + ")",
                        lastOutput(c), last);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw timedOut(c, last);
            }
            sleep(Math.min(h.interval().toNanos(), left));
        }
    }

    @Override
    public WaitStrategy withTimeout(Duration timeout) {
        return new HealthcheckWait(timeout);
    }

    @Override
    public String description() {
        return "the image's healthcheck to pass";
    }
}
