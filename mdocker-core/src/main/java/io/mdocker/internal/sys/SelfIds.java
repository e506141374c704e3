package io.mdocker.internal.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's effective uid, read once from {@code /proc/self/status} ("Uid: real effective
 * saved filesystem") rather than asked of geteuid(2): a JVM's first native call links the downcall
 * shape, tens of milliseconds in a young JVM, which {@link Posix#linkAhead} can then do on another
 * thread while the command line is parsed and the container described. A JVM never changes its
 * uids, so once is enough.
 */
public final class SelfIds {
    private SelfIds() {}

    private static final class Holder {
        static final int EUID = parseEuid(read());
    }

    /** The effective uid of this process. */
    public static int euid() {
        return Holder.EUID;
    }

    private static String read() {
        try {
            return Files.readString(Path.of("/proc/self/status"));
        } catch (IOException e) {
            throw new UncheckedIOException("reading /proc/self/status for this process's uid (is /proc mounted?)", e);
        }
    }

    /** The effective uid from the text of a {@code /proc/PID/status} file. */
    static int parseEuid(String status) {
        int at = status.startsWith("Uid:") ? 0 : status.indexOf("\nUid:") + 1;
        if (at == 0 && !status.startsWith("Uid:")) {
            throw new IllegalStateException("/proc/self/status has no Uid line");
        }
        int end = status.indexOf('\n', at);
        String line = status.substring(at, end < 0 ? status.length() : end);
        // "Uid:" and four decimal ids separated by tabs: the second (no regex: this runs as a JVM starts)
        int i = 4;
        for (int field = 0; field < 2; field++) {
            while (i < line.length() && Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            int from = i;
            while (i < line.length() && line.charAt(i) >= '0' && line.charAt(i) <= '9') {
                i++;
            }
            if (from == i) {
                throw new IllegalStateException("/proc/self/status: unexpected Uid line: " + line);
            }
            if (field == 1) {
                return Integer.parseInt(line, from, i, 10);
            }
        }
        throw new AssertionError("unreachable");
    }
}
