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
 * What an image being added holds in the store until it is recorded: in {@code images/leases/},
 * a list {@code <random>} of digests, one a line (blobs and layers' diffIDs), and its lock file
 * {@code <random>.lock}, locked ({@link StoreLock}) by the holder for as long as the lease lives.
 * A pull, load or import takes one before it writes anything and closes it once the image's name
 * is written in the tags; a prune keeps what live leases list, so it cannot remove the blobs and
 * layers of an image that is not recorded yet.
 *
 * <p>The list and the lock are two files because fcntl locks belong to a process and any close of
 * a descriptor of the locked file by that process drops them: the list is appended to and read
 * (by a prune in the holder's own JVM too) through descriptors of its own, and the lock file is
 * opened by nothing but {@link StoreLock}, whose in-JVM lock keeps a second descriptor of it from
 * being opened while it is held.
 *
 * <p>Ordering, so that nothing falls between the two: the holder adds a digest to its list under
 * the guard lock (the tags' lock, {@code images/index.lock}) before it looks for the blob or
 * layer; a prune reads the leases and the tags under that same lock and removes under it. Either
 * the prune read the list after the digest was added (and keeps it), or the holder added it after
 * the prune ended (and then finds the blob gone and writes it again). A lease whose lock no one
 * holds belongs to a process that died, and is removed by the next prune.
 */
public final class Lease implements AutoCloseable {
    private static final String LOCK = ".lock";

    private final Path list;
    private final Path lockFile;
    private final Path guard;
    private final StoreLock held;
    private final Set<String> added = new HashSet<>();

    private Lease(Path list, Path lockFile, Path guard, StoreLock held) {
        this.list = list;
        this.lockFile = lockFile;
        this.guard = guard;
        this.held = held;
    }

    /** A new lease in {@code leasesDir} (made if absent), whose entries are added under the lock file {@code guard}. */
    public static Lease take(Path leasesDir, Path guard) throws IOException {
        Files.createDirectories(leasesDir);
        String id = UUID.randomUUID().toString();
        Path list = leasesDir.resolve(id);
        Path lockFile = leasesDir.resolve(id + LOCK);
        // under the guard, so that no prune finds the lock file made and not yet locked and takes it for a dead one's
        try (StoreLock lock = StoreLock.acquire(guard)) {
            StoreLock held = StoreLock.acquire(lockFile);
            try {
                Files.createFile(list);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(lockFile);
                held.close();
                throw e;
            }
            return new Lease(list, lockFile, guard, held);
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
            Files.write(list, (digest + "\n").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.APPEND);
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
                String name = p.getFileName().toString();
                if (name.endsWith(LOCK)) {
                    continue;
                }
                Path lockFile = leasesDir.resolve(name + LOCK);
                if (!Files.exists(lockFile)) {
                    Files.deleteIfExists(p); // a list whose holder died as it closed the lease
                    continue;
                }
                try (StoreLock free = StoreLock.tryAcquire(lockFile)) {
                    if (free != null) { // its holder is gone
                        Files.deleteIfExists(p);
                        Files.deleteIfExists(lockFile);
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

    /** Ends the lease: its list and lock file are removed, then its lock released. */
    @Override
    public void close() throws IOException {
        try {
            Files.deleteIfExists(list);
            Files.deleteIfExists(lockFile);
        } finally {
            held.close();
        }
    }
}
