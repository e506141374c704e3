package io.mdocker.internal.image;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.process.UsernsFiles;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Errno;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes one layer's tar stream into an empty directory in overlayfs form: whiteouts
 * ({@code .wh.NAME}) become 0/0 character devices, opaque markers ({@code .wh..wh..opq}) the
 * xattr {@code trusted.overlay.opaque=y} (or {@code user.overlay.opaque} for a store mounted
 * without root) on their directory.
 *
 * <p>Everything is done below directory descriptors: a member's parent is walked one name at a
 * time from the layer's root with {@code openat2(O_NOFOLLOW, RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS)}, and a member whose path goes through a symbolic link, {@code ..}, or an
 * absolute name is refused, as is a hard link to such a path; the member itself is created as one
 * name below that descriptor (through {@code /proc/self/fd/N/NAME}), replacing what the layer put
 * there before (a directory stays a directory). Owners, modes, extended attributes (their bytes as
 * stored) and times are set on the name itself, never through a link: chmod is not called for
 * links; lchown, lsetxattr and utimensat(AT_SYMLINK_NOFOLLOW) act on the link. Directory times are
 * set last, once their content is written.
 *
 * <p>A rootless JVM (deferred owners) cannot chown, nor make device nodes other than overlay's
 * 0/0 whiteouts: it writes every file as itself, directories searchable and writable by it
 * until the end, and collects each member's owner, mode and file capability for the owners helper
 * ({@link UsernsFiles}), which applies them inside the containers' user namespace once the layer
 * is written. Owners beyond the subordinate range are refused; with a single mapping every owner
 * is root inside (the user). Device nodes are left out (a container's /dev is its own), and
 * extended attributes other than {@code user.*} and {@code security.capability} are dropped.
 *
 * <p>Not thread-safe; one object per unpack.
 */
final class LayerUnpacker implements AutoCloseable {
    private static final long RESOLVE = Linux.RESOLVE_IN_ROOT() | Linux.RESOLVE_NO_MAGICLINKS();
    private static final String WHITEOUT = ".wh.";
    private static final String OPAQUE = ".wh..wh..opq";
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;
    private static final int S_IFIFO = 0010000;

    private final int root;
    private final String layer;
    private final List<String> opaqueXattrs;
    /** Owners for the owners helper by path (rootless), or null: set directly. */
    private final Map<String, UsernsFiles.Owner> deferred;
    private final long maxUid;
    private final long maxGid;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(1 << 17);
    private final byte[] heapBuffer = new byte[1 << 17];
    /** Directories' times, set after their content. */
    private final List<DirTimes> dirTimes = new ArrayList<>();
    /** The parent descriptor of the last member, kept while members stay in one directory. */
    private String cachedParent;
    private int cachedParentFd = -1;

    private record DirTimes(List<String> path, Instant mtime) {}

    /**
     * @param dir         the empty directory to unpack into
     * @param layer       names the layer in errors
     * @param opaqueXattrs the xattrs that mark an opaque directory ({@code trusted.overlay.opaque},
     *                     {@code user.overlay.opaque})
     * @param deferOwners  collect owners for the owners helper rather than set them (rootless)
     */
    LayerUnpacker(Path dir, String layer, List<String> opaqueXattrs, boolean deferOwners) {
        this.root = Posix.openat2(-100, dir.toString(), Linux.O_PATH() | Linux.O_DIRECTORY() | Linux.O_CLOEXEC(), 0, 0,
                dir.toString());
        this.layer = layer;
        this.opaqueXattrs = List.copyOf(opaqueXattrs);
        this.deferred = deferOwners ? new LinkedHashMap<>() : null;
        var maps = deferOwners ? io.mdocker.internal.process.UserNamespace.maps() : null;
        this.maxUid = maps == null ? Long.MAX_VALUE : maps.maxUid();
        this.maxGid = maps == null ? Long.MAX_VALUE : maps.maxGid();
    }

    /** The owners collected for the owners helper, in the order of the members (empty unless deferred). */
    List<UsernsFiles.Owner> deferredOwners() {
        return deferred == null ? List.of() : List.copyOf(deferred.values());
    }

    /** Thrown for a member refused or a layer that cannot be unpacked; its message is one line. */
    static final class LayerException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        LayerException(String message) {
            super(message);
        }

        LayerException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Unpacks every member of {@code tar} (the uncompressed stream). */
    void unpack(TarReader tar) throws IOException {
        for (var next = tar.next(); next.isPresent(); next = tar.next()) {
            TarEntry e = next.get();
            try {
                member(e, tar);
            } catch (ErrnoException x) {
                throw refuse(e.name(), x.getMessage());
            }
        }
        for (int i = dirTimes.size() - 1; i >= 0; i--) {
            DirTimes d = dirTimes.get(i);
            int fd = d.path.isEmpty() ? Posix.dup(root, "layer root") : openDir(d.path, false);
            try {
                setTimes(fd, ".", d.mtime, String.join("/", d.path));
            } finally {
                Posix.closeQuietly(fd);
            }
        }
    }

    private void member(TarEntry e, TarReader tar) throws IOException {
        List<String> names = clean(e.name(), e);
        if (e.name().endsWith("/") && e.type() != TarEntry.Type.DIRECTORY) {
            throw refuse(e.name(), "a " + e.type().name().toLowerCase() + " whose name ends in '/'");
        }
        if (names.isEmpty()) {
            if (e.type() != TarEntry.Type.DIRECTORY) {
                throw refuse(e.name(), "the layer's root is not a directory");
            }
            Path self = self(root);
            applyOwnerModeXattrs(self, e, false, ".");
            dirTimes.add(new DirTimes(List.of(), e.mtime()));
            return;
        }
        String base = names.get(names.size() - 1);
        List<String> parentNames = names.subList(0, names.size() - 1);
        if (base.startsWith(WHITEOUT)) {
            whiteout(e, parentNames, base);
            return;
        }
        int parent = parent(parentNames, e.name());
        Path at = at(parent, base);
        if (e.type() == TarEntry.Type.DIRECTORY) {
            if (!Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
                removeExisting(at, names);
                Files.createDirectory(at);
            }
            applyOwnerModeXattrs(at, e, false, String.join("/", names));
            dirTimes.add(new DirTimes(List.copyOf(names), e.mtime()));
            return;
        }
        removeExisting(at, names);
        if (deferred != null && (e.type() == TarEntry.Type.CHAR_DEVICE || e.type() == TarEntry.Type.BLOCK_DEVICE)) {
            return; // mknod needs CAP_MKNOD in the host's user namespace
        }
        switch (e.type()) {
            case FILE -> writeFile(parent, base, e, tar.content());
            case SYMLINK -> Files.createSymbolicLink(at, Path.of(e.linkName()));
            case HARDLINK -> {
                hardlink(e, at);
                if (deferred != null) { // the inode's attributes are the target's, kept should the target go
                    UsernsFiles.Owner target = deferred.get(String.join("/", clean(e.linkName(), e)));
                    if (target != null) {
                        deferred.put(String.join("/", names), new UsernsFiles.Owner(String.join("/", names), target.uid(),
                                target.gid(), target.mode(), false, target.capability()));
                    }
                }
                return; // the inode's attributes are the target's
            }
            case CHAR_DEVICE -> Posix.mknodat(parent, base, S_IFCHR | 0600,
                    Posix.makedev(e.devMajor(), e.devMinor()), e.name());
            case BLOCK_DEVICE -> Posix.mknodat(parent, base, S_IFBLK | 0600,
                    Posix.makedev(e.devMajor(), e.devMinor()), e.name());
            case FIFO -> Posix.mknodat(parent, base, S_IFIFO | 0600, 0, e.name());
            default -> throw new AssertionError(e.type());
        }
        applyOwnerModeXattrs(at, e, e.type() == TarEntry.Type.SYMLINK, String.join("/", names));
        setTimes(parent, base, e.mtime(), e.name());
    }

    private void whiteout(TarEntry e, List<String> parentNames, String base) throws IOException {
        if (base.equals(OPAQUE)) {
            if (parentNames.isEmpty()) {
                throw refuse(e.name(), "an opaque marker for the layer's root");
            }
            int parent = parent(parentNames, e.name());
            for (String x : opaqueXattrs) {
                Posix.lsetxattr(self(parent).toString(), x, new byte[] {'y'}, e.name());
            }
            return;
        }
        if (base.startsWith(WHITEOUT + WHITEOUT)) {
            return; // aufs' own metadata (.wh..wh.plnk, .wh..wh.aufs): nothing of the image
        }
        String hidden = base.substring(WHITEOUT.length());
        if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
            throw refuse(e.name(), "a whiteout of '" + hidden + "'");
        }
        int parent = parent(parentNames, e.name());
        Path at = at(parent, hidden);
        List<String> hiddenNames = new ArrayList<>(parentNames);
        hiddenNames.add(hidden);
        removeExisting(at, hiddenNames);
        Posix.mknodat(parent, hidden, S_IFCHR, 0, e.name()); // mode 0, device 0/0: overlay's whiteout
    }

    private void writeFile(int parent, String base, TarEntry e, InputStream content) throws IOException {
        int fd = Posix.openat2(parent, base, Linux.O_WRONLY() | Linux.O_CREAT() | Linux.O_EXCL() | Linux.O_NOFOLLOW()
                | Linux.O_CLOEXEC(), 0600, RESOLVE, e.name());
        try {
            long written = 0;
            int n;
            while ((n = content.read(heapBuffer, 0, heapBuffer.length)) > 0) {
                MemorySegment.copy(heapBuffer, 0, buffer, ValueLayout.JAVA_BYTE, 0, n);
                Posix.writeFully(fd, buffer.asSlice(0, n), e.name());
                written += n;
            }
            if (written != e.size()) {
                throw refuse(e.name(), "content ends after " + written + " of " + e.size() + " bytes");
            }
        } finally {
            Posix.close(fd);
        }
    }

    private void hardlink(TarEntry e, Path at) throws IOException {
        List<String> target = clean(e.linkName(), e);
        if (target.isEmpty()) {
            throw refuse(e.name(), "a hard link to the layer's root");
        }
        int targetParent;
        try {
            targetParent = openDir(target.subList(0, target.size() - 1), false);
        } catch (LayerException missing) {
            throw refuse(e.name(), "hard link to '" + e.linkName() + "': " + missing.getMessage());
        }
        try {
            Path source = at(targetParent, target.get(target.size() - 1));
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(source, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException x) {
                throw refuse(e.name(), "hard link to '" + e.linkName() + "', which the layer does not hold");
            }
            if (a.isDirectory()) {
                throw refuse(e.name(), "hard link to directory '" + e.linkName() + "'");
            }
            Files.createLink(at, source); // link(2): the source's last name is not followed
        } finally {
            Posix.closeQuietly(targetParent);
        }
    }

    /**
     * Sets owner, then mode (not on links: chmod would follow), then extended attributes; when
     * deferred, the mode (a directory's kept open to this user) and {@code user.*} attributes, the
     * rest collected under {@code path} for the owners helper.
     */
    private void applyOwnerModeXattrs(Path at, TarEntry e, boolean link, String path) throws IOException {
        for (String name : e.xattrs().keySet()) {
            if (name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.")) {
                throw refuse(e.name(), "carries overlayfs' own attribute " + name);
            }
        }
        if (deferred != null) {
            deferOwner(at, e, link, path);
            return;
        }
        Files.setAttribute(at, "unix:uid", e.uid(), LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(at, "unix:gid", e.gid(), LinkOption.NOFOLLOW_LINKS);
        if (!link) {
            // the name is this layer's own non-link, just made: chmod does not follow anything
            Files.setAttribute(at, "unix:mode", e.mode());
        }
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            Posix.lsetxattr(at.toString(), x.getKey(), x.getValue(), e.name());
        }
    }

    private void deferOwner(Path at, TarEntry e, boolean link, String path) throws IOException {
        long uid = maxUid == 0 ? 0 : e.uid();
        long gid = maxGid == 0 ? 0 : e.gid();
        if (uid > maxUid || gid > maxGid) {
            throw refuse(e.name(), "owner " + e.uid() + ":" + e.gid() + " does not exist in this user's rootless containers"
                    + " (ids 0-" + Math.min(maxUid, maxGid) + ": the subordinate ranges in /etc/subuid and /etc/subgid)");
        }
        boolean dir = e.type() == TarEntry.Type.DIRECTORY;
        if (!link) {
            Files.setAttribute(at, "unix:mode", dir ? e.mode() | 0700 : e.mode() & 0777);
        }
        byte[] capability = null;
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            if (x.getKey().startsWith("user.")) {
                Posix.lsetxattr(at.toString(), x.getKey(), x.getValue(), e.name());
            } else if (x.getKey().equals("security.capability")) {
                capability = x.getValue();
            }
        }
        deferred.put(path, new UsernsFiles.Owner(path, (int) uid, (int) gid, e.mode(), link, capability));
    }

    /** Sets atime and mtime of {@code name} below {@code dir} with utimensat(AT_SYMLINK_NOFOLLOW): nothing is opened. */
    private static void setTimes(int dir, String name, Instant mtime, String what) {
        Posix.utimensatNoFollow(dir, name, mtime.getEpochSecond(), mtime.getNano(), what);
    }

    /**
     * Removes what the layer put at {@code at} (path {@code names}) before; a directory with its
     * tree. Never follows a link.
     */
    private void removeExisting(Path at, List<String> names) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(at, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        String removed = String.join("/", names);
        if (deferred != null) {
            deferred.remove(removed);
            if (a.isDirectory()) {
                deferred.keySet().removeIf(k -> k.startsWith(removed + "/"));
            }
        }
        if (!a.isDirectory()) {
            Files.delete(at);
            return;
        }
        if (cachedParent != null && (cachedParent.equals(removed) || cachedParent.startsWith(removed + "/"))) {
            dropCachedParent(); // inside the tree removed
        }
        removeTree(at);
    }

    /** Deletes a tree without following links (the layer's own, below a confined descriptor). */
    static void removeTree(Path top) throws IOException {
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.setAttribute(dir, "unix:mode", 0700); // a directory of mode 0 is still emptied
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                try {
                    Files.delete(dir);
                } catch (DirectoryNotEmptyException e) {
                    throw new IOException("could not empty " + dir, e);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The member's parent directory, made (mode 0755, root's) where the layer does not hold it. */
    private int parent(List<String> names, String member) {
        String key = String.join("/", names);
        if (key.equals(cachedParent)) {
            return cachedParentFd;
        }
        dropCachedParent();
        int fd;
        try {
            fd = openDir(names, true);
        } catch (LayerException e) {
            throw refuse(member, e.getMessage());
        }
        cachedParent = key;
        cachedParentFd = fd;
        return fd;
    }

    private void dropCachedParent() {
        if (cachedParentFd >= 0) {
            Posix.closeQuietly(cachedParentFd);
        }
        cachedParent = null;
        cachedParentFd = -1;
    }

    /**
     * Walks {@code names} from the root one name at a time, each opened with O_NOFOLLOW below the
     * previous descriptor; a link or a non-directory on the way is refused.
     */
    private int openDir(List<String> names, boolean make) {
        int dir = Posix.dup(root, "layer root");
        StringBuilder walked = new StringBuilder();
        try {
            for (String name : names) {
                walked.append(walked.isEmpty() ? "" : "/").append(name);
                Path at = at(dir, name);
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(at, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException missing) {
                    if (!make) {
                        throw new LayerException("'" + walked + "' does not exist in the layer");
                    }
                    try {
                        Files.createDirectory(at);
                        Files.setAttribute(at, "unix:mode", 0755);
                    } catch (FileAlreadyExistsException raced) {
                        // cannot happen: the layer's directory is written by this unpacker alone
                    }
                    a = Files.readAttributes(at, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                }
                if (a.isSymbolicLink()) {
                    throw new LayerException("'" + walked + "' is a symbolic link (not followed)");
                }
                if (!a.isDirectory()) {
                    throw new LayerException("'" + walked + "' is not a directory");
                }
                int child;
                try {
                    child = Posix.openat2(dir, name, Linux.O_PATH() | Linux.O_DIRECTORY() | Linux.O_NOFOLLOW()
                            | Linux.O_CLOEXEC(), 0, RESOLVE, walked.toString());
                } catch (ErrnoException x) {
                    throw new LayerException("'" + walked + "': " + Errno.describe(x.errno()));
                }
                Posix.closeQuietly(dir);
                dir = child;
            }
            return dir;
        } catch (IOException e) {
            Posix.closeQuietly(dir);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            Posix.closeQuietly(dir);
            throw e;
        }
    }

    /**
     * A member name as path components below the root: {@code ./} and empty or {@code .}
     * components dropped; an absolute name or a {@code ..} component refused, except the root
     * itself, which {@code umoci insert ... /} writes as the member {@code /}.
     */
    private List<String> clean(String name, TarEntry e) {
        if (name.matches("/[/.]*") && !name.contains("..")) {
            return List.of();
        }
        if (name.startsWith("/")) {
            throw refuse(e.name(), "an absolute name" + (name.equals(e.name()) ? "" : " ('" + name + "')"));
        }
        List<String> out = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw refuse(e.name(), "'..' in " + (name.equals(e.name()) ? "its name" : "'" + name + "'"));
            }
            if (c.indexOf('\0') >= 0) {
                throw refuse(e.name(), "a NUL byte in its name");
            }
            out.add(c);
        }
        return out;
    }

    private LayerException refuse(String member, String why) {
        return new LayerException("layer " + layer + ": member '" + printable(member) + "' refused: " + why);
    }

    private static String printable(String s) {
        return s.replaceAll("\\p{Cntrl}", "?");
    }

    private static Path at(int dirFd, String name) {
        return Path.of("/proc/self/fd", Integer.toString(dirFd), name);
    }

    /** The directory a descriptor holds, as a path whose last name is not a link. */
    private static Path self(int dirFd) {
        return Path.of("/proc/self/fd/" + dirFd + "/.");
    }

    @Override
    public void close() {
        dropCachedParent();
        Posix.closeQuietly(root);
        arena.close();
    }
}
