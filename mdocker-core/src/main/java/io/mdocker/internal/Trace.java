package io.mdocker.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * Timing of the start and teardown steps, for finding where a container's milliseconds go:
 * with {@code -Dmdocker.trace=true} each step records {@link System#nanoTime()} (CLOCK_MONOTONIC,
 * the clock an mdocker-init built with {@code -DMDK_TRACE} uses for its own steps) in a list of
 * the calling thread, which {@link #take()} hands over and clears. Off by default: then a mark is
 * one read of a static final field.
 */
public final class Trace {
    private Trace() {}

    private static final boolean ON = Boolean.getBoolean("mdocker.trace");
    private static final ThreadLocal<List<Mark>> MARKS = ThreadLocal.withInitial(ArrayList::new);

    /** One step: when it ended and its name. */
    public record Mark(long nanos, String label) {}

    /** Records that {@code label} is done now (when tracing is on). */
    public static void mark(String label) {
        if (ON) {
            MARKS.get().add(new Mark(System.nanoTime(), label));
        }
    }

    /** The calling thread's marks since the last take, oldest first. */
    public static List<Mark> take() {
        List<Mark> m = List.copyOf(MARKS.get());
        MARKS.get().clear();
        return m;
    }
}
