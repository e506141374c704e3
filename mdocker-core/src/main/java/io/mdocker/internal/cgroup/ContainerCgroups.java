package io.mdocker.internal.cgroup;

import io.mdocker.internal.Cleanup;
import io.mdocker.internal.HostResource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One container's cgroups: planned (and checked against the host's layout) before anything
 * exists, recorded in the container's state, created with their limits before the container is
 * spawned, joined by its pid 1 before GO, read for stats, and removed after it has exited —
 * stragglers killed first. Holds a {@link V1Cgroup}, a {@link V2Cgroup} or, on a hybrid host
 * whose managed controllers are split, both.
 *
 * <p>Thread-safe: stats may be read while another thread closes; after close they are the
 * last figures read before the directories went.
 */
public final class ContainerCgroups implements HostResource {
    /** The default parent: {@code <own cgroup>/mdocker} on v1, {@code /mdocker} on v2. */
    public static final String DEFAULT_PARENT = "mdocker";

    private static final String KEY = "cgroup.";
    private static final String PARENT_KEY = "cgroupParent.";
    /** The default parents this JVM has used, removed when empty at its exit. */
    private static final Set<Parent> PARENTS = ConcurrentHashMap.newKeySet();

    private record Parent(CgroupFs fs, Path dir) {
        // Written out: a record's generated equals and hashCode are made by method handles spun on
        // first use (milliseconds of a one-shot CLI run).
        @Override
        public boolean equals(Object o) {
            return o instanceof Parent p && p.fs.equals(fs) && p.dir.equals(dir);
        }

        @Override
        public int hashCode() {
            return fs.hashCode() * 31 + dir.hashCode();
        }
    }

    private final CgroupFs fs;
    private final CgroupLayout.Kind kind;
    private final CgroupSpec spec;
    private final List<CgroupManager> managers;
    private boolean created; // guarded by this
    private boolean closed; // guarded by this
    private CgroupStats last = CgroupStats.UNKNOWN; // guarded by this

    private ContainerCgroups(CgroupFs fs, CgroupLayout.Kind kind, CgroupSpec spec, List<CgroupManager> managers) {
        this.fs = fs;
        this.kind = kind;
        this.spec = spec;
        this.managers = List.copyOf(managers);
    }

    /**
     * Plans the cgroups of container {@code id}. Throws IllegalArgumentException when a limit
     * needs a controller this host does not have (naming it and the layout found), before
     * anything is created.
     */
    public static ContainerCgroups plan(CgroupLayout layout, CgroupSpec spec, String id, CgroupFs fs) {
        for (Map.Entry<String, String> need : spec.required().entrySet()) {
            if (!layout.has(need.getKey())) {
                throw new IllegalArgumentException("the " + need.getValue() + " needs the " + need.getKey()
                        + " cgroup controller, which this host does not have: cgroup layout " + layout.describe());
            }
        }
        CgroupLayout.Hierarchy memory = layout.v1("memory");
        if (memory != null && spec.memorySwap() != CgroupSpec.UNSET && spec.memorySwap() != spec.memory()
                && !fs.exists(memory.own().resolve(MemoryController.V1_SWAP_FILE))) {
            throw new IllegalArgumentException("a memory+swap limit needs swap accounting, which this host's memory cgroup"
                    + " lacks (no " + MemoryController.V1_SWAP_FILE + "; the kernel needs swapaccount=1)");
        }
        List<CgroupManager> managers = new ArrayList<>();
        V1Cgroup v1 = V1Cgroup.plan(fs, layout, spec.parent(), id);
        if (v1 != null) {
            managers.add(v1);
        }
        V2Cgroup v2 = V2Cgroup.plan(fs, layout, spec.parent(), id);
        if (v2 != null) {
            managers.add(v2);
        }
        return new ContainerCgroups(fs, layout.kind(), spec, managers);
    }

    /**
     * Plans a rootless container's cgroup below {@code delegated} (from {@link Delegation#check}):
     * {@code <delegated>/mdocker/<id>}, with the same limits as when root.
     */
    public static ContainerCgroups planDelegated(CgroupLayout layout, Path delegated, CgroupSpec spec, String id,
                                                 CgroupFs fs) {
        return new ContainerCgroups(fs, layout.kind(), spec,
                List.of(V2Cgroup.planDelegated(fs, layout, delegated, id)));
    }

    /**
     * No cgroup of the container's own (rootless, without a delegated subtree): nothing is created,
     * joined, mounted or removed; stats are unknown.
     */
    public static ContainerCgroups none(CgroupLayout layout, CgroupFs fs) {
        return new ContainerCgroups(fs, layout.kind(), CgroupSpec.NONE, List.of());
    }

    /**
     * The container's cgroup v2 directory, where there is one: where the monitor attaches the
     * device program (BPF_PROG_TYPE_CGROUP_DEVICE) when the host has no v1 devices controller.
     */
    public java.util.Optional<Path> v2Dir() {
        for (CgroupManager m : managers) {
            if (m instanceof V2Cgroup v2) {
                return java.util.Optional.of(v2.dirs().get(0));
            }
        }
        return java.util.Optional.empty();
    }

    /**
     * A cgroup file system the container's pid 1 mounts in its cgroup namespace (as Docker does),
     * so that programs inside read their own limits (a JVM sizes its heap from them):
     * {@code target} below {@link #ROOT}, {@code controllers} the v1 hierarchy's (empty: cgroup2).
     */
    public record Mount(String target, String controllers) {
        /** Where the cgroup file systems go in the container. */
        public static final String ROOT = "/sys/fs/cgroup";

        /** Below {@link #ROOT}, under the host's name for the hierarchy mounted at {@code hostMount}. */
        public static Mount of(Path hostMount, String controllers) {
            return new Mount(ROOT + "/" + hostMount.getFileName(), controllers);
        }
    }

    /** The cgroup file systems the container mounts, v1 hierarchies before the unified one. */
    public List<Mount> containerMounts() {
        List<Mount> mounts = new ArrayList<>();
        for (CgroupManager m : managers) {
            mounts.addAll(m.containerMounts(kind));
        }
        return mounts;
    }

    /** The container's cgroup directories. */
    public List<Path> dirs() {
        List<Path> d = new ArrayList<>();
        for (CgroupManager m : managers) {
            d.addAll(m.dirs());
        }
        return d;
    }

    /**
     * What the state record keeps so that a later runtime can remove these cgroups when this JVM
     * dies: {@code cgroup.N=v1|v2 <dir>} and {@code cgroupParent.N=v1|v2 <dir>}.
     */
    public Map<String, String> stateInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        int n = 0;
        int np = 0;
        for (CgroupManager m : managers) {
            String v = m instanceof V1Cgroup ? "v1 " : "v2 ";
            for (Path d : m.dirs()) {
                info.put(KEY + (++n), v + d);
            }
            for (Path p : m.removableParents()) {
                info.put(PARENT_KEY + (++np), v + p);
            }
        }
        return info;
    }

    /** Makes the directories and writes the limits; on failure removes what it made and throws. */
    public void create() {
        synchronized (this) {
            created = true;
        }
        for (CgroupManager m : managers) {
            for (Path p : m.removableParents()) {
                PARENTS.add(new Parent(fs, p));
            }
        }
        try {
            for (CgroupManager m : managers) {
                m.create(spec);
            }
        } catch (RuntimeException e) {
            try {
                close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Puts the container's pid 1 into its cgroups: called between sync 2 (CONFIG) and sync 3 (GO). */
    @Override
    public void attach(int pid) {
        for (CgroupManager m : managers) {
            m.join(pid);
        }
    }

    /** The figures now; after close, the last ones read while open. */
    public synchronized CgroupStats stats() {
        if (closed) {
            return last;
        }
        CgroupStats st = CgroupStats.UNKNOWN;
        for (CgroupManager m : managers) {
            st = st.or(m.stats());
        }
        last = st;
        return st;
    }

    /** OOM kills so far (after close: as last read). */
    public synchronized long oomKills() {
        if (closed) {
            return Math.max(0, last.oomKills());
        }
        long n = 0;
        for (CgroupManager m : managers) {
            n += m.oomKills();
        }
        return n;
    }

    /** Kills stragglers and removes the directories; idempotent. The first failure is thrown after all were tried. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        Cleanup.inReverse(managers, CgroupManager::destroy);
    }

    /**
     * The directories from {@code dir} up to (not including) {@code base} that do not exist yet,
     * deepest first: of a cgroup parent the caller chose, the ones mdocker would make, and so the
     * only ones it removes again (when empty) once the container is gone. A parent that existed
     * before is never removed.
     */
    static List<Path> missing(CgroupFs fs, Path base, Path dir) {
        List<Path> out = new ArrayList<>();
        for (Path p = dir; p != null && p.startsWith(base) && !p.equals(base) && !fs.exists(p); p = p.getParent()) {
            out.add(p);
        }
        return out;
    }

    /**
     * Removes the default parents this JVM used where they are empty: at the JVM's exit, once its
     * containers are closed. Parents other JVMs still use stay.
     */
    public static void removeUnusedParents() {
        for (Parent p : PARENTS) {
            try {
                p.fs().rmdirIfUnused(p.dir());
            } catch (RuntimeException e) {
                // best effort at exit
            }
            PARENTS.remove(p);
        }
    }

    /**
     * Recovery: removes the cgroups a state record names (see {@link #stateInfo()}), killing
     * what is still inside. Returns the directories removed.
     */
    public static List<Path> removeRecorded(Map<String, String> state, CgroupFs fs) {
        List<Path> v1 = recorded(state, KEY, "v1 ");
        List<Path> v2 = recorded(state, KEY, "v2 ");
        List<Path> v1Parents = recorded(state, PARENT_KEY, "v1 ");
        List<Path> v2Parents = recorded(state, PARENT_KEY, "v2 ");
        List<Path> removed = new ArrayList<>();
        for (Path d : v1) {
            if (fs.exists(d)) {
                removed.add(d);
            }
        }
        for (Path d : v2) {
            if (fs.exists(d)) {
                removed.add(d);
            }
        }
        V1Cgroup.remove(fs, v1.stream().filter(fs::exists).toList(), v1Parents);
        for (Path d : v2) {
            V2Cgroup.remove(fs, d, v2Parents);
        }
        return removed;
    }

    /**
     * What the cgroups a state record names have counted (a detached container's, read by any
     * process): each v1 directory is read for the controllers whose files it has.
     */
    public static CgroupStats statsOfRecorded(Map<String, String> state, CgroupFs fs) {
        CgroupStats st = CgroupStats.UNKNOWN;
        for (Path d : recorded(state, KEY, "v1 ")) {
            st = st.or(V1Cgroup.statsOf(fs, d, c -> fs.exists(d.resolve(V1_PROBE.get(c)))));
        }
        for (Path d : recorded(state, KEY, "v2 ")) {
            st = st.or(V2Cgroup.statsOf(fs, d, c -> fs.exists(d.resolve(c + ".current"))));
        }
        return st;
    }

    /** Every cgroup directory a container's state records (v1 and v2). */
    public static List<Path> recordedDirs(Map<String, String> state) {
        List<Path> out = new java.util.ArrayList<>(recorded(state, KEY, "v1 "));
        out.addAll(recorded(state, KEY, "v2 "));
        return out;
    }

    /** A file each v1 controller's directory has: which hierarchy a recorded directory is in. */
    private static final Map<String, String> V1_PROBE = Map.of(
            "memory", "memory.usage_in_bytes", "cpuacct", "cpuacct.usage", "pids", "pids.current");

    /** The directories of {@code state}'s entries {@code key}N = "{@code version}dir", in N's order. */
    private static List<Path> recorded(Map<String, String> state, String key, String version) {
        Map<Integer, Path> dirs = new TreeMap<>();
        for (Map.Entry<String, String> e : state.entrySet()) {
            if (e.getKey().startsWith(key) && e.getValue().startsWith(version)) {
                try {
                    dirs.put(Integer.parseInt(e.getKey().substring(key.length())), Path.of(e.getValue().substring(version.length())));
                } catch (NumberFormatException ignored) {
                    // not one of ours
                }
            }
        }
        return new ArrayList<>(dirs.values());
    }

    @Override
    public String toString() {
        return "ContainerCgroups" + dirs();
    }
}
