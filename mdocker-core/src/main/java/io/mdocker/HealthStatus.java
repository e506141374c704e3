package io.mdocker;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the runs of a container's healthcheck found ({@link ContainerInfo#health()}), as Docker's
 * {@code State.Health} shows it. The checks are run by a process that holds a handle on the
 * container and calls {@link ContainerHandle#runHealthchecks()} (the command line's
 * {@code run -d} starts one); {@link #lastRun()} tells how fresh the status is.
 *
 * @param status        starting until a run passes or the failures after the start period reach
 *                      the retries; then healthy or unhealthy, following the last run
 * @param failingStreak the failed runs in a row after the start period
 * @param log           the last runs (at most five), oldest first
 */
public record HealthStatus(Status status, int failingStreak, List<Run> log) {
    /** Copies the log; checks nothing is missing. */
    public HealthStatus {
        Objects.requireNonNull(status, "status");
        log = List.copyOf(log);
    }

    /** The state of a container's health, as Docker names it. */
    public enum Status {
        /** No run has passed yet, and the failures have not reached the retries. */
        STARTING,
        /** The last run passed. */
        HEALTHY,
        /** The failures in a row reached the retries. */
        UNHEALTHY;

        /** Docker's word: {@code starting}, {@code healthy}, {@code unhealthy}. */
        public String dockerName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One run of the check.
     *
     * @param start    when it started
     * @param end      when it ended
     * @param exitCode its exit status: 0 passed; -1 when it ran out of time
     * @param output   its output (at most 4096 characters)
     */
    public record Run(Instant start, Instant end, int exitCode, String output) {
        /** Checks nothing is missing. */
        public Run {
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(end, "end");
            Objects.requireNonNull(output, "output");
        }
    }

    /** When the last run ended; empty before the first. */
    public Optional<Instant> lastRun() {
        return log.isEmpty() ? Optional.empty() : Optional.of(log.get(log.size() - 1).end());
    }
}
