package io.mdocker.internal.image;

import io.mdocker.internal.sys.Posix;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Writes tar archives: ustar headers, a PAX header before a member whose name, link or size does
 * not fit or that has extended attributes (as {@code SCHILY.xattr.NAME}, bytes as they are). Used
 * to import a root filesystem directory as a layer and to save images.
 *
 * <p>Not thread-safe. {@link #finish()} writes the end blocks; the caller closes the stream.
 */
final class TarWriter {
    private final OutputStream out;

    TarWriter(OutputStream out) {
        this.out = out;
    }

    /** A regular file member of {@code size} bytes read from {@code content}. */
    void file(String name, int mode, long size, InputStream content) throws IOException {
        header(name, '0', mode, 0, 0, size, "", 0, 0, 0, Map.of());
        long n = content.transferTo(out);
        if (n != size) {
            throw new IOException(name + ": " + n + " bytes, expected " + size);
        }
        pad(size);
    }

    void file(String name, byte[] content) throws IOException {
        file(name, 0644, content.length, new java.io.ByteArrayInputStream(content));
    }

    /**
     * The tree below {@code root} as members named relative to it ({@code ./} first), not
     * following links, hard links kept, extended attributes kept byte for byte. Sockets are left out.
     */
    void tree(Path root) throws IOException {
        Map<Object, String> inodes = new HashMap<>();
        List<Path> all;
        try (Stream<Path> s = Files.walk(root)) {
            all = s.sorted().toList();
        }
        for (Path p : all) {
            String rel = root.relativize(p).toString();
            Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,size,lastModifiedTime,ino,dev,nlink,rdev",
                    LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            int uid = (Integer) a.get("uid");
            int gid = (Integer) a.get("gid");
            long mtime = ((java.nio.file.attribute.FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond();
            Map<String, byte[]> xattrs = new LinkedHashMap<>();
            for (String x : Posix.llistxattr(p.toString(), rel)) {
                Posix.lgetxattr(p.toString(), x, rel).ifPresent(v -> xattrs.put(x, v));
            }
            int type = mode & 0170000;
            String name = rel.isEmpty() ? "./" : "./" + rel;
            long rdev = (Long) a.get("rdev");
            int major = (int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL));
            int minor = (int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL));
            switch (type) {
                case 0040000 -> header(name.endsWith("/") ? name : name + "/", '5', mode, uid, gid, 0, "", 0, 0, mtime, xattrs);
                case 0120000 -> header(name, '2', mode, uid, gid, 0, Files.readSymbolicLink(p).toString(), 0, 0, mtime, xattrs);
                case 0100000 -> {
                    Object key = List.of(a.get("dev"), a.get("ino"));
                    String first = (Integer) a.get("nlink") > 1 ? inodes.putIfAbsent(key, name) : null;
                    if (first != null) {
                        header(name, '1', mode, uid, gid, 0, first, 0, 0, mtime, xattrs);
                    } else {
                        long size = (Long) a.get("size");
                        header(name, '0', mode, uid, gid, size, "", 0, 0, mtime, xattrs);
                        try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                            long n = in.transferTo(out);
                            if (n != size) {
                                throw new IOException(p + " changed while it was archived");
                            }
                        }
                        pad(size);
                    }
                }
                case 0020000 -> header(name, '3', mode, uid, gid, 0, "", major, minor, mtime, xattrs);
                case 0060000 -> header(name, '4', mode, uid, gid, 0, "", major, minor, mtime, xattrs);
                case 0010000 -> header(name, '6', mode, uid, gid, 0, "", 0, 0, mtime, xattrs);
                default -> { } // sockets
            }
        }
    }

    private void header(String name, char type, int mode, int uid, int gid, long size, String link, int major,
                        int minor, long mtime, Map<String, byte[]> xattrs) throws IOException {
        Map<String, byte[]> pax = new LinkedHashMap<>();
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] linkBytes = link.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 100) {
            pax.put("path", nameBytes);
        }
        if (linkBytes.length > 100) {
            pax.put("linkpath", linkBytes);
        }
        if (size > 077777777777L) {
            pax.put("size", Long.toString(size).getBytes(StandardCharsets.US_ASCII));
        }
        if (uid > 07777777 || gid > 07777777) {
            pax.put("uid", Integer.toString(uid).getBytes(StandardCharsets.US_ASCII));
            pax.put("gid", Integer.toString(gid).getBytes(StandardCharsets.US_ASCII));
        }
        xattrs.forEach((k, v) -> pax.put("SCHILY.xattr." + k, v));
        if (!pax.isEmpty()) {
            ByteArrayOutputStream records = new ByteArrayOutputStream();
            for (var r : pax.entrySet()) {
                byte[] key = r.getKey().getBytes(StandardCharsets.UTF_8);
                int body = 1 + key.length + 1 + r.getValue().length + 1;
                int len = body + Integer.toString(body).length();
                if (Integer.toString(len).length() != Integer.toString(body).length()) {
                    len++;
                }
                records.write((len + " ").getBytes(StandardCharsets.US_ASCII));
                records.write(key);
                records.write('=');
                records.write(r.getValue());
                records.write('\n');
            }
            raw("././@PaxHeader", 'x', 0644, 0, 0, records.size(), "", 0, 0, mtime);
            out.write(records.toByteArray());
            pad(records.size());
        }
        raw(nameBytes.length > 100 ? name.substring(0, Math.min(name.length(), 90)) : name, type, mode & 07777,
                Math.min(uid, 07777777), Math.min(gid, 07777777), Math.min(size, 077777777777L),
                linkBytes.length > 100 ? "" : link, major, minor, mtime);
    }

    private void raw(String name, char type, int mode, int uid, int gid, long size, String link, int major, int minor,
                     long mtime) throws IOException {
        byte[] h = new byte[512];
        put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
        octal(h, 100, 8, mode);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, Math.max(0, mtime));
        h[156] = (byte) type;
        put(h, 157, 100, link.getBytes(StandardCharsets.UTF_8));
        put(h, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
        put(h, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
        octal(h, 329, 8, major);
        octal(h, 337, 8, minor);
        for (int i = 148; i < 156; i++) {
            h[i] = ' ';
        }
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        octal(h, 148, 7, sum);
        out.write(h);
    }

    private void pad(long size) throws IOException {
        out.write(new byte[(int) ((512 - size % 512) % 512)]);
    }

    private static void put(byte[] h, int off, int len, byte[] v) {
        System.arraycopy(v, 0, h, off, Math.min(len, v.length));
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        s = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
        put(h, off, len - 1, s.getBytes(StandardCharsets.US_ASCII));
    }

    void finish() throws IOException {
        out.write(new byte[1024]);
        out.flush();
    }
}
