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

    /**
     * The shared parents mdocker owns (its default {@code mdocker}): kept while the JVM lives, so
     * that the next container need not make them again, and removed when empty at its exit
     * ({@link ContainerCgroups#removeUnusedParents()}) or by recovery.
     */
    List<Path> removableParents();

    /** Makes the directories (and missing parents) and writes the limits. */
    void create(CgroupSpec spec);

    /** Moves process {@code pid} into the cgroup, in every hierarchy. */
    void join(int pid);

    CgroupStats stats();

    /** How many processes the OOM killer has killed in the cgroup; 0 when it cannot tell. */
    long oomKills();

    /**
     * The cgroup file systems to mount in the container, one per hierarchy it has a directory
     * in, as its cgroup namespace shows them: each shows the container's own cgroup as its root.
     */
    List<ContainerCgroups.Mount> containerMounts(CgroupLayout.Kind kind);

    /** Kills what is still inside and removes the directories. */
    void destroy();
}
