package io.mdocker.internal.state;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image's Healthcheck as a container's state record keeps it, so that any process's handle on
 * the container can run it: the test's words joined by NUL (the properties file escapes it),
 * durations in nanoseconds.
 *
 * @param test             CMD, CMD-SHELL or NONE and its words
 * @param intervalNanos    the pause between runs
 * @param timeoutNanos     the bound on one run
 * @param retries          failures in a row that make the check fail
 * @param startPeriodNanos how long after the start failures do not count
 */
public record HealthRecord(List<String> test, long intervalNanos, long timeoutNanos, int retries, long startPeriodNanos) {
    private static final String PREFIX = "healthcheck.";

    /** Copies the list. */
    public HealthRecord {
        test = List.copyOf(test);
    }

    /** The state keys that hold it. */
    public Map<String, String> stateInfo() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(PREFIX + "test", String.join("\0", test));
        m.put(PREFIX + "interval", Long.toString(intervalNanos));
        m.put(PREFIX + "timeout", Long.toString(timeoutNanos));
        m.put(PREFIX + "retries", Integer.toString(retries));
        m.put(PREFIX + "startPeriod", Long.toString(startPeriodNanos));
        return m;
    }

    /** The check a record's state keeps; empty when it keeps none. */
    public static Optional<HealthRecord> of(Map<String, String> state) {
        String test = state.get(PREFIX + "test");
        if (test == null) {
            return Optional.empty();
        }
        return Optional.of(new HealthRecord(Arrays.asList(test.split("\0", -1)),
                Long.parseLong(state.getOrDefault(PREFIX + "interval", "0")),
                Long.parseLong(state.getOrDefault(PREFIX + "timeout", "0")),
                Integer.parseInt(state.getOrDefault(PREFIX + "retries", "0")),
                Long.parseLong(state.getOrDefault(PREFIX + "startPeriod", "0"))));
    }
}
