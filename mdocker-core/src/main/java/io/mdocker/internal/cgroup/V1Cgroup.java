package io.mdocker.internal.cgroup;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A container's cgroup on cgroup v1: one directory in the hierarchy of each managed controller
 * (co-mounted controllers share one), below the cgroup this JVM runs in
 * ({@code <own>/mdocker/<id>}) so that the JVM's own limits and accounting cover its containers.
 */
final class V1Cgroup implements CgroupManager {
    /** One hierarchy: the controllers mdocker uses on it and the container's directory there. */
    /** newParents: the directories of a chosen cgroup parent missing at planning, deepest first. */
    record Slot(CgroupLayout.Hierarchy hierarchy, Set<String> controllers, Path base, Path dir, Path removableParent,
                List<Path> newParents) {}

    private static final int RACE_RETRIES = 5;
    /** mdocker's own cpuset parents known to have cgroup.clone_children set. */
    private static final Set<Path> CLONING = ConcurrentHashMap.newKeySet();

    private final CgroupFs fs;
    private final List<Slot> slots;
    private final List<Path> made = new CopyOnWriteArrayList<>();
    /** The slots' new parents this cgroup made, deepest first: removed with it when empty. */
    private final List<Path> madeParents = new CopyOnWriteArrayList<>();
    private CgroupSpec spec = CgroupSpec.NONE;

    private V1Cgroup(CgroupFs fs, List<Slot> slots) {
        this.fs = fs;
        this.slots = List.copyOf(slots);
    }

    /**
     * The plan for the managed controllers that live on v1: {@code parent} absolute is taken from
     * each hierarchy's root, relative from the JVM's own cgroup; null means {@code mdocker}
     * (relative), which is also the one parent removed again when it is empty. Null when no
     * managed controller is on v1.
     */
    static V1Cgroup plan(CgroupFs fs, CgroupLayout layout, String parent, String id) {
        Map<CgroupLayout.Hierarchy, Set<String>> byHierarchy = new LinkedHashMap<>();
        for (String c : CgroupLayout.MANAGED) {
            CgroupLayout.Hierarchy h = layout.v1(c);
            if (h != null) {
                byHierarchy.computeIfAbsent(h, k -> new LinkedHashSet<>()).add(c);
            }
        }
        if (byHierarchy.isEmpty()) {
            return null;
        }
        String p = parent != null ? parent : ContainerCgroups.DEFAULT_PARENT;
        List<Slot> slots = new ArrayList<>();
        for (Map.Entry<CgroupLayout.Hierarchy, Set<String>> e : byHierarchy.entrySet()) {
            CgroupLayout.Hierarchy h = e.getKey();
            Path parentDir = h.resolve(p);
            Path base = p.startsWith("/") ? h.mount() : h.own();
            slots.add(new Slot(h, e.getValue(), base, parentDir.resolve(id), parent == null ? parentDir : null,
                    parent == null ? List.of() : ContainerCgroups.missing(fs, base, parentDir)));
        }
        return new V1Cgroup(fs, slots);
    }

    /** For recovery: directories recorded by a JVM that is gone. */
    static void remove(CgroupFs fs, List<Path> dirs, List<Path> parents) {
        Path freezer = null;
        for (Path d : dirs) {
            if (fs.exists(d.resolve("freezer.state"))) {
                freezer = d;
            }
        }
        removeDirs(fs, dirs, freezer, parents);
    }

    @Override
    public List<Path> dirs() {
        return slots.stream().map(Slot::dir).toList();
    }

    /** One v1 mount per hierarchy, under the host's name for it ("memory", "cpu,cpuacct"). */
    @Override
    public List<ContainerCgroups.Mount> containerMounts(CgroupLayout.Kind kind) {
        return slots.stream()
                .map(s -> ContainerCgroups.Mount.of(s.hierarchy().mount(),
                        String.join(",", new java.util.TreeSet<>(s.hierarchy().controllers()))))
                .toList();
    }

    @Override
    public List<Path> removableParents() {
        List<Path> parents = new ArrayList<>();
        for (Slot s : slots) {
            if (s.removableParent() != null) {
                parents.add(s.removableParent());
            }
            parents.addAll(s.newParents());
        }
        return parents;
    }

    @Override
    public void create(CgroupSpec spec) {
        this.spec = spec;
        for (Slot s : slots) {
            // below mdocker's own parent the kernel fills a new cpuset (clone_children)
            boolean ownCpusetParent = s.controllers().contains("cpuset") && s.removableParent() != null;
            if (ownCpusetParent && !CLONING.contains(s.removableParent()) && fs.exists(s.removableParent())) {
                CpusetController.cloneChildrenV1(fs, s.removableParent());
                CLONING.add(s.removableParent());
            }
            makeDir(s); // sets clone_children on a parent it makes
            boolean cloned = ownCpusetParent && CLONING.contains(s.removableParent());
            for (String c : s.controllers()) {
                switch (c) {
                    case "memory" -> MemoryController.applyV1(fs, s.dir(), spec);
                    case "cpu" -> CpuController.applyV1(fs, s.dir(), spec);
                    case "cpuset" -> CpusetController.applyV1(fs, s.dir(), spec, cloned);
                    case "pids" -> PidsController.apply(fs, s.dir(), spec);
                    default -> { } // cpuacct and freezer: accounting and teardown only
                }
            }
        }
    }

    /**
     * Makes the container's directory, and its parents when they are missing (the first time,
     * or after another JVM removed an empty shared parent meanwhile).
     */
    private void makeDir(Slot s) {
        for (int attempt = 0; ; attempt++) {
            try {
                if (!fs.mkdir(s.dir())) {
                    throw new CgroupException("creating cgroup " + s.dir() + ": it already exists");
                }
                made.add(s.dir());
                return;
            } catch (NoSuchFileException e) {
                if (attempt >= RACE_RETRIES) {
                    throw new CgroupException("creating cgroup " + s.dir() + ": a parent kept disappearing", e);
                }
                makeParents(s);
            }
        }
    }

    private void makeParents(Slot s) {
        try {
            Path p = s.base();
            for (Path name : s.base().relativize(s.dir().getParent())) {
                if (name.toString().isEmpty()) {
                    continue;
                }
                p = p.resolve(name);
                if (fs.mkdir(p) && s.newParents().contains(p)) {
                    madeParents.add(0, p);
                }
                if (s.controllers().contains("cpuset")) {
                    CpusetController.inheritV1(fs, p);
                    if (p.equals(s.removableParent())) {
                        CpusetController.cloneChildrenV1(fs, p);
                        CLONING.add(p);
                    }
                }
            }
        } catch (NoSuchFileException e) {
            // removed again meanwhile: makeDir tries once more
        } catch (CgroupException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e;
            }
        }
    }

    @Override
    public void join(int pid) {
        for (Slot s : slots) {
            try {
                fs.write(s.dir().resolve("cgroup.procs"), Integer.toString(pid));
            } catch (CgroupException e) {
                // ENOSPC: a cpuset left empty, as when another JVM had just made the parent
                // and not yet filled it when the kernel cloned it into ours
                if (!s.controllers().contains("cpuset") || !e.getMessage().endsWith("No space left on device")) {
                    throw e;
                }
                CpusetController.fill(fs, s.dir(), spec);
                fs.write(s.dir().resolve("cgroup.procs"), Integer.toString(pid));
            }
        }
    }

    @Override
    public CgroupStats stats() {
        CgroupStats st = CgroupStats.UNKNOWN;
        for (Slot s : slots) {
            st = st.or(statsOf(fs, s.dir(), s.controllers()::contains));
        }
        return st;
    }

    /** What the v1 directory {@code dir} counts, for the controllers {@code has} says it has. */
    static CgroupStats statsOf(CgroupFs fs, Path dir, java.util.function.Predicate<String> has) {
        CgroupStats st = CgroupStats.UNKNOWN;
        if (has.test("memory")) {
            st = st.or(MemoryController.statsV1(fs, dir));
        }
        if (has.test("cpuacct")) {
            st = st.or(new CgroupStats(-1, -1, CpuController.usageV1(fs, dir), -1, -1));
        }
        if (has.test("pids")) {
            st = st.or(new CgroupStats(-1, -1, -1, PidsController.current(fs, dir), -1));
        }
        return st;
    }

    @Override
    public long oomKills() {
        for (Slot s : slots) {
            if (s.controllers().contains("memory")) {
                return MemoryController.oomKillsV1(fs, s.dir());
            }
        }
        return 0;
    }

    @Override
    public void destroy() {
        Path freezer = null;
        for (Slot s : slots) {
            if (s.controllers().contains("freezer")) {
                freezer = s.dir();
            }
        }
        removeDirs(fs, List.copyOf(made), freezer, List.copyOf(madeParents)); // the chosen parent's, if empty
    }

    /**
     * rmdir each; the busy ones have their processes killed (with the freezer when it is among
     * them) and are removed again; then the empty removable parents go. The first failure is
     * thrown once everything was tried.
     */
    private static void removeDirs(CgroupFs fs, List<Path> dirs, Path freezer, List<Path> parents) {
        List<Path> busy = new ArrayList<>();
        CgroupException failure = null;
        for (Path d : dirs) {
            try {
                if (!fs.rmdirIfUnused(d) && fs.exists(d)) {
                    busy.add(d);
                }
            } catch (CgroupException e) {
                failure = e;
            }
        }
        if (!busy.isEmpty()) {
            try {
                fs.killAll(busy, busy.contains(freezer) ? freezer : null, null);
            } catch (CgroupException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
            for (Path d : busy) {
                try {
                    fs.rmdir(d);
                } catch (CgroupException e) {
                    if (failure == null) {
                        failure = e;
                    } else {
                        failure.addSuppressed(e);
                    }
                }
            }
        }
        for (Path p : parents) {
            fs.rmdirIfUnused(p);
        }
        if (failure != null) {
            throw failure;
        }
    }
}
