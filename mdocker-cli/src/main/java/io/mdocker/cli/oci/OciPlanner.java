package io.mdocker.cli.oci;

import io.mdocker.Capability;
import io.mdocker.TtySize;
import io.mdocker.Ulimit;
import io.mdocker.internal.cgroup.CgroupSpec;
import io.mdocker.internal.run.OciCreate;
import io.mdocker.internal.security.DeviceRules;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Turns an {@link OciConfig} into the engine's {@link OciCreate.Plan}: each field into what
 * mdocker-init does with it, and a one-line refusal, naming the field, of what it cannot do
 * (user namespaces, joining mount or cgroup namespaces, device cgroup rules beyond the default set, ...).
 */
final class OciPlanner {
    private OciPlanner() {}

    // linux/fs.h
    static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
            MS_MANDLOCK = 64, MS_DIRSYNC = 128, MS_NOATIME = 1024, MS_NODIRATIME = 2048, MS_BIND = 4096,
            MS_REC = 16384, MS_UNBINDABLE = 1 << 17, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19, MS_SHARED = 1 << 20,
            MS_RELATIME = 1 << 21, MS_STRICTATIME = 1 << 24;
    // linux/sched.h
    static final long CLONE_NEWNS = 0x20000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
            CLONE_NEWIPC = 0x08000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000;

    /** Flags that set (true) or clear (false) a bit; the rest of a mount's options are its data. */
    private static final Map<String, Long> SET = Map.ofEntries(Map.entry("ro", MS_RDONLY), Map.entry("nosuid", MS_NOSUID),
            Map.entry("nodev", MS_NODEV), Map.entry("noexec", MS_NOEXEC), Map.entry("sync", MS_SYNCHRONOUS),
            Map.entry("mand", MS_MANDLOCK), Map.entry("dirsync", MS_DIRSYNC), Map.entry("noatime", MS_NOATIME),
            Map.entry("nodiratime", MS_NODIRATIME), Map.entry("relatime", MS_RELATIME),
            Map.entry("strictatime", MS_STRICTATIME), Map.entry("bind", MS_BIND), Map.entry("rbind", MS_BIND | MS_REC));
    private static final Map<String, Long> CLEAR = Map.ofEntries(Map.entry("rw", MS_RDONLY), Map.entry("suid", MS_NOSUID),
            Map.entry("dev", MS_NODEV), Map.entry("exec", MS_NOEXEC), Map.entry("async", MS_SYNCHRONOUS),
            Map.entry("nomand", MS_MANDLOCK), Map.entry("atime", MS_NOATIME), Map.entry("diratime", MS_NODIRATIME),
            Map.entry("norelatime", MS_RELATIME), Map.entry("nostrictatime", MS_STRICTATIME));
    private static final Map<String, Long> PROPAGATION = Map.of("private", MS_PRIVATE, "rprivate", MS_PRIVATE | MS_REC,
            "shared", MS_SHARED, "rshared", MS_SHARED | MS_REC, "slave", MS_SLAVE, "rslave", MS_SLAVE | MS_REC,
            "unbindable", MS_UNBINDABLE, "runbindable", MS_UNBINDABLE | MS_REC);

    /**
     * The plan for container {@code id} of {@code bundle}.
     *
     * @param consoleSocket where a terminal's master goes (required with process.terminal)
     * @param execFifo      the exec fifo's path (made by pid 1)
     * @param systemdCgroup --systemd-cgroup was given
     */
    static OciCreate.Plan plan(String id, Path bundle, OciConfig c, Optional<Path> consoleSocket, Path execFifo,
                               boolean systemdCgroup, Path libRoot) {
        OciConfig.Process p = c.process();
        Path root = Path.of(c.root().path());
        root = (root.isAbsolute() ? root : bundle.resolve(root)).normalize();
        try {
            root = root.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException("root.path: " + root + " does not exist (" + e.getMessage() + ")");
        }
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("root.path: " + root + " is not a directory");
        }
        if (p.user().umask().isPresent() && p.user().umask().getAsInt() != 022) {
            throw new IllegalArgumentException("process.user.umask: " + Integer.toOctalString(p.user().umask().getAsInt())
                    + " is not supported (mdocker-runtime runs the process with umask 0022)");
        }
        if (p.terminal() && consoleSocket.isEmpty()) {
            throw new IllegalArgumentException("process.terminal is true, but no --console-socket was given: "
                    + "the terminal's master would have nowhere to go");
        }
        OciConfig.Linux l = c.linux();
        Map<Long, Path> join = new java.util.HashMap<>();
        long ns = namespaces(l, join);
        if (c.hostname().isPresent() && (ns & CLONE_NEWUTS) == 0 && !c.hostname().get().isEmpty()) {
            throw new IllegalArgumentException("hostname: '" + c.hostname().get() + "' needs a uts namespace in linux.namespaces");
        }
        if (!l.uidMappings().isEmpty() || !l.gidMappings().isEmpty()) {
            throw new IllegalArgumentException("linux.uidMappings: user namespaces are not supported");
        }
        List<OciCreate.Device> devices = devices(l.devices());
        if (l.rootfsPropagation().isPresent() && !Set.of("private", "rprivate").contains(l.rootfsPropagation().get())) {
            throw new IllegalArgumentException("linux.rootfsPropagation: '" + l.rootfsPropagation().get()
                    + "' is not supported (the container's mounts are rprivate)");
        }
        List<OciCreate.Mount> mounts = new ArrayList<>();
        boolean cgroupMount = false;
        boolean cgroupRw = false;
        for (int i = 0; i < c.mounts().size(); i++) {
            OciConfig.Mount m = c.mounts().get(i);
            String where = "mounts[" + i + "] (" + m.destination() + ")";
            if (m.type().equals("cgroup") || m.type().equals("cgroup2")) {
                if (!m.destination().equals("/sys/fs/cgroup")) {
                    throw new IllegalArgumentException(where + ": a cgroup mount is supported at /sys/fs/cgroup only");
                }
                cgroupMount = true;
                cgroupRw = !m.options().contains("ro");
                continue;
            }
            if (m.options().contains("tmpcopyup")) {
                // tmpcopyup (runc's and crun's): the tmpfs starts with what the image has at the target;
                // the same as without it where the image has nothing there
                Path under = root.resolve(m.destination().substring(1));
                if (Files.isDirectory(under) && !isEmpty(under)) {
                    throw new IllegalArgumentException(where + ": mount option 'tmpcopyup' over a directory with content "
                            + "(" + under + ") is not supported");
                }
                List<String> options = new ArrayList<>(m.options());
                options.remove("tmpcopyup");
                m = new OciConfig.Mount(m.destination(), m.type(), m.source(), options);
            }
            mounts.add(mount(m, where, bundle));
        }
        long[] caps = new long[5];
        if (p.capabilities().isPresent()) {
            OciConfig.Capabilities cs = p.capabilities().get();
            List<List<String>> sets = List.of(cs.bounding(), cs.effective(), cs.permitted(), cs.inheritable(), cs.ambient());
            String[] names = {"bounding", "effective", "permitted", "inheritable", "ambient"};
            for (int s = 0; s < 5; s++) {
                for (String name : sets.get(s)) {
                    try {
                        caps[s] |= 1L << Capability.parse(name).number();
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("process.capabilities." + names[s] + ": " + e.getMessage());
                    }
                }
            }
        }
        // The kernel raises an ambient capability only where it is permitted and inheritable; runc
        // leaves out the others (runc spec lists ambient capabilities without inheritable ones).
        caps[4] &= caps[2] & caps[3];
        List<Ulimit> rlimits = new ArrayList<>();
        for (OciConfig.Rlimit r : p.rlimits()) {
            try {
                rlimits.add(new Ulimit(r.type().substring("RLIMIT_".length()).toLowerCase(Locale.ROOT), r.soft(), r.hard()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("process.rlimits: " + r.type() + ": " + e.getMessage());
            }
        }
        String leaf = id;
        String parent = null;
        if (l.cgroupsPath().isPresent()) {
            String path = l.cgroupsPath().get();
            if (path.contains(":")) {
                throw new IllegalArgumentException("linux.cgroupsPath: '" + path + "' is systemd's slice:prefix:name form, "
                        + (systemdCgroup ? "and mdocker-runtime places cgroups itself (cgroupfs); no systemd cgroup driver"
                        : "which needs --systemd-cgroup") + ": give a path (/parent/name)");
            }
            Path cp = Path.of(path).normalize();
            if (cp.getFileName() == null || path.contains("..")) {
                throw new IllegalArgumentException("linux.cgroupsPath: '" + path + "' (expected /parent/name)");
            }
            leaf = cp.getFileName().toString();
            parent = cp.getParent() == null || cp.getParent().toString().equals("/") ? null : cp.getParent().toString();
            if (parent != null && !parent.startsWith("/")) {
                parent = "/" + parent;
            }
        }
        return new OciCreate.Plan(id, root, p.args(), p.env(), p.cwd(), p.user().uid(), p.user().gid(),
                p.user().additionalGids(), c.hostname().filter(h -> !h.isEmpty() && (ns & CLONE_NEWUTS) != 0), ns, join, mounts, caps,
                p.noNewPrivileges(), c.root().readonly(), l.seccomp(), rlimits, l.maskedPaths(), l.readonlyPaths(),
                l.sysctl(), cgroups(l.resources(), parent), leaf, cgroupMount, cgroupRw, deviceRules(l.resources()),
                p.terminal() ? Optional.of(p.consoleSize().map(s -> new TtySize(s.height(), s.width())).orElse(TtySize.DEFAULT))
                        : Optional.empty(),
                p.terminal() ? consoleSocket : Optional.empty(), execFifo, p.oomScoreAdj(), libRoot, devices);
    }

    /** stat(2)'s file type bits for the device types of linux.devices. */
    private static final int S_IFCHR = 0020000, S_IFBLK = 0060000, S_IFIFO = 0010000;

    /**
     * linux.devices: each node under /dev, made by pid 1 after the mounts (a privileged pod's host
     * devices, a pod's device requests); the default mode 0666 and owner 0:0, as runc.
     */
    private static List<OciCreate.Device> devices(List<OciConfig.Device> devices) {
        List<OciCreate.Device> result = new ArrayList<>();
        for (int i = 0; i < devices.size(); i++) {
            OciConfig.Device d = devices.get(i);
            Path p = Path.of(d.path()).normalize();
            if (!d.path().startsWith("/dev/") || !p.toString().equals(d.path()) || p.getNameCount() < 2) {
                throw new IllegalArgumentException("linux.devices[" + i + "].path: '" + d.path()
                        + "' (expected an absolute, normalized path under /dev)");
            }
            if (d.major() < 0 || d.major() > 0xfff || d.minor() < 0 || d.minor() > 0xfffff) {
                throw new IllegalArgumentException("linux.devices[" + i + "]: " + d.path() + ": device number "
                        + d.major() + ":" + d.minor() + " out of range");
            }
            int mode = d.fileMode().orElse(0666) & ~0170000; // the file type bits, if given, are the type's
            if ((mode & ~07777) != 0) {
                throw new IllegalArgumentException("linux.devices[" + i + "].fileMode: " + Integer.toOctalString(mode)
                        + " (expected permission bits, at most 07777)");
            }
            int type = switch (d.type()) {
                case "b" -> S_IFBLK;
                case "p" -> S_IFIFO;
                default -> S_IFCHR; // c and u (unbuffered): both character devices
            };
            result.add(new OciCreate.Device(type, (int) d.major(), (int) d.minor(), mode, d.uid().orElse(0),
                    d.gid().orElse(0), d.path()));
        }
        return result;
    }

    private static boolean isEmpty(Path dir) {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static long namespaces(OciConfig.Linux l, Map<Long, Path> join) {
        long flags = 0;
        for (int i = 0; i < l.namespaces().size(); i++) {
            OciConfig.Namespace n = l.namespaces().get(i);
            if (n.path().isPresent()) {
                long type = switch (n.type()) {
                    case "network" -> CLONE_NEWNET;
                    case "ipc" -> CLONE_NEWIPC;
                    case "uts" -> CLONE_NEWUTS;
                    case "pid" -> CLONE_NEWPID;
                    default -> throw new IllegalArgumentException("linux.namespaces[" + i + "].path: joining a " + n.type()
                            + " namespace (" + n.path().get() + ") is not supported (network, ipc, uts and pid only)");
                };
                Path p = Path.of(n.path().get());
                if (!p.isAbsolute() || !Files.exists(p)) {
                    throw new IllegalArgumentException("linux.namespaces[" + i + "].path: " + p + " does not exist");
                }
                join.put(type, p);
                if (type == CLONE_NEWPID) { // pid 1 is cloned into it: not the host's pid namespace either
                    flags |= CLONE_NEWPID;
                }
                continue;
            }
            flags |= switch (n.type()) {
                case "pid" -> CLONE_NEWPID;
                case "mount" -> CLONE_NEWNS;
                case "network" -> CLONE_NEWNET;
                case "ipc" -> CLONE_NEWIPC;
                case "uts" -> CLONE_NEWUTS;
                case "cgroup" -> CLONE_NEWCGROUP;
                default -> throw new IllegalArgumentException("linux.namespaces[" + i + "].type: a " + n.type()
                        + " namespace is not supported");
            };
        }
        if ((flags & CLONE_NEWPID) == 0 || (flags & CLONE_NEWNS) == 0) {
            throw new IllegalArgumentException("linux.namespaces: mdocker-runtime needs a pid namespace (new or joined) "
                    + "and a new mount namespace (a container without them is not supported)");
        }
        // mdocker-init unshares the cgroup namespace after GO (so pid 1 sees its own cgroup as the root)
        return flags | CLONE_NEWCGROUP;
    }

    private static OciCreate.Mount mount(OciConfig.Mount m, String where, Path bundle) {
        long flags = 0;
        long propagation = 0;
        List<String> data = new ArrayList<>();
        for (String o : m.options()) {
            if (SET.containsKey(o)) {
                flags |= SET.get(o);
            } else if (CLEAR.containsKey(o)) {
                flags &= ~CLEAR.get(o);
            } else if (PROPAGATION.containsKey(o)) {
                propagation = PROPAGATION.get(o);
            } else if (m.type().equals("bind") || o.equals("tmpcopyup") || o.startsWith("idmap")) {
                throw new IllegalArgumentException(where + ": mount option '" + o + "' is not supported");
            } else {
                data.add(o);
            }
        }
        String source = m.source();
        if (m.type().equals("bind")) {
            flags |= MS_BIND;
            Path s = Path.of(source);
            source = (s.isAbsolute() ? s : bundle.resolve(s)).normalize().toString();
        } else if ((flags & MS_BIND) != 0) {
            throw new IllegalArgumentException(where + ": bind option on a " + m.type() + " mount");
        }
        // the container's mounts are private unless a mount says otherwise (mdocker-init makes / rprivate)
        if (propagation == (MS_PRIVATE | MS_REC) || propagation == MS_PRIVATE) {
            propagation = 0;
        }
        return new OciCreate.Mount(m.type(), source, m.destination(), flags, propagation, String.join(",", data));
    }

    private static CgroupSpec cgroups(OciConfig.Resources r, String parent) {
        if (r.memoryReservation().isPresent()) {
            throw new IllegalArgumentException("linux.resources.memory.reservation: not supported");
        }
        if (r.memorySwappiness().isPresent()) {
            throw new IllegalArgumentException("linux.resources.memory.swappiness: not supported");
        }
        long memory = r.memoryLimit().orElse(CgroupSpec.UNSET);
        if (memory <= 0) {
            memory = CgroupSpec.UNSET;
        }
        long swap = r.memorySwap().orElse(CgroupSpec.UNSET);
        if (swap == -1) {
            swap = memory == CgroupSpec.UNSET ? CgroupSpec.UNSET : CgroupSpec.UNLIMITED;
        } else if (swap == 0) {
            swap = CgroupSpec.UNSET;
        } else if (memory != CgroupSpec.UNSET && swap < memory) {
            throw new IllegalArgumentException("linux.resources.memory.swap: " + swap + " is below the limit " + memory
                    + " (it counts memory plus swap)");
        }
        long quota = r.cpuQuota().orElse(CgroupSpec.UNSET);
        long period = r.cpuPeriod().orElse(CgroupSpec.UNSET);
        if (quota <= 0) {
            quota = CgroupSpec.UNSET;
            period = CgroupSpec.UNSET;
        } else if (period <= 0) {
            period = CgroupSpec.DEFAULT_PERIOD_MICROS;
        }
        long shares = r.cpuShares().orElse(CgroupSpec.UNSET);
        if (shares == 0) {
            shares = CgroupSpec.UNSET;
        } else if (shares != CgroupSpec.UNSET && (shares < 2 || shares > 262144)) {
            throw new IllegalArgumentException("linux.resources.cpu.shares: " + shares + " is outside 2..262144");
        }
        long pids = r.pidsLimit().orElse(CgroupSpec.UNSET);
        if (pids <= 0) {
            pids = CgroupSpec.UNSET;
        }
        return new CgroupSpec(memory, swap, quota, period, shares, CgroupSpec.UNSET, r.cpusetCpus().orElse(null),
                r.cpusetMems().orElse(null), pids, parent);
    }

    /**
     * linux.resources.devices: the rules in order, then mdocker's default allowances, as runc
     * applies them (DeviceRules); a rule with a bad value, or one that takes access from inside a
     * wildcard rule before it, refused naming it.
     */
    private static DeviceRules deviceRules(OciConfig.Resources r) {
        List<DeviceRules.Rule> rules = new ArrayList<>();
        for (int i = 0; i < r.devices().size(); i++) {
            OciConfig.DeviceRule d = r.devices().get(i);
            try {
                rules.add(new DeviceRules.Rule(d.allow(), d.type().charAt(0), d.major(), d.minor(), d.access()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("linux.resources.devices[" + i + "]: " + e.getMessage());
            }
        }
        return DeviceRules.of(rules, "linux.resources.devices");
    }
}
