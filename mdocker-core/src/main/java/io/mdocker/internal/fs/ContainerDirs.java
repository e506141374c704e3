package io.mdocker.internal.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A container's writable filesystem state under {@code <lib root>/containers/<id>}: the overlay's
 * {@code upper} and {@code work} directories. The overlay itself is mounted by mdocker-init onto
 * {@code <id>} itself ({@link #merged()}), inside the container's own mount namespace, so it
 * vanishes with the container and the host never sees it there; these directories are all that
 * remains to remove.
 */
public record ContainerDirs(Path root) {
    public Path upper() {
        return root.resolve("upper");
    }

    public Path work() {
        return root.resolve("work");
    }

    /**
     * A layer on a size-limited tmpfs ({@link LayerLimit.Kind#TMPFS}): the mount point pid 1
     * mounts it on, in its own mount namespace (so this directory stays empty on the host).
     */
    public Path layer() {
        return root.resolve("layer");
    }

    /**
     * Where the overlay is mounted: the container's directory itself (a mount point of its own
     * would cost a mkdir and an rmdir per container for nothing: nobody outside the container's
     * mount namespace sees the mount).
     */
    public Path merged() {
        return root;
    }

    /**
     * Creates the directories (mode 0700 for the container's root, as Docker does) in
     * {@code containersDir}.
     */
    public static ContainerDirs create(Path containersDir, String id) {
        ContainerDirs dirs = new ContainerDirs(containersDir.resolve(id));
        try {
            FileAttribute<?> mode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
            try {
                Files.createDirectory(dirs.root(), mode);
            } catch (NoSuchFileException e) { // the first container on this root
                Files.createDirectories(containersDir, mode);
                Files.createDirectory(dirs.root(), mode);
            }
            Files.createDirectory(dirs.upper());
            Files.createDirectory(dirs.work());
            return dirs;
        } catch (IOException e) {
            try {
                deleteTree(dirs.root());
            } catch (UncheckedIOException ignored) {
                // reported through the original failure
            }
            throw new UncheckedIOException("creating container directories " + dirs.root() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Removes the directory tree, also the parts the overlay made (work/work has mode 000, and a
     * volatile mount leaves work/incompat/volatile). The usual case, a container that wrote
     * nothing, is six rmdir calls; anything else is walked.
     */
    public void delete() {
        try {
            Files.delete(upper());
            Files.deleteIfExists(work().resolve("work"));
            Files.deleteIfExists(work().resolve("incompat/volatile"));
            Files.deleteIfExists(work().resolve("incompat"));
            Files.delete(work());
            Files.deleteIfExists(layer());
            Files.delete(root);
        } catch (IOException e) {
            deleteTree(root);
        }
    }

    /** A directory this user owns but may not read or search, made 0700; false when that fails. */
    private static boolean openedUp(Path dir) {
        try {
            if (!Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    || (Files.isReadable(dir) && Files.isExecutable(dir))) {
                return false;
            }
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Deletes {@code dir} and everything below it without following symbolic links; a missing
     * tree is not an error.
     */
    public static void deleteTree(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                    if (exc instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (exc instanceof java.nio.file.AccessDeniedException && openedUp(file)) {
                        deleteTree(file); // rootless: overlay's work/work is mode 0, this user's to open up
                        return FileVisitResult.CONTINUE;
                    }
                    throw exc;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                    if (exc != null && !(exc instanceof NoSuchFileException)) {
                        throw exc;
                    }
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException e) {
            // already gone
        } catch (java.nio.file.AccessDeniedException e) {
            if (!io.mdocker.internal.sys.Namespaces.rootless()) {
                throw new UncheckedIOException("removing " + dir + ": " + e.getMessage(), e);
            }
            // rootless: a directory a container's user other than root made (owned by a subordinate
            // id) is removed by the owners helper, root over those ids in the containers' user namespace
            try (io.mdocker.internal.process.UsernsFiles helper = io.mdocker.internal.process.UsernsFiles.start()) {
                helper.removeTree(dir);
            } catch (IOException x) {
                x.addSuppressed(e);
                throw new UncheckedIOException("removing " + dir + ": " + x.getMessage(), x);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("removing " + dir + ": " + e.getMessage(), e);
        }
    }
}
