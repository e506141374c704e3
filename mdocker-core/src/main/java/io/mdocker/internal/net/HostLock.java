package io.mdocker.internal.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Mutual exclusion across threads and processes on one lock file: a monitor per file inside the
 * JVM, then an fcntl lock for other JVMs. The monitor matters beyond threads: fcntl locks belong
 * to the process, and closing any descriptor of the file drops them all, so a second channel on
 * the same file must never be opened (and closed) while this JVM holds the lock.
 */
final class HostLock {
    private HostLock() {}

    private static final ConcurrentHashMap<Path, Object> MONITORS = new ConcurrentHashMap<>();
    private static final java.util.Set<Path> DIRS = ConcurrentHashMap.newKeySet();

    static <T> T with(Path lockFile, Supplier<T> action) {
        Path key = lockFile.toAbsolutePath().normalize();
        synchronized (MONITORS.computeIfAbsent(key, k -> new Object())) {
            try {
                if (!DIRS.contains(key.getParent()) || !Files.isDirectory(key.getParent())) {
                    Files.createDirectories(key.getParent());
                    DIRS.add(key.getParent());
                }
                try (FileChannel ch = FileChannel.open(key, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     FileLock ignored = ch.lock()) {
                    return action.get();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("locking " + key + ": " + e.getMessage(), e);
            }
        }
    }

    static void with(Path lockFile, Runnable action) {
        with(lockFile, () -> {
            action.run();
            return null;
        });
    }
}
