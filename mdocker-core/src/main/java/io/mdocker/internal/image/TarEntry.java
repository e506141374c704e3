package io.mdocker.internal.image;

import java.time.Instant;
import java.util.Map;

/**
 * One member of a tar archive as {@link TarReader} reads it, PAX and GNU extensions applied.
 *
 * @param name     the member's name as stored (not yet cleaned)
 * @param type     the tar type flag
 * @param mode     permission bits with setuid, setgid and sticky (07777)
 * @param size     bytes of content (regular files only)
 * @param mtime    modification time, with the PAX fraction when given
 * @param linkName a symbolic link's target or a hard link's member name; "" for others
 * @param xattrs   extended attributes by full name ({@code security.capability}), values as the
 *                 archive's bytes
 */
record TarEntry(String name, Type type, int mode, int uid, int gid, long size, Instant mtime,
                String linkName, int devMajor, int devMinor, Map<String, byte[]> xattrs) {

    /** The kinds of member a layer may hold. */
    enum Type { FILE, HARDLINK, SYMLINK, CHAR_DEVICE, BLOCK_DEVICE, DIRECTORY, FIFO }
}
