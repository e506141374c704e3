package io.mdocker.internal.state;

import io.mdocker.ContainerException;
import io.mdocker.bindings.Linux;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Errno;
import io.mdocker.internal.sys.Posix;
import io.mdocker.internal.sys.SelfIds;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state roots made safe before anything is written below them: every directory from {@code /}
 * down to a root is walked one name at a time with {@code openat2(O_PATH | O_NOFOLLOW | O_DIRECTORY)}
 * from the descriptor of the one above, and each must belong to root or to the runtime's user and
 * be writable by nobody else (a parent of the root may be world-writable with the sticky bit, as
 * {@code /tmp}: others can then add names there but never replace ours). A symbolic link on the
 * way is followed only when root or the runtime's user owns it; one owned by anyone else is
 * refused, as is a directory another user owns or may write. Missing directories are made by name
 * below the verified descriptor of their parent (mode 0711) and checked again once opened, so a
 * name another user took meanwhile is refused rather than used.
 *
 * <p>Once every directory on the way can be changed by root and the runtime's user alone, no
 * other user can redirect a path below it, so the rest of the runtime may use paths. The roots
 * are made 0711 (nothing in them can be listed by others) and the directories in them 0700
 * (nothing below can be reached by others); the files in them are 0600 besides.
 */
public final class StateRoots {
    private static final int MAX_LINKS = 40;
    private static final int WRITE_BY_OTHERS = 0022;
    private static final int STICKY = 01000;
    private static final int S_IFMT = 0170000;
    private static final int S_IFLNK = 0120000;
    private static final Set<PosixFilePermission> ROOT_MODE = PosixFilePermissions.fromString("rwx--x--x");
    private static final Set<PosixFilePermission> PRIVATE_DIR = PosixFilePermissions.fromString("rwx------");

    private StateRoots() {}

    /**
     * Verifies {@code root} (absolute) and each of its parents, makes what is missing, sets the
     * root to 0711 and the directories in it to 0700 (those the runtime's user owns; any other
     * entry that is a link or someone else's directory is refused). Returns the root's real path.
     *
     * @throws ContainerException when another user could change it
     */
    public static Path secure(Path root, String... children) {
        Path real = walk(root.toAbsolutePath().normalize(), root);
        for (String child : children) { // made here, 0700, rather than 0755 by whoever needs one first
            try {
                Files.createDirectory(real.resolve(child), PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
            } catch (FileAlreadyExistsException e) {
                // checked below
            } catch (IOException e) {
                throw new UncheckedIOException("creating " + real.resolve(child) + ": " + e.getMessage(), e);
            }
        }
        tightenEntries(real, root);
        return real;
    }

    /** The directories the run root holds. */
    public static final String[] RUN_DIRS = {"containers", "names", "exec-identities", "net"};
    /** The directories the lib root holds (the seccomp cache makes its own, 0700). */
    public static final String[] LIB_DIRS = {"containers", "net"};

    /** Options that create a file readable and writable by its owner alone (0600). */
    public static java.nio.file.attribute.FileAttribute<Set<PosixFilePermission>> privateFile() {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    }

    /** Walks {@code path} from "/", creating what is missing; returns the real path walked. */
    private static Path walk(Path path, Path shown) {
        int euid = SelfIds.euid();
        int links = 0;
        restart:
        while (true) {
            List<String> names = new ArrayList<>();
            path.forEach(n -> names.add(n.toString()));
            int dir = Posix.open("/", Linux.O_PATH() | Linux.O_DIRECTORY() | Linux.O_CLOEXEC());
            Path at = Path.of("/");
            try {
                check(dir, at, euid, !names.isEmpty(), shown);
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get(i);
                    boolean last = i == names.size() - 1;
                    Path next = at.resolve(name);
                    int child;
                    try {
                        child = openDir(dir, name, next);
                    } catch (ErrnoException e) {
                        if (e.errno() == Linux.ENOENT()) {
                            mkdir(dir, name, next);
                            child = openDir(dir, name, next); // a link planted meanwhile fails here
                        } else if (e.errno() == Linux.ENOTDIR() || e.errno() == Linux.ELOOP()) {
                            Path link = proc(dir).resolve(name);
                            Map<String, Object> a = attributes(link, next, shown);
                            if (((Integer) a.get("mode") & S_IFMT) != S_IFLNK) {
                                throw unsafe(shown, next + " is not a directory");
                            }
                            int owner = (Integer) a.get("uid");
                            if (owner != 0 && owner != euid) {
                                throw unsafe(shown, next + " is a symbolic link owned by uid " + owner
                                        + ", another user than this runtime's (uid " + euid + ") and root");
                            }
                            if (++links > MAX_LINKS) {
                                throw unsafe(shown, "too many symbolic links below " + next);
                            }
                            Path target;
                            try {
                                target = Files.readSymbolicLink(link);
                            } catch (IOException io) {
                                throw new UncheckedIOException("reading " + next + ": " + io.getMessage(), io);
                            }
                            Path rest = path.getRoot();
                            for (String n : names.subList(i + 1, names.size())) {
                                rest = rest.resolve(n);
                            }
                            path = at.resolve(target).resolve(rest.toString().substring(1)).normalize();
                            continue restart;
                        } else {
                            throw new UncheckedIOException(new IOException("opening " + next + ": "
                                    + Errno.describe(e.errno()), e));
                        }
                    }
                    Posix.closeQuietly(dir);
                    dir = child;
                    at = next;
                    check(dir, at, euid, !last, shown);
                    if (last) {
                        Map<String, Object> a = attributes(proc(dir), at, shown);
                        if ((Integer) a.get("uid") == euid && ((Integer) a.get("mode") & 0066) != 0) {
                            setMode(proc(dir), ROOT_MODE, at); // an older root (0755): nothing listed by others
                        }
                    }
                }
                return at;
            } finally {
                Posix.closeQuietly(dir);
            }
        }
    }

    /** The directories in {@code root}: its user's are made 0700; links and others' directories are refused. */
    private static void tightenEntries(Path root, Path shown) {
        int euid = SelfIds.euid();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root)) {
            for (Path entry : ds) {
                Map<String, Object> a = attributes(entry, entry, shown);
                int mode = (Integer) a.get("mode");
                int owner = (Integer) a.get("uid");
                if ((mode & S_IFMT) == S_IFLNK || ((mode & S_IFMT) == 0040000 && owner != euid && owner != 0)) {
                    throw unsafe(shown, entry + ((mode & S_IFMT) == S_IFLNK ? " is a symbolic link" : " is a directory")
                            + " owned by uid " + owner + ": state directories are never links, and belong to uid " + euid);
                }
                // 0710 is kept: the containers directory a remapped (userns) container's root
                // traverses through its group, which can list and change nothing there
                if ((mode & S_IFMT) == 0040000 && (mode & 077) != 0 && (mode & 077) != 010 && owner == euid) {
                    setMode(entry, PRIVATE_DIR, entry);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + root + ": " + e.getMessage(), e);
        }
    }

    /** {@code dir} must belong to root or {@code euid}; write access for others only on a sticky parent. */
    private static void check(int dir, Path at, int euid, boolean parent, Path shown) {
        Map<String, Object> a = attributes(proc(dir), at, shown);
        int owner = (Integer) a.get("uid");
        int mode = (Integer) a.get("mode");
        if (owner != 0 && owner != euid) {
            throw unsafe(shown, at + " belongs to uid " + owner + ", another user than this runtime's (uid " + euid
                    + ") and root");
        }
        if ((mode & WRITE_BY_OTHERS) != 0 && !(parent && (mode & STICKY) != 0)) {
            throw unsafe(shown, at + " is writable by other users (mode " + Integer.toOctalString(mode & 07777) + ")");
        }
    }

    private static int openDir(int dir, String name, Path shown) {
        return Posix.openat2(dir, name, Linux.O_PATH() | Linux.O_DIRECTORY() | Linux.O_NOFOLLOW() | Linux.O_CLOEXEC(),
                0, 0, shown.toString());
    }

    /** mkdir of one name below a verified descriptor; a name made meanwhile is checked when opened. */
    private static void mkdir(int dir, String name, Path shown) {
        try {
            Files.createDirectory(proc(dir).resolve(name), PosixFilePermissions.asFileAttribute(ROOT_MODE));
        } catch (FileAlreadyExistsException e) {
            // checked as it is opened
        } catch (IOException e) {
            throw new UncheckedIOException("creating " + shown + ": " + e.getMessage(), e);
        }
    }

    private static void setMode(Path p, Set<PosixFilePermission> mode, Path shown) {
        try {
            Files.setPosixFilePermissions(p, mode);
        } catch (IOException e) {
            throw new UncheckedIOException("setting the mode of " + shown + ": " + e.getMessage(), e);
        }
    }

    /** lstat of {@code p}; for a descriptor's /proc/self/fd/N, stat of what it is open on. */
    private static Map<String, Object> attributes(Path p, Path at, Path shown) {
        boolean descriptor = p.getParent() != null && p.getParent().toString().equals("/proc/self/fd");
        try {
            return descriptor ? Files.readAttributes(p, "unix:mode,uid")
                    : Files.readAttributes(p, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UncheckedIOException("checking " + at + " (state root " + shown + "): " + e.getMessage(), e);
        }
    }

    private static ContainerException unsafe(Path root, String why) {
        return new ContainerException("refusing the state root " + root + ": " + why
                + " (a state root and its parents must be writable by root and this runtime's user alone)");
    }

    private static Path proc(int fd) {
        return Path.of("/proc/self/fd", Integer.toString(fd));
    }
}
