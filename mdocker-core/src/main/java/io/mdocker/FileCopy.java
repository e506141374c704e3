package io.mdocker;

import io.mdocker.internal.fs.ContainerPaths;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A host file, directory tree or symbolic link copied to {@code target} in a container before it
 * starts ({@link Container.Builder#copyIn}). The source must exist; the target is an absolute
 * path in the container without {@code ..}.
 */
public record FileCopy(Path source, String target) {
    public FileCopy {
        Objects.requireNonNull(source, "source");
        source = source.toAbsolutePath().normalize();
        if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("copy source " + source + " does not exist");
        }
        if (ContainerPaths.components(target, "copy target").isEmpty()) {
            throw new IllegalArgumentException("invalid copy target '" + target + "': expected a path below /");
        }
    }
}
