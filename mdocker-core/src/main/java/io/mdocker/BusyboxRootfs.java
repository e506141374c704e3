package io.mdocker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A minimal root filesystem made from the host's statically linked busybox (Debian's
 * busybox-static): {@code /bin/busybox}, a link for every applet it lists, the usual empty
 * directories and an {@code /etc/passwd} and {@code /etc/group} with root and nobody. Used by
 * the CLI when {@code ./rootfs} is missing, and by tests.
 */
public final class BusyboxRootfs {
    private BusyboxRootfs() {}

    private static final List<Path> CANDIDATES = List.of(Path.of("/bin/busybox"), Path.of("/usr/bin/busybox"),
            Path.of("/sbin/busybox"), Path.of("/usr/sbin/busybox"));

    /** The host's static busybox, if there is one. */
    public static Optional<Path> findStaticBusybox() {
        for (Path p : CANDIDATES) {
            if (Files.isRegularFile(p) && isStaticElf(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Creates the rootfs at {@code dir} unless a directory is there already. The tree is built
     * beside it and renamed into place, so concurrent callers never see half of one.
     *
     * @return true when it was created, false when it existed
     */
    public static boolean ensure(Path dir) {
        if (Files.isDirectory(dir)) {
            return false;
        }
        Path busybox = findStaticBusybox().orElseThrow(() -> new ContainerException(
                "no statically linked busybox on this host (looked at " + CANDIDATES
                        + "): install Debian's busybox-static, or give a rootfs directory"));
        Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        try {
            Files.createDirectories(tmp);
            for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp", "root",
                    "var/tmp", "home", "mnt")) {
                Files.createDirectories(tmp.resolve(d));
            }
            Files.setPosixFilePermissions(tmp.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
            Files.setPosixFilePermissions(tmp.resolve("root"), PosixFilePermissions.fromString("rwx------"));
            Path target = tmp.resolve("bin/busybox");
            Files.copy(busybox, target);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (String applet : applets(busybox)) {
                Path link = tmp.resolve(applet);
                if (link.equals(target) || Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Files.createDirectories(link.getParent());
                Files.createSymbolicLink(link, Path.of("/bin/busybox"));
            }
            Files.writeString(tmp.resolve("etc/passwd"),
                    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
            Files.writeString(tmp.resolve("etc/group"), "root:x:0:\ntty:x:5:\nnogroup:x:65534:\n");
            Files.createDirectories(dir.toAbsolutePath().getParent());
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                io.mdocker.internal.fs.ContainerDirs.deleteTree(tmp);
                if (!Files.isDirectory(dir)) {
                    throw e;
                }
                return false;
            } catch (IOException e) {
                // rename(2) onto a non-empty directory made meanwhile fails with ENOTEMPTY
                io.mdocker.internal.fs.ContainerDirs.deleteTree(tmp);
                if (Files.isDirectory(dir)) {
                    return false;
                }
                throw e;
            }
            return true;
        } catch (IOException e) {
            io.mdocker.internal.fs.ContainerDirs.deleteTree(tmp);
            throw new UncheckedIOException("assembling a busybox rootfs in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Applet paths relative to the root, e.g. {@code bin/sh}, from {@code busybox --list-full}. */
    private static List<String> applets(Path busybox) throws IOException {
        Process p = new ProcessBuilder(busybox.toString(), "--list-full").redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(busybox + " --list-full failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return out.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("/") && !l.contains(".."))
                .toList();
    }

    /** An ELF executable without a PT_INTERP program header needs no dynamic loader. */
    static boolean isStaticElf(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(h, 0) < 64 || h.getInt(0) != 0x464c457f || h.get(4) != 2) {
                return false; // not a 64-bit ELF
            }
            long phoff = h.getLong(0x20);
            int phentsize = h.getShort(0x36) & 0xffff;
            int phnum = h.getShort(0x38) & 0xffff;
            ByteBuffer ph = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < phnum; i++) {
                ph.clear();
                ch.read(ph, phoff + (long) i * phentsize);
                if (ph.getInt(0) == 3) { // PT_INTERP
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
