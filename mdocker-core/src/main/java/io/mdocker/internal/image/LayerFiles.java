package io.mdocker.internal.image;

import io.mdocker.internal.process.UsernsFiles;
import io.mdocker.internal.sys.Namespaces;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Renames, removals and owners of a store's unpacked layers: done by this JVM as root; by the
 * owners helper ({@link UsernsFiles}) when this JVM is rootless, since a layer's files then belong
 * to the user's subordinate ids, which the user alone cannot change. The helper is started at the
 * first need and ended by {@link #close()}. Not thread-safe: one per operation under a layer's lock.
 */
final class LayerFiles implements AutoCloseable {
    private final boolean rootless = Namespaces.rootless();
    private UsernsFiles helper;

    private UsernsFiles helper() {
        if (helper == null) {
            helper = UsernsFiles.start();
        }
        return helper;
    }

    /** Gives the files below {@code dir} their owners (rootless: the unpacker only collected them). */
    void applyOwners(Path dir, List<UsernsFiles.Owner> owners) throws IOException {
        if (!owners.isEmpty()) {
            helper().apply(dir, owners);
        }
    }

    /** rename(2) of a layer's directory. */
    void move(Path from, Path to) throws IOException {
        if (rootless) {
            helper().rename(from, to); // moving a directory to another parent needs write access to it
            return;
        }
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }

    /** Removes a layer's tree; what cannot be removed is left for the next leftovers' removal. */
    void deleteQuietly(Path p) {
        if (!rootless) {
            LayerStore.deleteQuietly(p);
            return;
        }
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            helper().removeTree(p);
        } catch (IOException | RuntimeException e) {
            // left for the next removeLeftovers
        }
    }

    @Override
    public void close() {
        if (helper != null) {
            helper.close();
        }
    }
}
