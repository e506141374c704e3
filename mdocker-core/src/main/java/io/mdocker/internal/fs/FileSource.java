package io.mdocker.internal.fs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.OptionalInt;

/** What {@link ContainerFiles#copyIn(FileSource, String)} copies: a host path, or the content of one file. */
public sealed interface FileSource {
    /** The source in words, for errors: the host path, "12 bytes", "classpath resource x". */
    String describe();

    /**
     * A host file, directory tree or symbolic link.
     *
     * @param path absolute
     * @param mode the mode bits the copied file or top directory gets instead of its own; empty to keep them
     */
    record HostPath(Path path, OptionalInt mode) implements FileSource {
        public HostPath {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(mode, "mode");
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    /**
     * One regular file's content, read when it is copied (each time).
     *
     * @param description the source in words
     * @param opener      opens the content
     * @param mode        the file's mode bits (permissions, setuid, setgid, sticky)
     */
    record Content(String description, Opener opener, int mode) implements FileSource {
        public Content {
            Objects.requireNonNull(description, "description");
            Objects.requireNonNull(opener, "opener");
        }

        @Override
        public String describe() {
            return description;
        }
    }

    /** Opens a content's bytes. */
    @FunctionalInterface
    interface Opener {
        InputStream open() throws IOException;
    }
}
