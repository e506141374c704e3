package io.mdocker.internal.cgroup;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A container's cgroup on the unified (v2) hierarchy: one directory, by default
 * {@code /mdocker/<id>} at the hierarchy's root as Docker's cgroupfs driver places it (v2's
 * no-internal-processes rule forbids enabling controllers below the cgroup the JVM runs in,
 * unless that is the root). The managed controllers are enabled in {@code cgroup.subtree_control}
 * from the root down to the parent, where they are not already.
 */
final class V2Cgroup implements CgroupManager {
    private static final int RACE_RETRIES = 5;

    private final CgroupFs fs;
    private final CgroupLayout.Hierarchy hierarchy;
    private final Set<String> controllers;
    private final Path dir;
    private final Path removableParent;
    /** The directories of a cgroup parent the caller chose that were missing at planning, deepest first. */
    private final List<Path> newParents;
    /** Where enabling controllers starts: the hierarchy's root, or a rootless user's delegated cgroup. */
    private final Path base;
    /** Those of {@link #newParents} this cgroup made, deepest first: removed with it when empty. */
    private final List<Path> madeParents = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean made;

    private V2Cgroup(CgroupFs fs, CgroupLayout.Hierarchy hierarchy, Set<String> controllers, Path dir, Path removableParent,
                     List<Path> newParents, Path base) {
        this.fs = fs;
        this.base = base;
        this.hierarchy = hierarchy;
        this.controllers = controllers;
        this.dir = dir;
        this.removableParent = removableParent;
        this.newParents = List.copyOf(newParents);
    }

    /**
     * The plan on the unified hierarchy, or null when there is none or (on a hybrid host) it
     * holds none of the managed controllers.
     */
    static V2Cgroup plan(CgroupFs fs, CgroupLayout layout, String parent, String id) {
        CgroupLayout.Hierarchy h = layout.unified();
        if (h == null) {
            return null;
        }
        Set<String> enable = new LinkedHashSet<>();
        for (String c : CgroupLayout.MANAGED) {
            if (layout.onUnified(c)) {
                enable.add(c);
            }
        }
        if (enable.isEmpty() && layout.kind() != CgroupLayout.Kind.UNIFIED) {
            return null;
        }
        String p = parent != null ? parent : "/" + ContainerCgroups.DEFAULT_PARENT;
        Path parentDir = h.resolve(p);
        return new V2Cgroup(fs, h, enable, parentDir.resolve(id), parent == null ? parentDir : null,
                parent == null ? List.of() : ContainerCgroups.missing(fs, h.mount(), parentDir), h.mount());
    }

    /**
     * Rootless: {@code <delegated>/mdocker/<id>}, enabling in the delegated cgroup (and below) the
     * managed controllers it offers; nothing above it is touched.
     */
    static V2Cgroup planDelegated(CgroupFs fs, CgroupLayout layout, Path delegated, String id) {
        Set<String> offered = Delegation.words(fs.read(delegated.resolve("cgroup.controllers")));
        Set<String> enable = new LinkedHashSet<>();
        for (String c : CgroupLayout.MANAGED) {
            if (offered.contains(c)) {
                enable.add(c);
            }
        }
        Path parentDir = delegated.resolve(ContainerCgroups.DEFAULT_PARENT);
        return new V2Cgroup(fs, layout.unified(), enable, parentDir.resolve(id), parentDir, List.of(), delegated);
    }

    /** For recovery: a directory recorded by a JVM that is gone. */
    static void remove(CgroupFs fs, Path dir, List<Path> parents) {
        removeDir(fs, dir, parents);
    }

    @Override
    public List<Path> dirs() {
        return List.of(dir);
    }

    /** cgroup2 at /sys/fs/cgroup on a unified host; beside the v1 ones on a hybrid host, as there. */
    @Override
    public List<ContainerCgroups.Mount> containerMounts(CgroupLayout.Kind kind) {
        return List.of(kind == CgroupLayout.Kind.UNIFIED ? new ContainerCgroups.Mount(ContainerCgroups.Mount.ROOT, "")
                : ContainerCgroups.Mount.of(hierarchy.mount(), ""));
    }

    @Override
    public List<Path> removableParents() {
        return removableParent == null ? newParents : List.of(removableParent);
    }

    @Override
    public void create(CgroupSpec spec) {
        for (int attempt = 0; ; attempt++) {
            try {
                if (!fs.mkdir(dir)) {
                    throw new CgroupException("creating cgroup " + dir + ": it already exists");
                }
                made = true;
                break;
            } catch (NoSuchFileException e) {
                if (attempt >= RACE_RETRIES) {
                    throw new CgroupException("creating cgroup " + dir + ": a parent kept disappearing", e);
                }
                makeParents();
            }
        }
        Set<String> here = words(fs.read(dir.resolve("cgroup.controllers")));
        if (!here.containsAll(controllers)) { // a parent made without them: enable them from the root down
            makeParents();
            here = words(fs.read(dir.resolve("cgroup.controllers")));
        }
        for (String c : spec.required().keySet()) {
            if (controllers.contains(c) && !here.contains(c)) { // (on a hybrid host others are on v1)
                throw new CgroupException("cgroup " + dir + " has no " + c + " controller (its cgroup.controllers: "
                        + (here.isEmpty() ? "none" : String.join(" ", here)) + ")");
            }
        }
        if (here.contains("memory")) {
            MemoryController.applyV2(fs, dir, spec);
        }
        if (here.contains("cpu")) {
            CpuController.applyV2(fs, dir, spec);
        }
        if (here.contains("cpuset")) {
            CpusetController.applyV2(fs, dir, spec);
        }
        if (here.contains("pids")) {
            PidsController.apply(fs, dir, spec);
        }
    }

    /** Makes the missing parents, enabling the managed controllers from the root down. */
    private void makeParents() {
        try {
            Path p = base;
            enable(p);
            for (Path name : base.relativize(dir.getParent())) {
                if (name.toString().isEmpty()) {
                    continue;
                }
                p = p.resolve(name);
                if (fs.mkdir(p) && newParents.contains(p)) {
                    madeParents.add(0, p);
                }
                enable(p);
            }
        } catch (NoSuchFileException e) {
            // removed again meanwhile: create tries once more
        } catch (CgroupException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e;
            }
        }
    }

    /** Enables the managed controllers in {@code cg}'s subtree_control where they are not yet. */
    private void enable(Path cg) {
        if (controllers.isEmpty()) {
            return;
        }
        Path file = cg.resolve("cgroup.subtree_control");
        Set<String> on = words(fs.read(file));
        List<String> add = new ArrayList<>();
        for (String c : controllers) {
            if (!on.contains(c)) {
                add.add("+" + c);
            }
        }
        if (add.isEmpty()) {
            return;
        }
        try {
            fs.write(file, String.join(" ", add));
        } catch (CgroupException e) {
            if (e.getMessage().endsWith("Device or resource busy")) {
                throw new CgroupException(e.getMessage() + " (cgroup v2 allows no processes in a cgroup that"
                        + " enables controllers for its children: choose a cgroup parent outside the JVM's own cgroup)", e);
            }
            throw e;
        }
    }

    private static Set<String> words(String s) {
        Set<String> w = new LinkedHashSet<>(Arrays.asList(s.trim().split("\\s+")));
        w.remove("");
        return w;
    }

    @Override
    public void join(int pid) {
        fs.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
    }

    @Override
    public CgroupStats stats() {
        return statsOf(fs, dir, controllers::contains);
    }

    /** What the v2 directory {@code dir} counts: CPU always, memory and pids where {@code has} says so. */
    static CgroupStats statsOf(CgroupFs fs, Path dir, java.util.function.Predicate<String> has) {
        CgroupStats st = new CgroupStats(-1, -1, CpuController.usageV2(fs, dir), -1, -1);
        if (has.test("memory")) {
            st = st.or(MemoryController.statsV2(fs, dir));
        }
        if (has.test("pids")) {
            st = st.or(new CgroupStats(-1, -1, -1, PidsController.current(fs, dir), -1));
        }
        return st;
    }

    @Override
    public long oomKills() {
        return controllers.contains("memory") ? MemoryController.oomKillsV2(fs, dir) : 0;
    }

    @Override
    public void destroy() {
        if (made) {
            removeDir(fs, dir, List.copyOf(madeParents)); // the chosen parent's directories it made, if empty
        }
    }

    private static void removeDir(CgroupFs fs, Path dir, List<Path> parents) {
        try {
            if (!fs.rmdirIfUnused(dir) && fs.exists(dir)) {
                Path kill = dir.resolve("cgroup.kill");
                fs.killAll(List.of(dir), null, fs.exists(kill) ? kill : null);
                fs.rmdir(dir);
            }
        } finally {
            for (Path p : parents) {
                fs.rmdirIfUnused(p);
            }
        }
    }
}
