package io.mdocker.internal.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A read-only overlay layer, shared by the networked containers of a lib root, above their image:
 * it holds {@code /etc/resolv.conf} (the same for every container: the host's, without loopback
 * name servers) and empty {@code /etc/hosts} and {@code /etc/hostname}, the mount points of the
 * per-container files bound there (Docker's "init layer" plays the same part). Without it, an
 * image lacking those files would get them in each container's writable layer, with a copy-up
 * of {@code /etc}, deleted again afterwards; and resolv.conf would be one more bind mount.
 *
 * <pre>&lt;lib root&gt;/net/init-&lt;hash of resolv.conf&gt;/etc/{hosts,hostname,resolv.conf}</pre>
 *
 * One layer per resolv.conf content: when the host's changes, new containers get a new layer and
 * running ones keep theirs. Made beside its final name and renamed into place, so a concurrent
 * runtime never sees half of one. Thread-safe.
 */
final class InitLayer {
    private InitLayer() {}

    static final List<String> FILES = List.of("hosts", "hostname", "resolv.conf");
    private static final ConcurrentHashMap<Path, Path> MADE = new ConcurrentHashMap<>();

    /** The init layer under {@code libNet} with this {@code resolvConf}, made if missing. */
    static Path ensure(Path libNet, String resolvConf) {
        String hash = Integer.toHexString(resolvConf.hashCode());
        Path layer = libNet.resolve("init-" + hash);
        return MADE.computeIfAbsent(layer, l -> make(l, resolvConf));
    }

    private static Path make(Path layer, String resolvConf) {
        Path libNet = layer.getParent();
        if (complete(layer, resolvConf)) {
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
            Files.writeString(tmp.resolve("etc/resolv.conf"), resolvConf, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, layer, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                // another runtime was first
            } catch (IOException e) {
                if (!complete(layer, resolvConf)) {
                    throw e; // a rename onto a non-empty directory fails with ENOTEMPTY: someone else's layer
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("making the init layer " + layer + ": " + e.getMessage(), e);
        } finally {
            io.mdocker.internal.fs.ContainerDirs.deleteTree(tmp);
        }
        if (!complete(layer, resolvConf)) {
            throw new IllegalStateException("the init layer " + layer + " is incomplete: expected etc/" + FILES
                    + " with the resolv.conf it is named after");
        }
        return layer;
    }

    private static boolean complete(Path layer, String resolvConf) {
        for (String f : FILES) {
            if (!Files.isRegularFile(layer.resolve("etc").resolve(f))) {
                return false;
            }
        }
        try {
            return Files.readString(layer.resolve("etc/resolv.conf"), StandardCharsets.UTF_8).equals(resolvConf);
        } catch (IOException e) {
            return false;
        }
    }
}
