package io.mdocker.internal.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's effective uid and gid, read once from {@code /proc/self/status} ("Uid:" and
 * "Gid:", each "real effective saved filesystem") rather than asked of geteuid(2): a JVM's first
 * native call links the downcall shape, tens of milliseconds in a young JVM, which
 * {@link Posix#linkAhead} can then do on another thread while the command line is parsed and the
 * container described. A JVM never changes its ids, so once is enough.
 */
public final class SelfIds {
    private SelfIds() {}

    private static final class Holder {
        static final String STATUS = read();
        static final int EUID = effective(STATUS, "Uid:");
        static final int EGID = effective(STATUS, "Gid:");
    }

    /** The effective uid of this process. */
    public static int euid() {
        return Holder.EUID;
    }

    /** The effective gid of this process. */
    public static int egid() {
        return Holder.EGID;
    }

    private static String read() {
        try {
            return Files.readString(Path.of("/proc/self/status"));
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/self/status for this process's ids (is /proc mounted?)", e);
        }
    }

    /** The effective id of the {@code key} line ("Uid:" or "Gid:") of a {@code /proc/PID/status} text. */
    static int effective(String status, String key) {
        int at = status.startsWith(key) ? 0 : status.indexOf("\n" + key);
        if (at > 0) {
            at++; // past the newline
        } else if (at < 0) {
            throw new IllegalStateException("/proc/self/status has no " + key.substring(0, 3) + " line");
        }
        int end = status.indexOf('\n', at);
        String line = status.substring(at, end < 0 ? status.length() : end);
        // four decimal ids separated by tabs: the second (no regex: this runs as a JVM starts)
        int i = key.length();
        for (int field = 0; field < 2; field++) {
            while (i < line.length() && Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            int from = i;
            while (i < line.length() && line.charAt(i) >= '0' && line.charAt(i) <= '9') {
                i++;
            }
            if (from == i) {
                throw new IllegalStateException("/proc/self/status: unexpected " + key.substring(0, 3) + " line: " + line);
            }
            if (field == 1) {
                return Integer.parseInt(line, from, i, 10);
            }
        }
        throw new AssertionError("unreachable");
    }
}
