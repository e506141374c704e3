package io.mdocker;

import io.mdocker.internal.fs.ContainerPaths;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One copy into a container before it starts ({@link Container.Builder#copyIn}): a host file,
 * directory tree or symbolic link, or one file's content ({@link CopySource}), copied to
 * {@code target}, an absolute path in the container without {@code ..}.
 *
 * @param source what is copied
 * @param target the path it gets in the container
 */
public record FileCopy(CopySource source, String target) {
    /** Checks the target. */
    public FileCopy {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        if (ContainerPaths.components(target, "copy target").isEmpty()) {
            throw new IllegalArgumentException("invalid copy target '" + target + "': expected a path below /");
        }
    }

    /**
     * The host path {@code source}, which must exist now, copied to {@code target}.
     *
     * @throws IllegalArgumentException when it does not exist or the target is bad
     */
    public FileCopy(Path source, String target) {
        this(CopySource.of(existing(source)), target);
    }

    private static Path existing(Path source) {
        Path p = Objects.requireNonNull(source, "source").toAbsolutePath().normalize();
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("copy source " + p + " does not exist");
        }
        return p;
    }
}
