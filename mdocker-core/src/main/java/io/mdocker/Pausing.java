package io.mdocker;

import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.internal.cgroup.Freezer;

import java.nio.file.Path;
import java.util.List;

/**
 * Docker's pause for both handles, {@link RunningContainer} (its own cgroups) and
 * {@link DetachedContainer} (the cgroups its record names): freezing, the refusal of exec while
 * frozen, and the thaw after a signal (a frozen process acts on no signal, on v1 not even SIGKILL).
 */
final class Pausing {
    private Pausing() {}

    /** Freezes ({@code paused}) or thaws container {@code shortId}, whose cgroups are {@code dirs}. */
    static void set(String shortId, boolean running, List<Path> dirs, boolean paused) {
        String verb = paused ? "pause" : "unpause";
        if (!running) {
            throw new ContainerException("container " + shortId + " is not running: cannot " + verb + " it");
        }
        boolean done;
        try {
            done = Freezer.set(CgroupFs.REAL, dirs, paused);
        } catch (RuntimeException e) {
            throw new ContainerException("cannot " + verb + " container " + shortId + ": " + e.getMessage(), e);
        }
        if (!done) {
            throw new ContainerException("cannot " + verb + " container " + shortId
                    + ": none of its cgroups has a freezer (" + CgroupLayout.host().describe() + ")");
        }
    }

    static boolean isPaused(List<Path> dirs) {
        return Freezer.isFrozen(CgroupFs.REAL, dirs);
    }

    /** Thaws the cgroups if frozen: after a signal was sent, or before pid 1 is killed. */
    static void thaw(List<Path> dirs) {
        try {
            if (isPaused(dirs)) {
                Freezer.set(CgroupFs.REAL, dirs, false);
            }
        } catch (RuntimeException e) {
            // its cgroups are going: nothing left to thaw
        }
    }

    /** Docker's refusal of exec into a paused container. */
    static void refuseExecIfPaused(String shortId, List<Path> dirs) {
        if (isPaused(dirs)) {
            throw new ContainerException("container " + shortId + " is paused: unpause it before exec");
        }
    }
}
