package io.mdocker;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A host path bound into the container at {@code target}, read-only or not. The target is
 * resolved inside the container's root: a symbolic link in the image can never redirect it onto
 * a host path.
 */
public record BindMount(Path source, String target, boolean readOnly) {
    public BindMount {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
    }

    /** Parses the CLI form {@code HOST:CONTAINER[:ro|:rw]}. */
    public static BindMount parse(String spec) {
        String[] parts = spec.split(":", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("invalid volume '" + spec + "': expected HOST:CONTAINER[:ro|:rw]");
        }
        boolean ro = false;
        if (parts.length == 3) {
            switch (parts[2]) {
                case "ro" -> ro = true;
                case "rw" -> ro = false;
                default -> throw new IllegalArgumentException("invalid volume '" + spec
                        + "': mode '" + parts[2] + "' is not ro or rw");
            }
        }
        return new BindMount(Path.of(parts[0]), parts[1], ro);
    }
}
