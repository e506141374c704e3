package io.mdocker.internal.fs;

import io.mdocker.DataSize;
import io.mdocker.bindings.Linux;
import io.mdocker.internal.sys.Errno;
import io.mdocker.internal.sys.Posix;
import io.mdocker.internal.sys.Quotas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;

/**
 * The bound on a container's writable layer ({@code storageSize}), decided per start before
 * anything is created, in one of two ways:
 * <ul>
 * <li>{@link Kind#PROJECT_QUOTA} where the lib root's filesystem enforces project quotas (XFS with
 *     {@code pquota}, ext4 with the {@code project} feature and {@code prjquota}): {@code upper}
 *     and {@code work} get a project id of their own with the inherit flag, and the project a
 *     block limit. Nothing is mounted; the limit is removed with the layer (by the handle, or by
 *     {@code rm}, {@code gc} and recovery from the {@value #RECORD_KEY} key of the state record).
 * <li>{@link Kind#TMPFS} elsewhere: pid 1 mounts a tmpfs of that size in its own mount namespace
 *     ({@code LAYERFS}) and puts {@code upper} and {@code work} in it, so the mount ends with the
 *     container and nothing is left to release. Its pages are memory (charged to the container's
 *     memory cgroup), and the layer is gone once the container exits. Files copied in before the
 *     start stay on disk, in {@code upper}, as the overlay's topmost lower layer.
 * </ul>
 * A loop-mounted image of that size was measured as well and not taken (docs/security.md).
 *
 * @param kind      how the bound is kept
 * @param bytes     the bound
 * @param projectId the project id (PROJECT_QUOTA), 0 otherwise
 * @param why       the choice in words, for messages
 */
public record LayerLimit(Kind kind, long bytes, int projectId, String why) {
    /** The state record's key: {@code project-quota BYTES ID} or {@code tmpfs BYTES}. */
    public static final String RECORD_KEY = "storage";

    /** How a bound is kept. */
    public enum Kind { PROJECT_QUOTA, TMPFS }

    private static final SecureRandom RANDOM = new SecureRandom();
    /** Project ids taken from [2^24, 2^31): clear of the small ids administrators hand out by hand. */
    private static final int FIRST_PROJECT = 1 << 24;
    private static final int PROJECT_ATTEMPTS = 16;

    /**
     * Decides how to bound a layer under {@code libRoot} (or its nearest existing ancestor) to
     * {@code bytes}; refuses in one line where neither way can hold it.
     */
    public static LayerLimit plan(Path libRoot, long bytes) {
        Path existing = libRoot.toAbsolutePath();
        while (!Files.isDirectory(existing) && existing.getParent() != null) {
            existing = existing.getParent();
        }
        String fsType = fsType(existing);
        int fd = Posix.open(existing.toString(), Linux.O_RDONLY() | Linux.O_DIRECTORY() | Linux.O_CLOEXEC());
        try {
            int errno = Quotas.projectQuotaErrno(fd);
            if (errno == 0) {
                int project = freeProject(fd);
                return new LayerLimit(Kind.PROJECT_QUOTA, bytes, project,
                        "a project quota (id " + project + ") on " + fsType + " at " + existing);
            }
            long memory = hostMemoryAndSwap();
            String why = "a tmpfs of that size, in memory (" + fsType + " at " + existing + " has no project quotas: "
                    + Errno.name(errno) + ")";
            if (bytes > memory) {
                throw new IllegalArgumentException("storage size " + new DataSize(bytes) + " cannot be bounded: " + fsType
                        + " at " + existing + " has no project quotas (" + Errno.name(errno) + ") and a tmpfs of that size "
                        + "exceeds this host's memory and swap (" + new DataSize(memory) + "): expected a smaller size, or a "
                        + "state root on XFS (pquota) or ext4 (prjquota)");
            }
            return new LayerLimit(Kind.TMPFS, bytes, 0, why);
        } finally {
            Posix.closeQuietly(fd);
        }
    }

    /** The value of the state record's {@value #RECORD_KEY} key. */
    public String recordValue() {
        return kind == Kind.PROJECT_QUOTA ? "project-quota " + bytes + " " + projectId : "tmpfs " + bytes;
    }

    /** The tmpfs mount options of a {@link Kind#TMPFS} layer. */
    public String tmpfsData() {
        return "size=" + bytes + ",mode=0700";
    }

    /**
     * {@link Kind#PROJECT_QUOTA}: puts the layer's directories into the project and sets its limit.
     * The caller removes the limit again ({@link #release}) whether this completes or not.
     */
    public void apply(ContainerDirs dirs) {
        if (kind != Kind.PROJECT_QUOTA) {
            return;
        }
        for (Path dir : new Path[] {dirs.upper(), dirs.work()}) {
            int fd = Posix.open(dir.toString(), Linux.O_RDONLY() | Linux.O_DIRECTORY() | Linux.O_CLOEXEC());
            try {
                Quotas.setProject(fd, projectId, dir.toString());
                if (dir.equals(dirs.work())) {
                    Quotas.setLimit(fd, projectId, bytes);
                }
            } finally {
                Posix.closeQuietly(fd);
            }
        }
    }

    /** Removes the project's limit on the filesystem of {@code libRoot}; idempotent. */
    public static void release(Path libRoot, int projectId) {
        if (!Files.isDirectory(libRoot)) {
            return;
        }
        int fd = Posix.open(libRoot.toString(), Linux.O_RDONLY() | Linux.O_DIRECTORY() | Linux.O_CLOEXEC());
        try {
            Quotas.setLimit(fd, projectId, 0);
        } finally {
            Posix.closeQuietly(fd);
        }
    }

    /**
     * Recovery, {@code rm} and {@code gc}: removes the project limit a state record names under
     * {@value #RECORD_KEY}, if any. Failures are left for the next attempt: the layer is being
     * removed, so the limit holds nothing.
     */
    public static void releaseRecorded(Map<String, String> state, Path libRoot) {
        String v = state == null ? null : state.get(RECORD_KEY);
        if (v == null || !v.startsWith("project-quota ")) {
            return;
        }
        String[] words = v.split(" ");
        try {
            release(libRoot, Integer.parseInt(words[2]));
        } catch (RuntimeException e) {
            // a malformed record or a filesystem gone: nothing more to do here
        }
    }

    /** A random project id no quota on this filesystem uses (no usage, no limit). */
    private static int freeProject(int fd) {
        for (int i = 0; i < PROJECT_ATTEMPTS; i++) {
            int id = FIRST_PROJECT + RANDOM.nextInt(Integer.MAX_VALUE - FIRST_PROJECT);
            if (Quotas.usage(fd, id).unused()) {
                return id;
            }
        }
        throw new IllegalStateException("no free project id after " + PROJECT_ATTEMPTS + " attempts");
    }

    private static String fsType(Path p) {
        try {
            return Files.getFileStore(p).type();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the filesystem of " + p + ": " + e.getMessage(), e);
        }
    }

    /** MemTotal + SwapTotal from /proc/meminfo, in bytes. */
    private static long hostMemoryAndSwap() {
        try {
            long kib = 0;
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:") || line.startsWith("SwapTotal:")) {
                    kib += Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return kib * 1024;
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/meminfo: " + e.getMessage(), e);
        }
    }
}
