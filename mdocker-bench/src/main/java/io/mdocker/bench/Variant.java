package io.mdocker.bench;

/**
 * A named way of doing the same work: an mdocker configuration or another runtime.
 *
 * @param name  as the report shows it
 * @param work  one container from start to exit (or to the moment the row's name says), timed
 * @param after what the work leaves to finish before the next variant runs, not timed (a started
 *              container's end and removal, a warm pool's refill)
 */
public record Variant(String name, Work work, Work after) {
    /** A variant with nothing to finish after its timed work. */
    public Variant(String name, Work work) {
        this(name, work, () -> { });
    }
}
