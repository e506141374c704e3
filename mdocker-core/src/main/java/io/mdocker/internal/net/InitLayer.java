package io.mdocker.internal.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A read-only overlay layer, shared by every networked container of a lib root, that holds empty
 * {@code /etc/hosts}, {@code /etc/hostname} and {@code /etc/resolv.conf}: the mount points of the
 * files bound there (Docker's "init layer" does the same). Without it, an image lacking those
 * files would have them created in each container's writable layer, with a copy-up of
 * {@code /etc}, and deleted again afterwards.
 *
 * <pre>&lt;lib root&gt;/net/init/etc/{hosts,hostname,resolv.conf}</pre>
 *
 * Made once, beside its final name and renamed into place, so a concurrent runtime never sees
 * half of it. Thread-safe.
 */
final class InitLayer {
    private InitLayer() {}

    static final List<String> FILES = List.of("hosts", "hostname", "resolv.conf");
    private static final ConcurrentHashMap<Path, Path> MADE = new ConcurrentHashMap<>();

    /** The init layer under {@code libNet}, made if missing. */
    static Path ensure(Path libNet) {
        return MADE.computeIfAbsent(libNet, InitLayer::make);
    }

    private static Path make(Path libNet) {
        Path layer = libNet.resolve("init");
        if (complete(layer)) {
            return layer;
        }
        Path tmp = libNet.resolve(".init-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.createDirectories(tmp.resolve("etc"));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(tmp.resolve("etc"), PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String f : FILES) {
                Path p = Files.createFile(tmp.resolve("etc").resolve(f));
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
            }
            try {
                Files.move(tmp, layer, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                // another runtime was first
            } catch (IOException e) {
                if (!complete(layer)) {
                    throw e; // a rename onto a non-empty directory fails with ENOTEMPTY: someone else's layer
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("making the init layer " + layer + ": " + e.getMessage(), e);
        } finally {
            io.mdocker.internal.fs.ContainerDirs.deleteTree(tmp);
        }
        if (!complete(layer)) {
            throw new IllegalStateException("the init layer " + layer + " is incomplete: expected etc/" + FILES);
        }
        return layer;
    }

    private static boolean complete(Path layer) {
        for (String f : FILES) {
            if (!Files.isRegularFile(layer.resolve("etc").resolve(f))) {
                return false;
            }
        }
        return true;
    }
}
