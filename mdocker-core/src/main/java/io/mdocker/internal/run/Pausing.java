package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.internal.cgroup.Freezer;

import java.nio.file.Path;
import java.util.List;

/**
 * Docker's pause, for a container of this JVM (its own cgroups) and a detached one (the cgroups
 * its record names) alike: freezing, the refusal of exec while frozen, and the thaw after a
 * signal (a frozen process acts on no signal, on v1 not even SIGKILL).
 */
public final class Pausing {
    private Pausing() {}

    /** Freezes ({@code paused}) or thaws {@code target}. */
    public static void set(Target target, boolean paused) {
        String shortId = target.shortId();
        List<Path> dirs = target.cgroupDirs();
        String verb = paused ? "pause" : "unpause";
        if (!target.isRunning()) {
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

    public static boolean isPaused(List<Path> dirs) {
        return Freezer.isFrozen(CgroupFs.REAL, dirs);
    }

    /** Thaws the cgroups if frozen: after a signal was sent, or before pid 1 is killed. */
    public static void thaw(List<Path> dirs) {
        try {
            if (isPaused(dirs)) {
                Freezer.set(CgroupFs.REAL, dirs, false);
            }
        } catch (RuntimeException e) {
            // its cgroups are going: nothing left to thaw
        }
    }

    /** Whether {@code target} runs and is paused. */
    public static boolean isPaused(Target target) {
        return target.isRunning() && isPaused(target.cgroupDirs());
    }
}
