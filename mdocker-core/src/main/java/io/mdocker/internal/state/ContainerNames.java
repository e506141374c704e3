package io.mdocker.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Container names, unique among the containers on one run root whichever process started them:
 *
 * <pre>&lt;run root&gt;/names/&lt;name&gt;   a symbolic link whose target is the id of the container holding it</pre>
 *
 * A name is claimed with one symlink(2), which fails when the link exists, so two processes never
 * both get it. It is held while its container's record (or the record being made under its
 * temporary name) exists; a link whose container has neither is stale — its owner died between
 * claim and cleanup — and the next claim takes it over. Taking over (unlink, then symlink) is the
 * one step that two processes could interleave, so it happens under {@code names/lock} (an fcntl
 * lock, and a monitor within this JVM, as fcntl locks belong to the process).
 */
final class ContainerNames {
    /** Docker's container names: a letter or digit, then letters, digits, '_', '.' or '-'. */
    static final Pattern VALID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]+");
    private static final Object IN_THIS_JVM = new Object();

    private final Path dir;
    private final Path runContainers;
    private final String tmpPrefix;

    ContainerNames(Path runRoot, Path runContainers, String tmpPrefix) {
        this.dir = runRoot.resolve("names");
        this.runContainers = runContainers;
        this.tmpPrefix = tmpPrefix;
    }

    /**
     * Gives {@code name} to container {@code id}. Returns null when it has it now, else the id of
     * the container that holds it.
     */
    String claim(String name, String id) {
        Path link = dir.resolve(name);
        try {
            Files.createDirectories(dir, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
            if (tryLink(link, id)) {
                return null;
            }
            return locked(() -> {
                String holder = holder(name);
                if (holder != null) {
                    return holder;
                }
                Files.deleteIfExists(link); // stale: its container is gone
                return tryLink(link, id) ? null : target(link);
            });
        } catch (IOException e) {
            throw new UncheckedIOException("claiming the container name " + name + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The id of the container holding {@code name}, or null when nobody does. */
    String holder(String name) {
        String id = target(dir.resolve(name));
        return id != null && held(id) ? id : null;
    }

    /** Gives {@code name} up, if container {@code id} holds it (call before removing its record). */
    void release(String name, String id) {
        Path link = dir.resolve(name);
        if (id.equals(target(link))) {
            try {
                Files.deleteIfExists(link);
            } catch (IOException e) {
                // stale from now on: the next claim takes it over
            }
        }
    }

    /** Removes the stale links (their containers are gone); returns their names. */
    List<String> pruneStale() {
        List<String> pruned = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return pruned;
        }
        try {
            locked(() -> {
                try (var links = Files.list(dir)) {
                    for (Path link : links.toList()) {
                        String id = target(link);
                        if (id != null && !held(id)) {
                            Files.deleteIfExists(link);
                            pruned.add(link.getFileName().toString());
                        }
                    }
                }
                return null;
            });
        } catch (IOException e) {
            throw new UncheckedIOException("pruning container names in " + dir + ": " + e.getMessage(), e);
        }
        return pruned;
    }

    private interface Locked<T> {
        T run() throws IOException;
    }

    /** {@code action} under {@code names/.lock}: taking a stale name over, or pruning. */
    private <T> T locked(Locked<T> action) throws IOException {
        synchronized (IN_THIS_JVM) {
            try (FileChannel lock = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                lock.lock();
                return action.run();
            }
        }
    }

    private boolean held(String id) {
        return Files.exists(runContainers.resolve(id)) || Files.exists(runContainers.resolve(tmpPrefix + id));
    }

    private static boolean tryLink(Path link, String id) throws IOException {
        try {
            Files.createSymbolicLink(link, Path.of(id));
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    /** The id a name's link points at; null when there is no such link. */
    private static String target(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (NoSuchFileException | NotLinkException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + link + ": " + e.getMessage(), e);
        }
    }
}
