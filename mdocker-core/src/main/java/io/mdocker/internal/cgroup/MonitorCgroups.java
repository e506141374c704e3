package io.mdocker.internal.cgroup;

import io.mdocker.internal.HostResource;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the monitors (mdocker-init) of detached containers live: out of the cgroup of the process
 * that started them, so that stopping that process's service does not take them along. A service
 * manager stops a service by killing everything in its cgroup on the hierarchy it tracks
 * processes by (systemd: the unified one, or {@code name=systemd} on a legacy host); a detached
 * container's pid 1 is in cgroups of its own already, but it dies with its monitor. So once a
 * detached container runs, its monitor moves to {@code <mount>/mdocker-monitors} on each such
 * hierarchy where the starting process is not in the top cgroup — as Docker's containerd-shim
 * lives in containerd's cgroup rather than the CLI's. That cgroup has no controllers of its own
 * (the monitors are a few hundred KiB and one process each, counted nowhere) and is removed when
 * the last monitor in it has exited ({@link #removeIfEmpty}).
 */
public final class MonitorCgroups {
    private MonitorCgroups() {}

    /** The cgroup's name below each tracking hierarchy's mount. */
    public static final String NAME = "mdocker-monitors";
    private static final int RACE_RETRIES = 5;

    /**
     * Moves process {@code pid} to the monitors' cgroup on every tracking hierarchy where this
     * process is not in the top cgroup; returns the cgroups it went to.
     */
    public static List<Path> adopt(CgroupLayout layout, CgroupFs fs, int pid) {
        List<Path> moved = new ArrayList<>();
        for (CgroupLayout.Hierarchy h : layout.tracking()) {
            if (h.ownPath().equals("/")) {
                continue; // nothing to leave: a service manager does not kill the top cgroup
            }
            Path dir = h.mount().resolve(NAME);
            for (int attempt = 0; ; attempt++) {
                try {
                    fs.mkdir(dir); // false: it exists
                    fs.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
                    moved.add(dir);
                    break;
                } catch (NoSuchFileException | CgroupException e) {
                    // removed by another process between the mkdir and the write (its last monitor exited)
                    if (attempt >= RACE_RETRIES || fs.exists(dir)) {
                        throw e instanceof CgroupException ce ? ce
                                : new CgroupException("creating cgroup " + dir + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        return moved;
    }

    /**
     * The move of a detached container's monitor, as a resource of its start: attached with pid 1
     * (before GO), it moves the monitor, and pid 1 too on the hierarchies where the container has
     * no cgroup of its own ({@code containerDirs} lie on the others), before pid 1 makes its cgroup
     * namespace; closed, it removes the monitors' cgroup if that is empty then.
     */
    public static HostResource forDetached(CgroupLayout layout, CgroupFs fs, int monitorPid, List<Path> containerDirs) {
        return new HostResource() {
            @Override
            public void attach(int pid1) {
                for (Path dir : adopt(layout, fs, monitorPid)) {
                    if (containerDirs.stream().noneMatch(d -> d.startsWith(dir.getParent()))) {
                        fs.write(dir.resolve("cgroup.procs"), Integer.toString(pid1));
                    }
                }
            }

            @Override
            public void close() {
                removeIfEmpty(layout, fs);
            }
        };
    }

    /** Removes the monitors' cgroups that no monitor is in any more (others stay as they are). */
    public static void removeIfEmpty(CgroupLayout layout, CgroupFs fs) {
        for (CgroupLayout.Hierarchy h : layout.tracking()) {
            Path dir = h.mount().resolve(NAME);
            if (fs.exists(dir)) {
                try {
                    fs.rmdirIfUnused(dir);
                } catch (CgroupException e) {
                    // removed meanwhile by another process, or the next release does it
                }
            }
        }
    }
}
