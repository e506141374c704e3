package io.mdocker.internal.cgroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Pausing a container (Docker's {@code pause}): every process of its cgroup stopped where it
 * is, by the v2 {@code cgroup.freeze} or the v1 freezer, whichever of its directories has one.
 * Works on the directories alone, so any process can pause a container its record names.
 *
 * <p>A frozen process does not run a signal's action until thawed (v1: not even SIGKILL's), so
 * whoever signals a paused container thaws it after sending (Docker's {@code stop} and
 * {@code kill} of a paused container take effect).
 */
public final class Freezer {
    private Freezer() {}

    private static final Duration SETTLE = Duration.ofSeconds(5);

    /**
     * Freezes ({@code frozen}) or thaws the cgroups among {@code dirs} that can be; waits until
     * the kernel says they are (a v2 freeze completes once every task has stopped). False when
     * none of them has a freezer.
     *
     * @throws CgroupException when the state is not reached in time
     */
    public static boolean set(CgroupFs fs, List<Path> dirs, boolean frozen) {
        boolean any = false;
        for (Path dir : dirs) {
            if (fs.exists(dir.resolve("cgroup.freeze"))) {
                fs.write(dir.resolve("cgroup.freeze"), frozen ? "1" : "0");
                await(fs, dir, () -> v2Frozen(fs, dir) == frozen);
                any = true;
            } else if (fs.exists(dir.resolve("freezer.state"))) {
                fs.write(dir.resolve("freezer.state"), frozen ? "FROZEN" : "THAWED");
                await(fs, dir, () -> fs.read(dir.resolve("freezer.state")).equals(frozen ? "FROZEN" : "THAWED"));
                any = true;
            }
        }
        return any;
    }

    /** Whether any of {@code dirs} is frozen (or freezing). */
    public static boolean isFrozen(CgroupFs fs, List<Path> dirs) {
        for (Path dir : dirs) {
            try {
                if (fs.exists(dir.resolve("cgroup.freeze")) && fs.read(dir.resolve("cgroup.freeze")).equals("1")) {
                    return true;
                }
                if (fs.exists(dir.resolve("freezer.state")) && !fs.read(dir.resolve("freezer.state")).equals("THAWED")) {
                    return true;
                }
            } catch (CgroupException e) {
                // removed meanwhile: not frozen
            }
        }
        return false;
    }

    private static boolean v2Frozen(CgroupFs fs, Path dir) {
        for (String line : fs.read(dir.resolve("cgroup.events")).split("\n")) {
            if (line.startsWith("frozen ")) {
                return line.substring(7).trim().equals("1");
            }
        }
        return false;
    }

    private static void await(CgroupFs fs, Path dir, java.util.function.BooleanSupplier reached) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (!reached.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new CgroupException("cgroup " + dir + " did not reach its freezer state within "
                        + SETTLE.toSeconds() + " s");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CgroupException("interrupted while waiting for the freezer of " + dir);
            }
        }
    }
}
