package io.mdocker.internal.image;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a tar stream (ustar, GNU and PAX, as Docker, BuildKit, umoci and GNU tar write layers)
 * one member at a time. Extended attributes come from PAX records {@code SCHILY.xattr.NAME} (the
 * value's bytes as stored, never decoded as text, so binary values such as
 * {@code security.capability} stay exact) and {@code LIBARCHIVE.xattr.NAME} (base64). Names must be
 * UTF-8. GNU sparse members, multi-volume archives and unknown member types are refused with a
 * {@link TarException}.
 *
 * <p>Not thread-safe. The caller closes the underlying stream.
 */
final class TarReader {
    private static final int BLOCK = 512;
    /** Bounds a PAX or GNU long-name record, which is read into memory. */
    private static final int MAX_EXTENDED = 1 << 20;

    private final InputStream in;
    private final byte[] header = new byte[BLOCK];
    private Map<String, byte[]> globalPax = Map.of();
    private long remaining; // content bytes of the current member not yet read
    private long padding;
    private boolean end;

    TarReader(InputStream in) {
        this.in = in;
    }

    /** Thrown for a malformed or unsupported archive. */
    static final class TarException extends IOException {
        private static final long serialVersionUID = 1L;

        TarException(String message) {
            super(message);
        }
    }

    /** The next member, its content readable through {@link #content()}; empty at the archive's end. */
    Optional<TarEntry> next() throws IOException {
        if (end) {
            return Optional.empty();
        }
        skipContent();
        Map<String, byte[]> pax = new LinkedHashMap<>();
        String longName = null;
        String longLink = null;
        while (true) {
            if (!readBlock(header, true)) {
                end = true;
                return Optional.empty(); // end of stream without the two zero blocks: tolerated, as GNU tar does
            }
            if (isZero(header)) {
                end = true; // a zero block ends the archive
                return Optional.empty();
            }
            verifyChecksum();
            char flag = (char) (header[156] & 0xff);
            long size = number(124, 12, "size");
            switch (flag) {
                case 'x' -> pax.putAll(parsePax(readExtended(size, "PAX header")));
                case 'g' -> {
                    Map<String, byte[]> g = new LinkedHashMap<>(globalPax);
                    g.putAll(parsePax(readExtended(size, "PAX global header")));
                    globalPax = g;
                }
                case 'L' -> longName = cString(readExtended(size, "GNU long name"), "GNU long name");
                case 'K' -> longLink = cString(readExtended(size, "GNU long link"), "GNU long link");
                default -> {
                    return Optional.of(member(flag, size, pax, longName, longLink));
                }
            }
        }
    }

    private TarEntry member(char flag, long headerSize, Map<String, byte[]> local, String longName, String longLink)
            throws IOException {
        Map<String, byte[]> pax = new LinkedHashMap<>(globalPax);
        pax.putAll(local);
        String name = longName;
        if (pax.containsKey("path")) {
            name = utf8(pax.get("path"), "PAX path");
        }
        if (name == null) {
            name = field(0, 100, "name");
            if (isUstar()) {
                String prefix = field(345, 155, "prefix");
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
            }
        }
        String link = longLink;
        if (pax.containsKey("linkpath")) {
            link = utf8(pax.get("linkpath"), "PAX linkpath");
        }
        if (link == null) {
            link = field(157, 100, "linkname");
        }
        TarEntry.Type type = switch (flag) {
            case '0', '\0', '7' -> TarEntry.Type.FILE;
            case '1' -> TarEntry.Type.HARDLINK;
            case '2' -> TarEntry.Type.SYMLINK;
            case '3' -> TarEntry.Type.CHAR_DEVICE;
            case '4' -> TarEntry.Type.BLOCK_DEVICE;
            case '5' -> TarEntry.Type.DIRECTORY;
            case '6' -> TarEntry.Type.FIFO;
            case 'S' -> throw new TarException("member " + name + " is a GNU sparse file, which layers do not hold");
            default -> throw new TarException("member " + name + " has unsupported type '" + printable(flag) + "'");
        };
        if (type == TarEntry.Type.FILE && name.endsWith("/") && flag == '\0') {
            type = TarEntry.Type.DIRECTORY; // old tar: a directory is a name ending in '/'
        }
        long size = pax.containsKey("size") ? paxNumber(pax, "size") : headerSize;
        if (type != TarEntry.Type.FILE) {
            // only regular files have content to unpack; any other bytes are skipped
            remaining = size;
            size = 0;
        } else {
            remaining = size;
        }
        padding = (BLOCK - (remaining % BLOCK)) % BLOCK;
        int mode = (int) (number(100, 8, "mode") & 07777);
        int uid = (int) (pax.containsKey("uid") ? paxNumber(pax, "uid") : number(108, 8, "uid"));
        int gid = (int) (pax.containsKey("gid") ? paxNumber(pax, "gid") : number(116, 8, "gid"));
        Instant mtime = pax.containsKey("mtime") ? paxTime(pax.get("mtime"))
                : Instant.ofEpochSecond(number(136, 12, "mtime"));
        int major = 0;
        int minor = 0;
        if (type == TarEntry.Type.CHAR_DEVICE || type == TarEntry.Type.BLOCK_DEVICE) {
            major = (int) number(329, 8, "devmajor");
            minor = (int) number(337, 8, "devminor");
        }
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : pax.entrySet()) {
            if (e.getKey().startsWith("SCHILY.xattr.")) {
                xattrs.put(e.getKey().substring("SCHILY.xattr.".length()), e.getValue());
            } else if (e.getKey().startsWith("LIBARCHIVE.xattr.")) {
                try {
                    xattrs.put(e.getKey().substring("LIBARCHIVE.xattr.".length()),
                            Base64.getDecoder().decode(e.getValue()));
                } catch (IllegalArgumentException bad) {
                    throw new TarException("member " + name + ": " + e.getKey() + " is not base64");
                }
            }
        }
        return new TarEntry(name, type, mode, uid, gid, size, mtime, link, major, minor, xattrs);
    }

    /** The current member's content; reading past it returns -1. */
    InputStream content() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining <= 0) {
                    return -1;
                }
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) {
                    throw new EOFException("tar stream ends inside a member's content");
                }
                remaining -= n;
                return n;
            }
        };
    }

    private void skipContent() throws IOException {
        long skip = remaining + padding;
        remaining = 0;
        padding = 0;
        byte[] buf = new byte[8192];
        while (skip > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, skip));
            if (n < 0) {
                throw new EOFException("tar stream ends inside a member");
            }
            skip -= n;
        }
    }

    private byte[] readExtended(long size, String what) throws IOException {
        if (size < 0 || size > MAX_EXTENDED) {
            throw new TarException(what + " of " + size + " bytes exceeds " + MAX_EXTENDED);
        }
        byte[] data = new byte[(int) size];
        readFully(data, 0, data.length);
        long pad = (BLOCK - (size % BLOCK)) % BLOCK;
        readFully(new byte[(int) pad], 0, (int) pad);
        return data;
    }

    /** PAX records {@code "LEN key=value\n"}; values kept as bytes. */
    private static Map<String, byte[]> parsePax(byte[] data) throws TarException {
        Map<String, byte[]> records = new LinkedHashMap<>();
        int pos = 0;
        while (pos < data.length) {
            if (data[pos] == 0) {
                break; // padding some writers leave
            }
            int space = pos;
            while (space < data.length && data[space] != ' ') {
                space++;
            }
            int length;
            try {
                length = Integer.parseInt(new String(data, pos, space - pos, StandardCharsets.US_ASCII));
            } catch (NumberFormatException e) {
                throw new TarException("malformed PAX record length at offset " + pos);
            }
            int endOfRecord = pos + length;
            if (length <= space - pos + 1 || endOfRecord > data.length || data[endOfRecord - 1] != '\n') {
                throw new TarException("malformed PAX record at offset " + pos);
            }
            int eq = space + 1;
            while (eq < endOfRecord && data[eq] != '=') {
                eq++;
            }
            if (eq >= endOfRecord) {
                throw new TarException("PAX record without '=' at offset " + pos);
            }
            String key = utf8(Arrays.copyOfRange(data, space + 1, eq), "PAX key");
            byte[] value = Arrays.copyOfRange(data, eq + 1, endOfRecord - 1);
            records.put(key, value);
            pos = endOfRecord;
        }
        return records;
    }

    private static long paxNumber(Map<String, byte[]> pax, String key) throws TarException {
        String s = new String(pax.get(key), StandardCharsets.US_ASCII);
        try {
            long v = Long.parseLong(s);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new TarException("PAX " + key + " '" + s + "' is not a non-negative number");
        }
    }

    private static Instant paxTime(byte[] value) throws TarException {
        String s = new String(value, StandardCharsets.US_ASCII);
        try {
            int dot = s.indexOf('.');
            if (dot < 0) {
                return Instant.ofEpochSecond(Long.parseLong(s));
            }
            long seconds = Long.parseLong(s.substring(0, dot));
            String frac = (s.substring(dot + 1) + "000000000").substring(0, 9);
            long nanos = Long.parseLong(frac);
            return seconds < 0 || s.startsWith("-")
                    ? Instant.ofEpochSecond(seconds, -nanos) : Instant.ofEpochSecond(seconds, nanos);
        } catch (NumberFormatException | java.time.DateTimeException e) {
            throw new TarException("PAX mtime '" + s + "' is not a time");
        }
    }

    /** An octal header field, or GNU's base-256 form (high bit of the first byte set). */
    private long number(int offset, int length, String what) throws TarException {
        if ((header[offset] & 0x80) != 0) {
            if ((header[offset] & 0x40) != 0) {
                throw new TarException("negative " + what + " in a tar header");
            }
            long v = header[offset] & 0x3f;
            for (int i = 1; i < length; i++) {
                if ((v >>> 55) != 0) {
                    throw new TarException(what + " too large in a tar header");
                }
                v = (v << 8) | (header[offset + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = offset;
        int end = offset + length;
        while (i < end && (header[i] == ' ' || header[i] == 0)) {
            if (header[i] == 0) {
                return 0; // empty field
            }
            i++;
        }
        for (; i < end && header[i] != 0 && header[i] != ' '; i++) {
            int d = header[i] - '0';
            if (d < 0 || d > 7) {
                throw new TarException("malformed " + what + " field in a tar header");
            }
            v = (v << 3) | d;
        }
        return v;
    }

    private void verifyChecksum() throws TarException {
        long stored = number(148, 8, "checksum");
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : (header[i] & 0xff);
        }
        if (sum != stored) {
            throw new TarException("tar header checksum mismatch (not a tar stream, or corrupt)");
        }
    }

    private boolean isUstar() {
        return header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
                && header[261] == 'r' && header[262] == 0; // POSIX ustar, not GNU's "ustar  "
    }

    private String field(int offset, int length, String what) throws TarException {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return utf8(Arrays.copyOfRange(header, offset, end), what);
    }

    private static String cString(byte[] data, String what) throws TarException {
        int end = 0;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        return utf8(Arrays.copyOf(data, end), what);
    }

    private static String utf8(byte[] bytes, String what) throws TarException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new TarException(what + " is not UTF-8: '"
                    + new String(bytes, StandardCharsets.ISO_8859_1).replaceAll("[^ -~]", "?") + "'");
        }
    }

    private static String printable(char c) {
        return c >= ' ' && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    /** Reads a whole block; false at a clean end of stream before its first byte. */
    private boolean readBlock(byte[] block, boolean endAllowed) throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0 && endAllowed) {
            return false;
        }
        if (n < BLOCK) {
            throw new EOFException("tar stream ends inside a header (truncated layer?)");
        }
        return true;
    }

    private void readFully(byte[] b, int off, int len) throws IOException {
        if (in.readNBytes(b, off, len) < len) {
            throw new EOFException("tar stream ends inside an extended header (truncated layer?)");
        }
    }
}
