package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.internal.fs.ContainerFiles;
import io.mdocker.internal.fs.FileSource;

import java.nio.file.Path;

/** Docker's cp, both ways, resolved inside the running container's root (openat2 RESOLVE_IN_ROOT). */
public final class Copying {
    private Copying() {}

    /** Copies the host file, tree or link {@code source} to {@code target} in the container. */
    public static void copyIn(Target container, Path source, String target) {
        try (ContainerFiles files = root(container)) {
            files.copyIn(source.toAbsolutePath(), target);
        }
    }

    /** Copies {@code source} (a host path, or one file's content with its mode) to {@code target} in the container. */
    public static void copyIn(Target container, FileSource source, String target) {
        try (ContainerFiles files = root(container)) {
            files.copyIn(source, target);
        }
    }

    /** Copies {@code source} in the container (a file or tree) to the host path {@code target}. */
    public static void copyOut(Target container, String source, Path target) {
        try (ContainerFiles files = root(container)) {
            files.copyOut(source, target);
        }
    }

    /** Whether {@code path} is a directory in the container. */
    public static boolean isDirectory(Target container, String path) {
        try (ContainerFiles files = root(container)) {
            return files.isDirectory(path);
        }
    }

    private static ContainerFiles root(Target container) {
        ContainerFiles files = container.openRoot();
        if (files == null) {
            throw new ContainerException("container " + container.shortId() + " is not running: files are copied "
                    + "in and out of running containers");
        }
        return files;
    }
}
