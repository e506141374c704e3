package io.mdocker.bench;

/**
 * A named way of doing the same work: an mdocker configuration or another runtime.
 *
 * @param name  as the report shows it
 * @param work  one container from start to exit (or to the moment the row's name says), timed
 * @param after what the work leaves to finish before the next variant runs, not timed (a started
 *              container's end and removal, a warm pool's refill)
 * @param timed null, or work that times itself and returns the nanoseconds to record instead of
 *              the time {@code work} takes (a measurement made inside another process: {@link ExecFloor})
 */
public record Variant(String name, Work work, Work after, TimedWork timed) {
    /** A variant whose work is timed around it, with {@code after} not timed. */
    public Variant(String name, Work work, Work after) {
        this(name, work, after, null);
    }

    /** A variant with nothing to finish after its timed work. */
    public Variant(String name, Work work) {
        this(name, work, () -> { });
    }

    /** A variant whose work measures itself. */
    public static Variant selfTimed(String name, TimedWork timed) {
        return new Variant(name, () -> { }, () -> { }, timed);
    }

    /** Work that returns its own duration in nanoseconds. */
    @FunctionalInterface
    public interface TimedWork {
        long runNanos() throws Exception;
    }
}
