package io.mdocker;

import io.mdocker.testing.Fixtures;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runtimes on state roots of their own below {@link Fixtures#STATE}, named per test, for tests of
 * detached containers (which outlive whoever started them): {@link #sweep()} removes every
 * detached container left on any of them, whatever the tests' outcome.
 */
final class DetachedRoots {
    private final Set<String> used = ConcurrentHashMap.newKeySet();

    /** The runtime on the roots named {@code name}, remembered for the sweep. */
    ContainerRuntime runtime(String name) {
        used.add(name);
        return ContainerRuntime.at(Fixtures.STATE.resolve(name + "/lib"), Fixtures.STATE.resolve(name + "/run"));
    }

    /** Force-removes the detached containers of every runtime handed out. */
    void sweep() {
        used.forEach(name -> Leftovers.removeDetached(runtime(name)));
    }
}
