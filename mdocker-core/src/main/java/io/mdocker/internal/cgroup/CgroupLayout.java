package io.mdocker.internal.cgroup;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How this host's cgroups are laid out, controller by controller, as this process sees them:
 * which controllers sit on a cgroup v1 hierarchy (and where it is mounted), which on the v2
 * (unified) hierarchy, and the cgroup this process itself runs in on each. Detected from
 * {@code /proc/self/mountinfo} and {@code /proc/self/cgroup}, plus the unified root's
 * {@code cgroup.controllers}; nothing about the layout is assumed anywhere else.
 *
 * <p>{@link #detect(String, String, Path)} is pure apart from reading {@code cgroup.controllers}
 * under the given file system root, so tests feed it a fake tree. Immutable.
 */
public final class CgroupLayout {
    /** The three layouts a Linux host can have, and none at all. */
    public enum Kind {
        /** cgroup v2 only: every controller on one hierarchy. */
        UNIFIED,
        /** v1 hierarchies for some controllers and a v2 hierarchy beside them. */
        HYBRID,
        /** cgroup v1 only. */
        LEGACY,
        /** no cgroup file system mounted. */
        NONE;

        @Override
        public String toString() {
            return switch (this) {
                case UNIFIED -> "cgroup v2 (unified)";
                case HYBRID -> "hybrid";
                case LEGACY -> "cgroup v1 (legacy)";
                case NONE -> "no cgroups mounted";
            };
        }
    }

    /**
     * One mounted hierarchy. {@code ownPath} is this process's cgroup on it, relative to the
     * mount's root ("/" when it runs in the mount's top cgroup); {@code procPath} is the same
     * cgroup as {@code /proc/<pid>/cgroup} names it.
     */
    public record Hierarchy(int version, Path mount, String ownPath, String procPath, Set<String> controllers) {
        /**
         * Of the mount point and version, which equal hierarchies share (the record's own hash is
         * made by method handles a record type spins on first use: milliseconds of a CLI run).
         */
        @Override
        public int hashCode() {
            return mount.hashCode() * 31 + version;
        }

        /** The directory of this process's own cgroup. */
        public Path own() {
            return ownPath.equals("/") ? mount : mount.resolve(ownPath.substring(1));
        }

        /** The directory for {@code path}: absolute from the hierarchy's root, or relative to {@link #own()}. */
        public Path resolve(String path) {
            if (path.startsWith("/")) {
                String rel = path.replaceAll("^/+", "");
                return rel.isEmpty() ? mount : mount.resolve(rel);
            }
            return own().resolve(path);
        }
    }

    /** The controllers mdocker manages, in the order it writes them. */
    public static final List<String> MANAGED = List.of("memory", "cpu", "cpuacct", "cpuset", "pids", "freezer");

    private static volatile CgroupLayout host;

    private final Kind kind;
    private final Map<String, Hierarchy> v1; // controller -> hierarchy
    private final Hierarchy unified;          // or null
    private final Set<String> unifiedControllers;
    private final List<Hierarchy> named;      // v1 hierarchies without controllers (name=systemd)

    private CgroupLayout(Kind kind, Map<String, Hierarchy> v1, Hierarchy unified, Set<String> unifiedControllers,
                         List<Hierarchy> named) {
        this.kind = kind;
        this.v1 = Collections.unmodifiableMap(v1);
        this.unified = unified;
        this.unifiedControllers = Collections.unmodifiableSet(unifiedControllers);
        this.named = List.copyOf(named);
    }

    /** This host's layout, detected once per JVM. */
    public static CgroupLayout host() {
        CgroupLayout l = host;
        if (l == null) {
            synchronized (CgroupLayout.class) {
                l = host;
                if (l == null) {
                    l = detect(readFile(Path.of("/proc/self/mountinfo")), readFile(Path.of("/proc/self/cgroup")), Path.of("/"));
                    host = l;
                }
            }
        }
        return l;
    }

    /**
     * Detects the layout from the text of {@code /proc/self/mountinfo} and
     * {@code /proc/self/cgroup}; mount points are looked up below {@code fsRoot} ("/" on a real
     * host).
     */
    public static CgroupLayout detect(String mountinfo, String procCgroup, Path fsRoot) {
        // /proc/self/cgroup: "hierarchy-id:controller,list:path"; v2 is "0::path".
        Map<Set<String>, String> v1Paths = new LinkedHashMap<>();
        String v2Path = null;
        for (String line : procCgroup.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(":", 3);
            if (f.length != 3) {
                continue;
            }
            if (f[0].equals("0") && f[1].isEmpty()) {
                v2Path = f[2];
            } else if (!f[1].isEmpty()) {
                v1Paths.put(new LinkedHashSet<>(Arrays.asList(f[1].split(","))), f[2]);
            }
        }

        Map<String, Hierarchy> v1 = new LinkedHashMap<>();
        List<Hierarchy> named = new ArrayList<>();
        Hierarchy unified = null;
        for (String line : mountinfo.split("\n")) {
            String[] f = line.split(" ");
            int dash = Arrays.asList(f).indexOf("-");
            if (dash < 6 || f.length < dash + 4) {
                continue;
            }
            String fstype = f[dash + 1];
            String root = unescape(f[3]);
            Path mountPoint = under(fsRoot, unescape(f[4]));
            if (fstype.equals("cgroup2") && unified == null && v2Path != null) {
                String own = ownPath(root, v2Path);
                if (own != null) {
                    unified = new Hierarchy(2, mountPoint, own, v2Path, Set.of());
                }
            } else if (fstype.equals("cgroup")) {
                Set<String> options = new LinkedHashSet<>(Arrays.asList(f[dash + 3].split(",")));
                for (Map.Entry<Set<String>, String> e : v1Paths.entrySet()) {
                    if (!options.containsAll(e.getKey())) {
                        continue;
                    }
                    String own = ownPath(root, e.getValue());
                    if (own == null) {
                        continue;
                    }
                    Hierarchy h = new Hierarchy(1, mountPoint, own, e.getValue(), Set.copyOf(e.getKey()));
                    for (String controller : e.getKey()) {
                        if (!controller.startsWith("name=")) {
                            v1.putIfAbsent(controller, h);
                        }
                    }
                    if (e.getKey().stream().allMatch(c -> c.startsWith("name=")) && !named.contains(h)) {
                        named.add(h);
                    }
                }
            }
        }

        Set<String> unifiedControllers = new LinkedHashSet<>();
        if (unified != null) {
            try {
                String text = Files.readString(unified.mount().resolve("cgroup.controllers")).trim();
                for (String c : text.split("\\s+")) {
                    if (!c.isEmpty() && !v1.containsKey(c)) {
                        unifiedControllers.add(c);
                    }
                }
            } catch (NoSuchFileException e) {
                // an empty or unreadable mount: no controllers there
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + unified.mount().resolve("cgroup.controllers") + ": " + e.getMessage(), e);
            }
        }
        Kind kind;
        if (v1.isEmpty()) {
            kind = unified != null ? Kind.UNIFIED : Kind.NONE;
        } else {
            kind = unified != null ? Kind.HYBRID : Kind.LEGACY;
        }
        return new CgroupLayout(kind, v1, unified, unifiedControllers, named);
    }

    /** The path of our cgroup relative to a mount whose root is {@code root}; null when the mount does not hold it. */
    private static String ownPath(String root, String path) {
        if (root.equals("/")) {
            return path;
        }
        if (path.equals(root)) {
            return "/";
        }
        if (path.startsWith(root + "/")) {
            return path.substring(root.length());
        }
        return null;
    }

    private static Path under(Path fsRoot, String mountPoint) {
        String rel = mountPoint.replaceAll("^/+", "");
        return rel.isEmpty() ? fsRoot : fsRoot.resolve(rel);
    }

    /** mountinfo escapes space, tab, newline and backslash as octal. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String readFile(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + p + ": " + e.getMessage(), e);
        }
    }

    public Kind kind() {
        return kind;
    }

    /** The v1 hierarchy of {@code controller}, or null when it is not on v1. */
    public Hierarchy v1(String controller) {
        return v1.get(controller);
    }

    /** The unified (v2) hierarchy, or null. */
    public Hierarchy unified() {
        return unified;
    }

    /**
     * The hierarchies a service manager tracks processes by, which hold no controller mdocker
     * writes: the unified one, and named v1 ones ({@code name=systemd} on a legacy host). systemd
     * stops a service by killing every process in its cgroup there.
     */
    public List<Hierarchy> tracking() {
        List<Hierarchy> out = new ArrayList<>(named);
        if (unified != null) {
            out.add(0, unified);
        }
        return out;
    }

    /** Whether {@code controller} is available on the unified hierarchy. */
    public boolean onUnified(String controller) {
        return unifiedControllers.contains(controller);
    }

    /** Whether the host has {@code controller} at all, on v1 or v2. */
    public boolean has(String controller) {
        // cpuacct has no v2 counterpart: cpu.stat's usage is always there on v2
        if (controller.equals("cpuacct") && kind == Kind.UNIFIED) {
            return true;
        }
        return v1.containsKey(controller) || unifiedControllers.contains(controller);
    }

    /**
     * One line for messages: the layout and where each controller is, e.g.
     * {@code hybrid (v1: cpu, cpuacct, memory, pids; v2: hugetlb)}.
     */
    public String describe() {
        List<String> parts = new ArrayList<>();
        if (!v1.isEmpty()) {
            parts.add("v1: " + String.join(", ", new TreeSet<>(v1.keySet())));
        }
        if (unified != null) {
            parts.add("v2: " + (unifiedControllers.isEmpty() ? "no controllers" : String.join(", ", new TreeSet<>(unifiedControllers))));
        }
        return kind + (parts.isEmpty() ? "" : " (" + String.join("; ", parts) + ")");
    }

    @Override
    public String toString() {
        return "CgroupLayout[" + describe() + "]";
    }
}
