package io.mdocker.internal.image;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes tar archives member by member, hostile ones included (names with {@code ..}, absolute
 * names, links anywhere): ustar headers, with a PAX header first when a member has extended
 * attributes or a name too long for ustar. The unpack tests' own producer of layers no real
 * tool would write.
 */
final class TestTar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    TestTar dir(String name, int mode) {
        return add(name, '5', mode, 0, 0, new byte[0], "", 0, 0, Map.of(), 0);
    }

    TestTar file(String name, String content) {
        return file(name, 0644, content.getBytes(StandardCharsets.UTF_8));
    }

    TestTar file(String name, int mode, byte[] content) {
        return add(name, '0', mode, 0, 0, content, "", 0, 0, Map.of(), 0);
    }

    TestTar symlink(String name, String target) {
        return add(name, '2', 0777, 0, 0, new byte[0], target, 0, 0, Map.of(), 0);
    }

    TestTar hardlink(String name, String target) {
        return add(name, '1', 0644, 0, 0, new byte[0], target, 0, 0, Map.of(), 0);
    }

    /** Any member: type flag, owner, content, link name, device numbers, xattrs, mtime. */
    TestTar add(String name, char type, int mode, int uid, int gid, byte[] content, String link, int major,
                int minor, Map<String, byte[]> xattrs, long mtime) {
        try {
            Map<String, byte[]> pax = new LinkedHashMap<>();
            for (var x : xattrs.entrySet()) {
                pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
            }
            if (name.getBytes(StandardCharsets.UTF_8).length > 100) {
                pax.put("path", name.getBytes(StandardCharsets.UTF_8));
            }
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
                header("PaxHeader", 'x', 0644, 0, 0, records.size(), "", 0, 0, 0);
                pad(records.toByteArray());
            }
            header(name.length() > 100 ? name.substring(0, 100) : name, type, mode, uid, gid, content.length, link,
                    major, minor, mtime);
            pad(content);
            return this;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void header(String name, char type, int mode, int uid, int gid, long size, String link, int major,
                        int minor, long mtime) throws IOException {
        byte[] h = new byte[512];
        put(h, 0, 100, name.getBytes(StandardCharsets.UTF_8));
        octal(h, 100, 8, mode);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
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

    private void pad(byte[] data) throws IOException {
        out.write(data);
        out.write(new byte[(512 - data.length % 512) % 512]);
    }

    private static void put(byte[] h, int off, int len, byte[] v) {
        System.arraycopy(v, 0, h, off, Math.min(len, v.length));
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        s = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
        put(h, off, len - 1, s.getBytes(StandardCharsets.US_ASCII));
    }

    byte[] bytes() {
        ByteArrayOutputStream done = new ByteArrayOutputStream();
        done.writeBytes(out.toByteArray());
        done.writeBytes(new byte[1024]);
        return done.toByteArray();
    }

    void writeTo(OutputStream o) throws IOException {
        o.write(bytes());
    }
}
