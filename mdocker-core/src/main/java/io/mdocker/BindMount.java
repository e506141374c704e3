package io.mdocker;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A host path bound into the container at {@code target}. The bind is recursive (Docker's
 * {@code rbind}): the mounts below {@code source} on the host come along. The target is resolved
 * inside the container's root: a symbolic link in the image can never redirect it onto a host
 * path.
 *
 * @param source the host path (must exist)
 * @param target the absolute path in the container
 * @param access read-write, read-only with everything below it (the default for read-only, as
 *               Docker 25's {@code ro}), or read-only at the top mount only
 */
public record BindMount(Path source, String target, Access access) {

    /** How a bind can be written. */
    public enum Access {
        /** Read-write ({@code rw}, the default). */
        READ_WRITE,
        /**
         * Read-only, and so is every mount below it ({@code ro} or {@code rro}: Docker 25's
         * default). Needs {@code mount_setattr(2)} (Linux 5.12 or later); on an older kernel the
         * start fails, naming the bind.
         */
        READ_ONLY,
        /**
         * Read-only at the bound directory's own mount only ({@code ro-non-recursive}): mounts
         * below it on the host (a {@code /proc}, a tmpfs, another bind) stay writable in the
         * container. Docker's behaviour before version 25.
         */
        READ_ONLY_NON_RECURSIVE;

        /** Whether the bind's own mount is read-only. */
        public boolean readOnly() {
            return this != READ_WRITE;
        }
    }

    /** Checks that no component is null. */
    public BindMount {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(access, "access");
    }

    /**
     * A read-write bind, or with {@code readOnly} a recursively read-only one
     * ({@link Access#READ_ONLY}).
     */
    public BindMount(Path source, String target, boolean readOnly) {
        this(source, target, readOnly ? Access.READ_ONLY : Access.READ_WRITE);
    }

    /** Whether the bind's own mount is read-only (recursively or not). */
    public boolean readOnly() {
        return access.readOnly();
    }

    /**
     * Parses the CLI form {@code HOST:CONTAINER[:MODE]}, MODE one of {@code rw} (the default),
     * {@code ro} and {@code rro} (recursively read-only), {@code ro-non-recursive}.
     */
    public static BindMount parse(String spec) {
        String[] parts = spec.split(":", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("invalid volume '" + spec
                    + "': expected HOST:CONTAINER[:rw|:ro|:rro|:ro-non-recursive]");
        }
        Access access = Access.READ_WRITE;
        if (parts.length == 3) {
            access = switch (parts[2]) {
                case "ro", "rro" -> Access.READ_ONLY;
                case "ro-non-recursive" -> Access.READ_ONLY_NON_RECURSIVE;
                case "rw" -> Access.READ_WRITE;
                default -> throw new IllegalArgumentException("invalid volume '" + spec
                        + "': mode '" + parts[2] + "' is not rw, ro, rro or ro-non-recursive");
            };
        }
        return new BindMount(Path.of(parts[0]), parts[1], access);
    }
}
