package io.mdocker.internal.image.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

/**
 * What an image being added holds in the store until it is recorded: a file
 * {@code images/leases/<random>}, locked ({@link StoreLock}) by its holder for as long as it
 * lives, listing one digest a line (blobs and layers' diffIDs). A pull, load or import takes
 * one before it writes anything and closes it once the image's name is written in the tags;
 * a prune keeps what live leases list, so it cannot remove the blobs and layers of an image
 * that is not recorded yet.
 *
 * <p>Ordering, so that nothing falls between the two: the holder adds a digest to its lease
 * under the guard lock (the tags' lock, {@code images/index.lock}) before it looks for the blob
 * or layer; a prune reads the leases and the tags under that same lock and removes under it.
 * Either the prune read the lease after the digest was added (and keeps it), or the holder added
 * it after the prune ended (and then finds the blob gone and writes it again). A lease whose lock
 * no one holds belongs to a process that died, and is removed by the next prune.
 */
public final class Lease implements AutoCloseable {
    private final Path file;
    private final Path guard;
    private final StoreLock held;
    private final Set<String> added = new HashSet<>();

    private Lease(Path file, Path guard, StoreLock held) {
        this.file = file;
        this.guard = guard;
        this.held = held;
    }

    /** A new lease in {@code leasesDir} (made if absent), whose entries are added under the lock file {@code guard}. */
    public static Lease take(Path leasesDir, Path guard) throws IOException {
        Files.createDirectories(leasesDir);
        Path file = leasesDir.resolve(UUID.randomUUID().toString());
        // under the guard, so that no prune finds the file made and not yet locked and takes it for a dead one
        try (StoreLock lock = StoreLock.acquire(guard)) {
            return new Lease(file, guard, StoreLock.acquire(file));
        }
    }

    /** Records {@code digest} (a blob's digest or a layer's diffID) as held by this lease. */
    public void protect(String digest) throws IOException {
        synchronized (added) {
            if (added.contains(digest)) {
                return;
            }
        }
        try (StoreLock lock = StoreLock.acquire(guard)) {
            Files.write(file, (digest + "\n").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.APPEND);
        }
        synchronized (added) {
            added.add(digest);
        }
    }

    /**
     * The digests the live leases in {@code leasesDir} hold; the files of dead ones are removed.
     * The caller holds the guard lock.
     */
    public static Set<String> live(Path leasesDir) throws IOException {
        Set<String> out = new HashSet<>();
        if (!Files.isDirectory(leasesDir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(leasesDir)) {
            for (Path p : s) {
                try (StoreLock free = StoreLock.tryAcquire(p)) {
                    if (free != null) {
                        Files.deleteIfExists(p); // its holder is gone
                        continue;
                    }
                }
                try {
                    for (String line : Files.readAllLines(p, StandardCharsets.US_ASCII)) {
                        if (!line.isBlank()) {
                            out.add(line.trim());
                        }
                    }
                } catch (NoSuchFileException closedMeanwhile) {
                    // its image is recorded now: the tags keep what it held
                }
            }
        }
        return out;
    }

    /** Ends the lease: its file is removed, then its lock released. */
    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(file);
        } finally {
            held.close();
        }
    }
}
