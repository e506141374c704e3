package io.mdocker.internal.security;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * mount(8)-style options ({@code "rw,noexec,nosuid,size=64m,mode=1777"}) split into the mount(2)
 * flags and the filesystem's data string, as Docker's {@code --tmpfs /tmp:OPTIONS} takes them.
 * Later words win over earlier ones ({@code "noexec,exec"} is exec).
 *
 * @param flags MS_* flags
 * @param data the comma-separated {@code key=value} options for the filesystem
 */
public record MountOptions(long flags, String data) {
    // mount(2) flag values (<sys/mount.h>); stable kernel ABI
    static final long MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
            MS_DIRSYNC = 128, MS_NOATIME = 1024, MS_NODIRATIME = 2048, MS_RELATIME = 1 << 21,
            MS_STRICTATIME = 1 << 24;

    /** word -> {flags to set, flags to clear} */
    private static final Map<String, long[]> WORDS = Map.ofEntries(
            Map.entry("ro", new long[] {MS_RDONLY, 0}), Map.entry("rw", new long[] {0, MS_RDONLY}),
            Map.entry("nosuid", new long[] {MS_NOSUID, 0}), Map.entry("suid", new long[] {0, MS_NOSUID}),
            Map.entry("nodev", new long[] {MS_NODEV, 0}), Map.entry("dev", new long[] {0, MS_NODEV}),
            Map.entry("noexec", new long[] {MS_NOEXEC, 0}), Map.entry("exec", new long[] {0, MS_NOEXEC}),
            Map.entry("sync", new long[] {MS_SYNCHRONOUS, 0}), Map.entry("async", new long[] {0, MS_SYNCHRONOUS}),
            Map.entry("dirsync", new long[] {MS_DIRSYNC, 0}),
            Map.entry("noatime", new long[] {MS_NOATIME, 0}), Map.entry("atime", new long[] {0, MS_NOATIME}),
            Map.entry("nodiratime", new long[] {MS_NODIRATIME, 0}), Map.entry("diratime", new long[] {0, MS_NODIRATIME}),
            Map.entry("relatime", new long[] {MS_RELATIME, 0}), Map.entry("norelatime", new long[] {0, MS_RELATIME}),
            Map.entry("strictatime", new long[] {MS_STRICTATIME, 0}));

    /** tmpfs data options Docker passes through. */
    private static final List<String> TMPFS_DATA = List.of("size", "mode", "uid", "gid", "nr_inodes", "nr_blocks",
            "huge", "mpol");

    /** Docker's defaults for {@code --tmpfs}: no devices, setuid binaries or programs from it. */
    public static final String TMPFS_DEFAULTS = "noexec,nosuid,nodev";

    /** Parses tmpfs options on top of {@link #TMPFS_DEFAULTS}; throws IllegalArgumentException naming the bad word. */
    public static MountOptions tmpfs(String target, String options) {
        long flags = 0;
        List<String> data = new ArrayList<>();
        for (String word : (TMPFS_DEFAULTS + (options.isEmpty() ? "" : "," + options)).split(",")) {
            String w = word.trim();
            if (w.isEmpty()) {
                continue;
            }
            long[] f = WORDS.get(w);
            if (f != null) {
                flags = (flags | f[0]) & ~f[1];
                continue;
            }
            int eq = w.indexOf('=');
            if (eq > 0 && TMPFS_DATA.contains(w.substring(0, eq)) && eq < w.length() - 1) {
                data.removeIf(d -> d.startsWith(w.substring(0, eq + 1)));
                data.add(w);
                continue;
            }
            throw new IllegalArgumentException("invalid tmpfs option '" + w + "' for " + target
                    + ": expected ro, rw, [no]exec, [no]suid, [no]dev, [no]atime, ... or one of " + TMPFS_DATA + " with =VALUE");
        }
        return new MountOptions(flags, String.join(",", data));
    }
}
