package io.mdocker.internal.cgroup;

import java.nio.file.Path;

/**
 * cpuset: the CPUs a container may run on, and the memory nodes it may allocate on. On v1 a new cpuset cgroup starts with no CPUs and no
 * memory nodes, and a process cannot join it until both are set (ENOSPC). mdocker's own parent
 * has {@code cgroup.clone_children} set, so the kernel copies them into each new container's
 * cgroup; below a parent the user named, and in ancestors found empty, they are copied by hand.
 * On v2 an empty cpuset.cpus inherits.
 */
final class CpusetController {
    private CpusetController() {}

    /** Fills an empty cpuset.cpus / cpuset.mems of {@code dir} from its parent's. */
    static void inheritV1(CgroupFs fs, Path dir) {
        for (String file : new String[] {"cpuset.cpus", "cpuset.mems"}) {
            Path f = dir.resolve(file);
            if (fs.read(f).isEmpty()) {
                fs.write(f, fs.read(dir.getParent().resolve(file)));
            }
        }
    }

    /** Makes a parent mdocker owns copy cpus and mems into the cgroups made below it. */
    static void cloneChildrenV1(CgroupFs fs, Path parent) {
        Path f = parent.resolve("cgroup.clone_children");
        if (!fs.read(f).equals("1")) {
            fs.write(f, "1");
        }
    }

    /** @param cloned whether the kernel filled cpus and mems from the parent (clone_children) */
    static void applyV1(CgroupFs fs, Path dir, CgroupSpec s, boolean cloned) {
        if (cloned) {
            applyV2(fs, dir, s); // the same two files, each only when set
            return;
        }
        fill(fs, dir, s);
    }

    /** Copies mems, and cpus unless the spec names them, from the parent (filling it first when empty). */
    static void fill(CgroupFs fs, Path dir, CgroupSpec s) {
        Path parent = dir.getParent();
        String mems = fs.read(parent.resolve("cpuset.mems"));
        String cpus = fs.read(parent.resolve("cpuset.cpus"));
        if (mems.isEmpty() || cpus.isEmpty()) { // a parent another JVM has just made and not filled yet
            inheritV1(fs, parent);
            mems = fs.read(parent.resolve("cpuset.mems"));
            cpus = fs.read(parent.resolve("cpuset.cpus"));
        }
        fs.write(dir.resolve("cpuset.mems"), s.cpusetMems() != null ? s.cpusetMems() : mems);
        fs.write(dir.resolve("cpuset.cpus"), s.cpusetCpus() != null ? s.cpusetCpus() : cpus);
    }

    static void applyV2(CgroupFs fs, Path dir, CgroupSpec s) {
        if (s.cpusetCpus() != null) {
            fs.write(dir.resolve("cpuset.cpus"), s.cpusetCpus());
        }
        if (s.cpusetMems() != null) {
            fs.write(dir.resolve("cpuset.mems"), s.cpusetMems());
        }
    }
}
