package io.mdocker;

import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Run in a child JVM by {@link RecoveryTest}: prints "free" if it can lock the file, "held" if not. */
public final class LockProbe {
    private LockProbe() {}

    public static void main(String[] args) throws Exception {
        try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE);
             FileLock lock = ch.tryLock()) {
            System.out.println(lock == null ? "held" : "free");
        }
    }
}
