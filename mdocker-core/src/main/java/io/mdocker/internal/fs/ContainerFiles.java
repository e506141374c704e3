package io.mdocker.internal.fs;

import io.mdocker.ContainerException;
import io.mdocker.bindings.Linux;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Errno;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Copies files into and out of a container's root directory without ever leaving it: the root is
 * held as a descriptor (of {@code /proc/<pid>/root} for a running container, or of its writable
 * layer before it starts), and every path inside it is opened with
 * {@code openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)}, so {@code ..} and symbolic links,
 * absolute or not, stop at the container's root. Below a descriptor so opened only single names
 * are created, listed or read, with the last component never followed
 * ({@code O_NOFOLLOW}, mkdir, symlink, readlink), and contents and modes are read and written
 * through {@code /proc/self/fd/N} of descriptors already opened (and checked to be regular files).
 * Mode bits (permissions, setuid, setgid, sticky) are kept both ways; new files belong to root.
 *
 * <p>Not thread-safe: one copy at a time per object. {@link #close()} closes the root descriptor.
 */
public final class ContainerFiles implements AutoCloseable {
    private static final long RESOLVE = Linux.RESOLVE_IN_ROOT() | Linux.RESOLVE_NO_MAGICLINKS();
    private static final int DEFAULT_DIR_MODE = 0755;

    private final int root;
    private final String container;
    /** The attributes a missing parent directory is made with, by its path inside the container. */
    private final Function<String, Optional<FileMeta>> parentTemplate;

    private ContainerFiles(int root, String container, Function<String, Optional<FileMeta>> parentTemplate) {
        this.root = root;
        this.container = container;
        this.parentTemplate = parentTemplate;
    }

    /**
     * Opens {@code rootDir} as a container's root. {@code parentTemplate} gives the mode of a
     * parent directory the copy has to make (for a writable layer: the directory in the image
     * below it, so that a layer never changes the mode the image gives a directory).
     */
    public static ContainerFiles open(Path rootDir, String container,
                                      Function<String, Optional<FileMeta>> parentTemplate) {
        int fd = Posix.openat2(-100 /* AT_FDCWD */, rootDir.toString(),
                Linux.O_PATH() | Linux.O_DIRECTORY() | Linux.O_CLOEXEC(), 0, 0, rootDir.toString());
        return new ContainerFiles(fd, container, parentTemplate);
    }

    /** Opens the root of the running container whose pid 1 has host pid {@code pid1}. */
    public static ContainerFiles openRootOf(int pid1, String container) {
        return open(Path.of("/proc", Integer.toString(pid1), "root"), container, path -> Optional.empty());
    }

    /**
     * Copies the host file, directory tree or symbolic link {@code source} to {@code target} in
     * the container (the path the copy gets; missing parents are made). An existing file is
     * replaced, an existing directory merged into.
     */
    public void copyIn(Path source, String target) {
        copyIn(new FileSource.HostPath(source, java.util.OptionalInt.empty()), target);
    }

    /**
     * Copies {@code source} to {@code target} in the container: a host path as
     * {@link #copyIn(Path, String)} does (its mode, when given, replacing the copied file's or top
     * directory's own), a content as a regular file with its mode. Missing parents are made; an
     * existing file is replaced, never followed when it is a link.
     */
    public void copyIn(FileSource source, String target) {
        List<String> names = ContainerPaths.components(target, "copy target");
        if (names.isEmpty()) {
            throw new IllegalArgumentException("invalid copy target '" + target + "': expected a path below /");
        }
        FileMeta attrs = null;
        if (source instanceof FileSource.HostPath h) {
            attrs = hostAttributes(h.path());
            if (h.mode().isPresent()) {
                if (attrs.isSymbolicLink()) {
                    throw new IllegalArgumentException("cannot copy " + h.path() + " with mode "
                            + Integer.toOctalString(h.mode().getAsInt()) + ": it is a symbolic link, which has no mode");
                }
                attrs = new FileMeta((attrs.mode() & ~07777) | h.mode().getAsInt(), attrs.uid(), attrs.gid());
            }
        }
        String parent = ContainerPaths.join(names.subList(0, names.size() - 1));
        int dir = ensureDirectory(parent);
        String dirPath = parent.isEmpty() ? "/" : "/" + parent + "/";
        String name = names.get(names.size() - 1);
        try {
            switch (source) {
                case FileSource.HostPath h -> copyInto(h.path(), attrs, dir, dirPath, name);
                case FileSource.Content c -> writeFile(dir, dirPath, name, c.opener()::open, c.mode());
            }
        } catch (IOException e) {
            throw new ContainerException("copying " + source.describe() + " to " + target + " in container " + container
                    + ": " + e.getMessage(), e);
        } finally {
            Posix.closeQuietly(dir);
        }
    }

    /** Writes a regular file {@code name} below {@code dir} (replacing one, never following a link) with its mode. */
    private void writeFile(int dir, String dirPath, String name, FileSource.Opener content, int mode) throws IOException {
        try (InputStream in = content.open()) { // first: a source that cannot be read leaves no empty file
            int fd = openRegularFile(dir, name, dirPath + name);
            try {
                requireRegular(fd, dirPath + name);
                // reopens the very file checked (an O_PATH descriptor of an existing one, or the new one)
                try (OutputStream out = Files.newOutputStream(proc(fd), StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    in.transferTo(out);
                }
                Files.setAttribute(proc(fd), "unix:mode", mode & 07777);
            } finally {
                Posix.closeQuietly(fd);
            }
        }
    }

    /**
     * A descriptor of the regular file {@code name} below {@code dir} to write, never opening
     * anything else for I/O: an existing entry is opened with {@code O_PATH | O_NOFOLLOW} (which
     * opens nothing: no device driver, fifo or socket is reached) and its type read from that
     * descriptor; only a regular file is returned, to be reopened through /proc/self/fd. A missing
     * one is created with {@code O_CREAT | O_EXCL}, so what is opened is the new regular file.
     */
    private int openRegularFile(int dir, String name, String shown) {
        for (int attempt = 0; attempt < 3; attempt++) {
            int fd;
            try {
                fd = Posix.openat2(dir, name, Linux.O_PATH() | Linux.O_NOFOLLOW() | Linux.O_CLOEXEC(), 0, RESOLVE, shown);
            } catch (ErrnoException e) {
                if (e.errno() != Linux.ENOENT()) {
                    throw failure(e, shown);
                }
                try {
                    return Posix.openat2(dir, name, Linux.O_WRONLY() | Linux.O_CREAT() | Linux.O_EXCL()
                            | Linux.O_NOFOLLOW() | Linux.O_CLOEXEC(), 0600, RESOLVE, shown);
                } catch (ErrnoException c) {
                    if (c.errno() == Linux.EEXIST()) {
                        continue; // made meanwhile: looked at again
                    }
                    throw failure(c, shown);
                }
            }
            try {
                FileMeta meta = FileMeta.of(proc(fd)); // the object the O_PATH descriptor holds, not followed
                String where = shown + " in container " + container;
                if (meta.isSymbolicLink()) {
                    throw new IllegalArgumentException(where + " is a symbolic link (not followed)");
                }
                if (meta.isDirectory()) {
                    throw new IllegalArgumentException(where + " is a directory");
                }
                if (!meta.isRegularFile()) {
                    throw new IllegalArgumentException("refusing to copy to " + where + ": it is a " + meta.kind()
                            + ", not a regular file (not opened)");
                }
                return fd;
            } catch (IOException e) {
                Posix.closeQuietly(fd);
                throw new ContainerException(shown + " in container " + container + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                Posix.closeQuietly(fd);
                throw e;
            }
        }
        throw new ContainerException(shown + " in container " + container + " kept changing while it was copied to");
    }

    /** Whether {@code path} names a directory in the container (following links inside it). */
    public boolean isDirectory(String path) {
        String relative = ContainerPaths.join(ContainerPaths.components(path, "path"));
        if (relative.isEmpty()) {
            return true; // the root
        }
        int fd;
        try {
            fd = Posix.openat2(root, relative, Linux.O_PATH() | Linux.O_CLOEXEC(), 0, RESOLVE, path);
        } catch (ErrnoException e) {
            return false; // missing, or not reachable as a directory
        }
        try {
            return FileMeta.of(proc(fd)).isDirectory();
        } catch (IOException e) {
            return false;
        } finally {
            Posix.closeQuietly(fd);
        }
    }

    /**
     * Copies {@code source} in the container (a file, a directory tree, or what a symbolic link
     * there points to inside the container) to the host path {@code target}. Symbolic links below
     * a copied directory are copied as links; other special files are refused.
     */
    public void copyOut(String source, Path target) {
        List<String> names = ContainerPaths.components(source, "copy source");
        String path = ContainerPaths.join(names);
        int fd = openInRoot(root, path, Linux.O_PATH(), source);
        try {
            FileMeta attrs = FileMeta.of(proc(fd));
            if (attrs.isDirectory()) {
                copyDirectoryOut(fd, attrs, target);
            } else if (attrs.isRegularFile()) {
                copyFileOut(fd, attrs, target);
            } else {
                throw new IllegalArgumentException("cannot copy " + source + " out of container " + container
                        + ": it is not a file or directory");
            }
        } catch (IOException e) {
            throw new ContainerException("copying " + source + " out of container " + container + " to " + target + ": "
                    + e.getMessage(), e);
        } finally {
            Posix.closeQuietly(fd);
        }
    }

    private void copyInto(Path source, FileMeta attrs, int dir, String dirPath, String name) throws IOException {
        Path at = proc(dir).resolve(name); // one name below a confined descriptor
        if (attrs.isSymbolicLink()) {
            removeNonDirectory(at, dirPath + name);
            Files.createSymbolicLink(at, Files.readSymbolicLink(source));
        } else if (attrs.isDirectory()) {
            try {
                Files.createDirectory(at);
            } catch (FileAlreadyExistsException e) {
                if (!Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
                    throw new IllegalArgumentException("cannot copy directory " + source + " to " + dirPath + name
                            + " in container " + container + ": a file or link of that name exists");
                }
            }
            int child = openInRoot(dir, name, Linux.O_PATH() | Linux.O_DIRECTORY() | Linux.O_NOFOLLOW(), dirPath + name);
            try {
                setMode(child, attrs);
                try (Stream<Path> entries = Files.list(source)) {
                    for (Path entry : entries.sorted().toList()) {
                        copyInto(entry, hostAttributes(entry), child, dirPath + name + "/", entry.getFileName().toString());
                    }
                }
            } finally {
                Posix.closeQuietly(child);
            }
        } else if (attrs.isRegularFile()) {
            writeFile(dir, dirPath, name, () -> Files.newInputStream(source), attrs.permissions());
        } else {
            throw new IllegalArgumentException("cannot copy " + source + " into container " + container
                    + ": only files, directories and symbolic links are copied");
        }
    }

    private void copyDirectoryOut(int dir, FileMeta attrs, Path target) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("cannot copy a directory to " + target + ": a file of that name exists");
        }
        Files.createDirectories(target);
        List<String> names;
        try (Stream<Path> entries = Files.list(proc(dir))) {
            names = entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
        for (String name : names) {
            FileMeta a = FileMeta.of(proc(dir).resolve(name), LinkOption.NOFOLLOW_LINKS);
            Path to = target.resolve(name);
            if (a.isSymbolicLink()) {
                Files.deleteIfExists(to);
                Files.createSymbolicLink(to, Files.readSymbolicLink(proc(dir).resolve(name)));
            } else if (a.isDirectory()) {
                int child = openInRoot(dir, name, Linux.O_PATH() | Linux.O_DIRECTORY() | Linux.O_NOFOLLOW(), name);
                try {
                    copyDirectoryOut(child, a, to);
                } finally {
                    Posix.closeQuietly(child);
                }
            } else if (a.isRegularFile()) {
                int fd = openInRoot(dir, name, Linux.O_PATH() | Linux.O_NOFOLLOW(), name);
                try {
                    copyFileOut(fd, a, to);
                } finally {
                    Posix.closeQuietly(fd);
                }
            } // sockets, fifos and devices are not copied out
        }
        Files.setAttribute(target, "unix:mode", attrs.permissions());
    }

    private void copyFileOut(int fd, FileMeta attrs, Path target) throws IOException {
        requireRegular(fd, target.toString());
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("cannot copy a file to " + target + ": it is a directory");
        }
        Files.deleteIfExists(target); // a link there is replaced, never followed
        try (InputStream in = Files.newInputStream(proc(fd))) { // reopens the checked regular file
            Files.copy(in, target);
        }
        Files.setAttribute(target, "unix:mode", attrs.permissions());
    }

    /** Opens (making what is missing) the directory {@code path} ("" is the root), as an O_PATH descriptor. */
    private int ensureDirectory(String path) {
        List<String> names = ContainerPaths.components("/" + path, "copy target");
        int dir = openInRoot(root, ".", Linux.O_PATH() | Linux.O_DIRECTORY(), "/");
        String done = "";
        for (String name : names) {
            String next = done + name;
            try {
                int child;
                try {
                    child = openInRoot(root, next, Linux.O_PATH() | Linux.O_DIRECTORY(), "/" + next);
                } catch (IllegalArgumentException missing) {
                    if (!missing.getMessage().contains("does not exist")) {
                        throw missing;
                    }
                    Path at = proc(dir).resolve(name);
                    try {
                        Files.createDirectory(at);
                    } catch (FileAlreadyExistsException raced) {
                        // made meanwhile: opened below
                    }
                    child = openInRoot(dir, name, Linux.O_PATH() | Linux.O_DIRECTORY() | Linux.O_NOFOLLOW(), "/" + next);
                    Optional<FileMeta> template = parentTemplate.apply("/" + next);
                    Files.setAttribute(proc(child), "unix:mode", template.map(FileMeta::permissions).orElse(DEFAULT_DIR_MODE));
                    if (template.isPresent()) {
                        Files.setAttribute(proc(child), "unix:uid", template.get().uid());
                        Files.setAttribute(proc(child), "unix:gid", template.get().gid());
                    }
                }
                Posix.closeQuietly(dir);
                dir = child;
                done = next + "/";
            } catch (IOException e) {
                Posix.closeQuietly(dir);
                throw new ContainerException("making directory /" + next + " in container " + container + ": "
                        + e.getMessage(), e);
            } catch (RuntimeException e) {
                Posix.closeQuietly(dir);
                throw e;
            }
        }
        return dir;
    }

    /**
     * openat2 below {@code dirfd} confined to it as root; a bad path becomes a one-line
     * {@link IllegalArgumentException} naming it, other failures a {@link ContainerException}.
     */
    private int openInRoot(int dirfd, String path, int flags, String shown) {
        try {
            // openat2 wants mode 0 unless a file may be created; the real mode is set once it is written
            long mode = (flags & Linux.O_CREAT()) != 0 ? 0600 : 0;
            return Posix.openat2(dirfd, path, flags | Linux.O_CLOEXEC(), mode, RESOLVE, shown);
        } catch (ErrnoException e) {
            throw failure(e, shown);
        }
    }

    /** A failed openat2 of {@code shown}: a bad path as a one-line {@link IllegalArgumentException}, else a {@link ContainerException}. */
    private RuntimeException failure(ErrnoException e, String shown) {
        String where = shown + " in container " + container;
        if (e.errno() == Linux.ENOENT()) {
            return new IllegalArgumentException(where + " does not exist");
        }
        if (e.errno() == Linux.ENOTDIR()) {
            return new IllegalArgumentException(where + ": not a directory");
        }
        if (e.errno() == Linux.ELOOP()) {
            return new IllegalArgumentException(where + " is a symbolic link (not followed)");
        }
        if (e.errno() == Linux.EISDIR()) {
            return new IllegalArgumentException(where + " is a directory");
        }
        return new ContainerException(where + ": " + Errno.describe(e.errno()), e);
    }

    private void requireRegular(int fd, String shown) throws IOException {
        if (!FileMeta.of(proc(fd)).isRegularFile()) {
            throw new IllegalArgumentException(shown + " in container " + container + " is not a regular file");
        }
    }

    private static void removeNonDirectory(Path at, String shown) throws IOException {
        if (Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("cannot replace directory " + shown + " with a symbolic link");
        }
        Files.deleteIfExists(at); // unlink: never follows
    }

    private static void setMode(int fd, FileMeta attrs) throws IOException {
        Files.setAttribute(proc(fd), "unix:mode", attrs.permissions());
    }

    private static FileMeta hostAttributes(Path source) {
        try {
            return FileMeta.of(source, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("cannot copy " + source + ": it does not exist on the host");
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot copy " + source + ": " + e);
        }
    }

    /**
     * What a copy needs of a file: its type and mode bits (st_mode) and owner.
     *
     * @param mode st_mode, type bits included
     */
    public record FileMeta(int mode, int uid, int gid) {
        private static final int S_IFMT = 0170000;

        /** Reads them with lstat (NOFOLLOW_LINKS) or stat. */
        public static FileMeta of(Path p, LinkOption... options) throws IOException {
            var a = Files.readAttributes(p, "unix:mode,uid,gid", options);
            return new FileMeta((Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"));
        }

        /** Permissions with the setuid, setgid and sticky bits. */
        public int permissions() {
            return mode & 07777;
        }

        public boolean isDirectory() {
            return (mode & S_IFMT) == 0040000;
        }

        public boolean isRegularFile() {
            return (mode & S_IFMT) == 0100000;
        }

        public boolean isSymbolicLink() {
            return (mode & S_IFMT) == 0120000;
        }

        /** The file's type in words. */
        public String kind() {
            return switch (mode & S_IFMT) {
                case 0100000 -> "regular file";
                case 0040000 -> "directory";
                case 0120000 -> "symbolic link";
                case 0020000 -> "character device";
                case 0060000 -> "block device";
                case 0010000 -> "fifo";
                case 0140000 -> "socket";
                default -> "special file";
            };
        }
    }

    private static Path proc(int fd) {
        return Path.of("/proc/self/fd", Integer.toString(fd));
    }

    @Override
    public void close() {
        Posix.closeQuietly(root);
    }
}
