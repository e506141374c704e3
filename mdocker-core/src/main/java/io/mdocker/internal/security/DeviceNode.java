package io.mdocker.internal.security;

import java.util.Objects;

/**
 * A device node pid 1 makes in the container's /dev after its mounts (CONFIG record DEVICE).
 *
 * @param type  stat(2)'s file type bits: S_IFCHR or S_IFBLK
 * @param major the device's major number
 * @param minor its minor number
 * @param mode  the permission bits
 * @param uid   the owner
 * @param gid   the group
 * @param path  the absolute path in the container, under /dev
 */
public record DeviceNode(int type, int major, int minor, int mode, int uid, int gid, String path) {
    /** stat(2)'s file type bits of a character and a block device. */
    public static final int S_IFCHR = 0020000, S_IFBLK = 0060000;

    public DeviceNode {
        Objects.requireNonNull(path, "path");
    }
}
