package io.mdocker.internal.cgroup;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A cgroup v2 subtree delegated to a rootless user: the JVM's own cgroup on the unified hierarchy
 * (the "0::" line of /proc/self/cgroup), when the user owns it and its {@code cgroup.procs} and
 * {@code cgroup.subtree_control} and may create a child in it — as systemd's {@code user@.service}
 * delegation leaves it, or an admin who chowned a directory to the user. Decided from ownership
 * and access rights only; nothing is written outside the delegated directory.
 *
 * <p>Inside it, v2's no-internal-processes rule is kept by moving the JVM into a leaf of its own,
 * {@link #JVM_LEAF}, before controllers are enabled in the delegated directory; containers go
 * below {@code <delegated>/mdocker}.
 */
public final class Delegation {
    /** The JVM's own leaf below the delegated cgroup. */
    public static final String JVM_LEAF = "mdocker-jvm";

    private Delegation() {}

    /**
     * The delegated directory for {@code uid}, after checking that it offers every controller
     * {@code required} names; throws IllegalArgumentException in one line naming what is missing
     * (no delegation, or a controller) before anything is created.
     */
    public static Path check(CgroupLayout layout, CgroupFs fs, int uid, Map<String, String> required) {
        String what = required.isEmpty() ? "a cgroup" : String.join(", ", required.values());
        CgroupLayout.Hierarchy h = layout.unified();
        if (h == null) {
            throw refusal(what, uid, layout, "no cgroup v2 hierarchy is mounted");
        }
        Path own = h.own();
        Path dir = own.getFileName() != null && own.getFileName().toString().equals(JVM_LEAF) ? own.getParent() : own;
        for (Path p : List.of(dir, dir.resolve("cgroup.procs"), dir.resolve("cgroup.subtree_control"))) {
            int owner = fs.owner(p);
            if (owner != uid) {
                throw refusal(what, uid, layout, "its own cgroup's " + (p.equals(dir) ? "directory " : "") + p
                        + (owner < 0 ? " cannot be read" : " is owned by uid " + owner));
            }
            if (!fs.writable(p)) {
                throw refusal(what, uid, layout, p + " is not writable");
            }
        }
        Set<String> offered = words(fs.exists(dir.resolve("cgroup.controllers")) ? fs.read(dir.resolve("cgroup.controllers")) : "");
        for (Map.Entry<String, String> need : required.entrySet()) {
            String c = need.getKey().equals("cpuacct") ? "cpu" : need.getKey();
            if (!offered.contains(c)) {
                throw new IllegalArgumentException("the " + need.getValue() + " needs the " + c + " cgroup controller, "
                        + "which the cgroup delegated to this rootless user (uid " + uid + "), " + dir
                        + ", does not offer (its cgroup.controllers: " + (offered.isEmpty() ? "none" : String.join(" ", offered))
                        + "): delegate it (systemd: Delegate=" + c + " in user@.service)");
            }
        }
        return dir;
    }

    private static IllegalArgumentException refusal(String what, int uid, CgroupLayout layout, String why) {
        return new IllegalArgumentException("the " + what + " needs a cgroup, and this rootless user (uid " + uid
                + ") has no delegated cgroup v2 subtree (" + why + "; cgroup layout " + layout.describe()
                + "): run as root, or on cgroup v2 with systemd's user delegation");
    }

    /**
     * Moves process {@code pid} (the JVM) from the delegated directory into its leaf
     * {@link #JVM_LEAF}, where it is still there: the delegated directory must hold no process
     * once it enables controllers for its children. Its children (monitors) follow it from then on.
     */
    public static void enterLeaf(CgroupFs fs, Path delegated, long pid) {
        if (!fs.procs(delegated).contains((int) pid)) {
            return;
        }
        Path leaf = delegated.resolve(JVM_LEAF);
        try {
            fs.mkdir(leaf);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new CgroupException("creating cgroup " + leaf + ": " + e.getMessage(), e);
        }
        fs.write(leaf.resolve("cgroup.procs"), Long.toString(pid));
    }

    static Set<String> words(String s) {
        Set<String> w = new LinkedHashSet<>(Arrays.asList(s.trim().split("\\s+")));
        w.remove("");
        return w;
    }
}
