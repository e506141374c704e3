package io.mdocker.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a process's start time (field 22 of /proc/PID/stat), which with the pid names one process. */
final class ProcStat {
    private ProcStat() {}

    static long startTime(int pid) {
        long t = startTimeOrMinus1(pid);
        if (t < 0) {
            throw new UncheckedIOException(new NoSuchFileException("/proc/" + pid + "/stat"));
        }
        return t;
    }

    static long startTimeOrMinus1(int pid) {
        return fieldOrMinus1(pid, 22);
    }

    /** The parent's pid (field 4), or -1 when the process is gone. */
    static long parentOrMinus1(int pid) {
        return fieldOrMinus1(pid, 4);
    }

    private static long fieldOrMinus1(int pid, int field) {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return -1;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(rest[field - 3]);
    }
}
