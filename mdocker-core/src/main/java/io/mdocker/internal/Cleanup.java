package io.mdocker.internal;

import java.util.List;
import java.util.function.Consumer;

/** Teardown helpers shared by everything that releases several things at once. */
public final class Cleanup {
    private Cleanup() {}

    /**
     * Applies {@code release} to the items last to first, trying every one: the first failure is
     * thrown once all were tried, later ones attached to it as suppressed.
     */
    public static <T> void inReverse(List<T> items, Consumer<? super T> release) {
        RuntimeException first = null;
        for (int i = items.size() - 1; i >= 0; i--) {
            try {
                release.accept(items.get(i));
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
