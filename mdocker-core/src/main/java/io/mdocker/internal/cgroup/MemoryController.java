package io.mdocker.internal.cgroup;

import java.nio.file.Path;

/**
 * memory: the limit, and swap set so that the limit holds (memory+swap equal to memory unless
 * the user asked for more); usage, peak and OOM kills.
 *
 * <pre>
 *            v1 (memory hierarchy)              v2
 * limit      memory.limit_in_bytes              memory.max
 * +swap      memory.memsw.limit_in_bytes        memory.swap.max (swap alone: memsw - limit)
 * usage      memory.usage_in_bytes              memory.current
 * peak       memory.max_usage_in_bytes          memory.peak (Linux 5.19+)
 * OOM kills  memory.oom_control: oom_kill       memory.events: oom_kill
 * </pre>
 */
final class MemoryController {
    private MemoryController() {}

    static final String V1_SWAP_FILE = "memory.memsw.limit_in_bytes";
    static final String V2_SWAP_FILE = "memory.swap.max";
    private static boolean hasSwapFile(CgroupFs fs, Path dir, String file) {
        return fs.siblingsHave(dir, file);
    }

    static void applyV1(CgroupFs fs, Path dir, CgroupSpec s) {
        if (s.memory() == CgroupSpec.UNSET) {
            return;
        }
        // A fresh cgroup is unlimited in both: the limit first, then memsw (which must be >= it).
        fs.write(dir.resolve("memory.limit_in_bytes"), Long.toString(s.memory()));
        Path memsw = dir.resolve(V1_SWAP_FILE);
        if (hasSwapFile(fs, dir, V1_SWAP_FILE)) {
            long total = s.effectiveMemorySwap();
            fs.write(memsw, total == CgroupSpec.UNLIMITED ? "-1" : Long.toString(total));
        }
    }

    static void applyV2(CgroupFs fs, Path dir, CgroupSpec s) {
        if (s.memory() == CgroupSpec.UNSET) {
            return;
        }
        fs.write(dir.resolve("memory.max"), Long.toString(s.memory()));
        Path swap = dir.resolve(V2_SWAP_FILE);
        if (hasSwapFile(fs, dir, V2_SWAP_FILE)) {
            long total = s.effectiveMemorySwap();
            fs.write(swap, total == CgroupSpec.UNLIMITED ? "max" : Long.toString(total - s.memory()));
        }
    }

    static CgroupStats statsV1(CgroupFs fs, Path dir) {
        long oom = fs.readKeyed(dir.resolve("memory.oom_control")).getOrDefault("oom_kill", -1L);
        return new CgroupStats(fs.readLong(dir.resolve("memory.usage_in_bytes")),
                fs.readLong(dir.resolve("memory.max_usage_in_bytes")), -1, -1, oom);
    }

    static CgroupStats statsV2(CgroupFs fs, Path dir) {
        Path peak = dir.resolve("memory.peak");
        long oom = fs.readKeyed(dir.resolve("memory.events")).getOrDefault("oom_kill", -1L);
        return new CgroupStats(fs.readLong(dir.resolve("memory.current")),
                fs.exists(peak) ? fs.readLong(peak) : -1, -1, -1, oom);
    }

    static long oomKillsV1(CgroupFs fs, Path dir) {
        return fs.readKeyed(dir.resolve("memory.oom_control")).getOrDefault("oom_kill", 0L);
    }

    static long oomKillsV2(CgroupFs fs, Path dir) {
        return fs.readKeyed(dir.resolve("memory.events")).getOrDefault("oom_kill", 0L);
    }
}
