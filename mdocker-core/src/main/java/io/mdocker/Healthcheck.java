package io.mdocker;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * An image's Healthcheck, as its config states it ({@link Image#healthcheck()}), run by
 * {@link Wait#forHealthcheck()}.
 *
 * @param test        {@code ["CMD", program, args...]}, {@code ["CMD-SHELL", "command"]} or {@code ["NONE"]}
 * @param interval    the pause between two runs (Docker's default 30 s where the image has none)
 * @param timeout     how long one run may take (default 30 s)
 * @param retries     how many failures in a row make the check fail (default 3)
 * @param startPeriod how long after the start failures do not count (default 0)
 */
public record Healthcheck(List<String> test, Duration interval, Duration timeout, int retries, Duration startPeriod) {
    /** Copies the list; checks nothing is missing. */
    public Healthcheck {
        test = List.copyOf(test);
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(startPeriod, "startPeriod");
    }

    /** Whether the image turns off a check it inherited ({@code ["NONE"]}). */
    public boolean disabled() {
        return !test.isEmpty() && test.get(0).equals("NONE");
    }

    /** The command run in the container: CMD's words, or {@code /bin/sh -c COMMAND} for CMD-SHELL. */
    public List<String> command() {
        if (test.size() >= 2 && test.get(0).equals("CMD")) {
            return test.subList(1, test.size());
        }
        if (test.size() == 2 && test.get(0).equals("CMD-SHELL")) {
            return List.of("/bin/sh", "-c", test.get(1));
        }
        throw new IllegalArgumentException("healthcheck test " + test
                + ": expected [\"CMD\", program, args...] or [\"CMD-SHELL\", command]");
    }
}
