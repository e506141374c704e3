package io.mdocker.internal.cgroup;

import java.nio.file.Path;

/** pids: the most processes (and threads) the container may have; pids.max and pids.current on v1 and v2 alike. */
final class PidsController {
    private PidsController() {}

    static void apply(CgroupFs fs, Path dir, CgroupSpec s) {
        if (s.pidsMax() != CgroupSpec.UNSET) {
            fs.write(dir.resolve("pids.max"), Long.toString(s.pidsMax()));
        }
    }

    static long current(CgroupFs fs, Path dir) {
        return fs.readLong(dir.resolve("pids.current"));
    }
}
