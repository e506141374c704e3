package io.mdocker.internal.process;

import io.mdocker.ContainerException;
import io.mdocker.internal.sys.Namespaces;
import io.mdocker.internal.sys.Posix;
import io.mdocker.internal.sys.SelfIds;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The user namespace of a rootless container (this JVM's effective uid is not 0): whether the
 * host allows one, and the uid and gid maps its pid 1 gets, written from outside (by this JVM)
 * after pid 1 is cloned and before CONFIG, as runc and crun do. With subordinate ranges for this
 * user in /etc/subuid and /etc/subgid, {@code newuidmap}/{@code newgidmap} (Debian's uidmap)
 * map root inside to this user and ids 1.. to the range; without them a single mapping of this
 * user to root inside, with setgroups denied (only ids 0 exist inside then: a chown to another
 * id fails with EINVAL). Thread-safe; the host's facts are read once.
 */
public final class UserNamespace {
    private UserNamespace() {}

    /** A subordinate range: {@code count} ids from {@code start}. */
    public record Range(long start, long count) { }

    /**
     * The maps of every rootless container of this JVM: this user's uid and gid to 0 inside,
     * and the subordinate ranges to 1.. when the user has them (both, or the single mapping).
     */
    public record IdMaps(int uid, int gid, Optional<Range> subUids, Optional<Range> subGids,
                         Optional<Path> newuidmap, Optional<Path> newgidmap) {
        /** Only this user's uid and gid are mapped (to 0). */
        public boolean single() {
            return subUids.isEmpty();
        }

        /** The highest id that exists inside. */
        public long maxUid() {
            return subUids.map(Range::count).orElse(0L);
        }

        public long maxGid() {
            return subGids.map(Range::count).orElse(0L);
        }

        /** In words, for messages and docs. */
        public String describe() {
            return single() ? "uid " + uid + " and gid " + gid + " as 0 (no subordinate ids)"
                    : "uid " + uid + " as 0 and 1-" + maxUid() + " as " + subUids.get().start() + "-"
                    + (subUids.get().start() + maxUid() - 1);
        }

        /** Writes the maps of process {@code pid} (cloned into its user namespace, not yet mapped). */
        public void write(int pid) {
            if (single()) {
                Path proc = Path.of("/proc", Integer.toString(pid));
                writeProc(proc.resolve("setgroups"), "deny"); // an unprivileged gid_map needs it
                writeProc(proc.resolve("gid_map"), "0 " + gid + " 1\n");
                writeProc(proc.resolve("uid_map"), "0 " + uid + " 1\n");
                return;
            }
            // both at once, spawned as mdocker-init is; a failure is run again to capture its message
            List<String> uidArgs = args(pid, uid, subUids.get());
            List<String> gidArgs = args(pid, gid, subGids.get());
            int u = Spawner.spawnTool(newuidmap.get().toString(), uidArgs);
            int g;
            try {
                g = Spawner.spawnTool(newgidmap.get().toString(), gidArgs);
            } catch (RuntimeException e) {
                Posix.waitpid(u, 0);
                throw e;
            }
            int us = Posix.waitpid(u, 0);
            int gs = Posix.waitpid(g, 0);
            if (us != 0) {
                throw failure(newuidmap.get(), uidArgs, us);
            }
            if (gs != 0) {
                throw failure(newgidmap.get(), gidArgs, gs);
            }
        }

        private static List<String> args(int pid, int id, Range range) {
            return List.of(Integer.toString(pid), "0", Integer.toString(id), "1", "1", Long.toString(range.start()),
                    Long.toString(range.count()));
        }

        /** The tool's message: it is run once more (nothing changes: the maps can be written once). */
        private static ContainerException failure(Path tool, List<String> args, int status) {
            String message = "";
            try {
                List<String> cmd = new java.util.ArrayList<>(List.of(tool.toString()));
                cmd.addAll(args);
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                message = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip().replace('\n', ' ');
                p.waitFor();
            } catch (IOException e) {
                message = e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new ContainerException(tool + " " + String.join(" ", args) + " failed (wait status " + status + "): "
                    + message);
        }

        private static void writeProc(Path file, String text) {
            try {
                Files.writeString(file, text);
            } catch (IOException e) {
                throw new ContainerException("writing " + text.strip() + " to " + file + ": " + e.getMessage(), e);
            }
        }
    }

    /** The system property naming the user whose subordinate range a root JVM's userns containers get. */
    public static final String REMAP_USER_PROPERTY = "mdocker.userns.user";

    /** The user whose range is used when the property is not set (Docker's userns-remap default). */
    public static final String DEFAULT_REMAP_USER = "dockremap";

    /**
     * A root JVM's remapped container (Docker's userns-remap): ids 0..count-1 inside are the
     * range of {@code user} outside; root writes the maps itself, no helper needed.
     */
    public record Remap(String user, Range uids, Range gids) {
        /** Writes the maps of process {@code pid} (cloned into its user namespace, not yet mapped). */
        public void write(int pid) {
            Path proc = Path.of("/proc", Integer.toString(pid));
            IdMaps.writeProc(proc.resolve("gid_map"), "0 " + gids.start() + " " + gids.count() + "\n");
            IdMaps.writeProc(proc.resolve("uid_map"), "0 " + uids.start() + " " + uids.count() + "\n");
        }

        /** In words, for messages and docs. */
        public String describe() {
            return "uids 0-" + (uids.count() - 1) + " as " + uids.start() + "-" + (uids.start() + uids.count() - 1)
                    + " (user " + user + "'s range)";
        }
    }

    /**
     * The remap range of a root JVM's userns containers: the first range in /etc/subuid and
     * /etc/subgid of the user named by {@link #REMAP_USER_PROPERTY} (default dockremap).
     *
     * @throws IllegalArgumentException in one line naming what to add, when there is none
     */
    public static Remap remap() {
        return remap(Path.of("/etc"), System.getProperty(REMAP_USER_PROPERTY, DEFAULT_REMAP_USER));
    }

    static Remap remap(Path etc, String user) {
        if (user.isBlank() || user.contains(":") || user.contains("\n")) {
            throw new IllegalArgumentException("-D" + REMAP_USER_PROPERTY + "=" + user
                    + " is not a user name: expected the name in /etc/subuid whose range userns containers get");
        }
        Optional<Range> uids = range(etc.resolve("subuid"), user, -1);
        Optional<Range> gids = range(etc.resolve("subgid"), user, -1);
        if (uids.isEmpty() || gids.isEmpty()) {
            throw new IllegalArgumentException("userns needs a subordinate range for user " + user + " in "
                    + etc.resolve(uids.isEmpty() ? "subuid" : "subgid") + ": add a line such as " + user
                    + ":165536:65536 to " + etc.resolve("subuid") + " and " + etc.resolve("subgid")
                    + " (or name another user with -D" + REMAP_USER_PROPERTY + "=NAME)");
        }
        return new Remap(user, uids.get(), gids.get());
    }

    private static volatile IdMaps maps;

    /** Whether containers of this JVM get a user namespace (its effective uid is not 0). */
    public static boolean rootless() {
        return Namespaces.rootless();
    }

    /**
     * Why rootless containers cannot work on this host, in one line naming the setting and the
     * fix; empty when nothing known stands in the way.
     */
    public static Optional<String> unavailable() {
        return io.mdocker.internal.RootlessSupport.unavailable(Path.of("/proc/sys"));
    }

    /**
     * The maps of this JVM's containers, read once from /etc/subuid and /etc/subgid.
     *
     * @throws ContainerException when the user has subordinate ranges but newuidmap or newgidmap is missing
     */
    public static IdMaps maps() {
        IdMaps m = maps;
        if (m == null) {
            synchronized (UserNamespace.class) {
                m = maps;
                if (m == null) {
                    m = read(Path.of("/etc"), System.getProperty("user.name"), SelfIds.euid(), SelfIds.egid(),
                            List.of(Path.of("/usr/bin"), Path.of("/bin"), Path.of("/usr/sbin"), Path.of("/sbin")));
                    maps = m;
                }
            }
        }
        return m;
    }

    static IdMaps read(Path etc, String user, int uid, int gid, List<Path> bins) {
        Optional<Range> subUids = range(etc.resolve("subuid"), user, uid);
        Optional<Range> subGids = range(etc.resolve("subgid"), user, uid);
        if (subUids.isEmpty() || subGids.isEmpty()) {
            return new IdMaps(uid, gid, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        }
        Optional<Path> newuidmap = find(bins, "newuidmap");
        Optional<Path> newgidmap = find(bins, "newgidmap");
        if (newuidmap.isEmpty() || newgidmap.isEmpty()) {
            throw new ContainerException("user " + user + " has subordinate ids in " + etc.resolve("subuid") + " and "
                    + etc.resolve("subgid") + ", but " + (newuidmap.isEmpty() ? "newuidmap" : "newgidmap")
                    + " is missing: install it (Debian: apt-get install uidmap), or remove the ranges for a single mapping");
        }
        return new IdMaps(uid, gid, subUids, subGids, newuidmap, newgidmap);
    }

    /** The first range of {@code user} (by name or uid) in a subuid/subgid file. */
    static Optional<Range> range(Path file, String user, int uid) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
        for (String line : lines) {
            String[] f = line.strip().split(":");
            if (f.length == 3 && (f[0].equals(user) || f[0].equals(Integer.toString(uid)))) {
                try {
                    long start = Long.parseLong(f[1]);
                    long count = Long.parseLong(f[2]);
                    if (start > 0 && count > 0) {
                        return Optional.of(new Range(start, count));
                    }
                } catch (NumberFormatException e) {
                    // not a range: the tools ignore such lines too
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> find(List<Path> dirs, String name) {
        return dirs.stream().map(d -> d.resolve(name)).filter(Files::isExecutable).findFirst();
    }

}
