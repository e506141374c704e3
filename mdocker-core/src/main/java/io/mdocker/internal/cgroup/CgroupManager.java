package io.mdocker.internal.cgroup;

import java.nio.file.Path;
import java.util.List;

/**
 * One container's cgroup on one cgroup version: {@link V1Cgroup} (a directory in each v1
 * hierarchy) or {@link V2Cgroup} (one directory on the unified hierarchy). The lifecycle is
 * create, join, (stats), destroy; a hybrid host may need one of each.
 */
interface CgroupManager {
    /** The container's cgroup directories, one per hierarchy. */
    List<Path> dirs();

    /** The shared parents mdocker owns and removes when they are empty (its default {@code mdocker}). */
    List<Path> removableParents();

    /** Makes the directories (and missing parents) and writes the limits. */
    void create(CgroupSpec spec);

    /** Moves process {@code pid} into the cgroup, in every hierarchy. */
    void join(int pid);

    CgroupStats stats();

    /** How many processes the OOM killer has killed in the cgroup; 0 when it cannot tell. */
    long oomKills();

    /** Kills what is still inside, removes the directories and, when empty, the removable parents. */
    void destroy();
}
