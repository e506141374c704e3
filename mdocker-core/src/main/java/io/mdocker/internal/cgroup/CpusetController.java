package io.mdocker.internal.cgroup;

import java.nio.file.Path;

/**
 * cpuset: the CPUs a container may run on. On v1 a new cpuset cgroup starts with no CPUs and no
 * memory nodes, and a process cannot join it until both are set, so every cgroup mdocker makes
 * (and every ancestor it finds empty) gets its parent's. On v2 an empty cpuset.cpus inherits.
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

    static void applyV1(CgroupFs fs, Path dir, CgroupSpec s) {
        Path parent = dir.getParent();
        fs.write(dir.resolve("cpuset.mems"), fs.read(parent.resolve("cpuset.mems")));
        fs.write(dir.resolve("cpuset.cpus"), s.cpusetCpus() != null ? s.cpusetCpus() : fs.read(parent.resolve("cpuset.cpus")));
    }

    static void applyV2(CgroupFs fs, Path dir, CgroupSpec s) {
        if (s.cpusetCpus() != null) {
            fs.write(dir.resolve("cpuset.cpus"), s.cpusetCpus());
        }
    }
}
