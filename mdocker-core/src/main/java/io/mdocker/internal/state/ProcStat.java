package io.mdocker.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads /proc/PID/stat: a process's start time (field 22), which with the pid names one process,
 * and its state (field 3), which tells a running process from a zombie.
 */
public final class ProcStat {
    private ProcStat() {}

    /** The start time of {@code pid}; UncheckedIOException when it does not exist. */
    public static long startTime(int pid) {
        long t = startTimeOrMinus1(pid);
        if (t < 0) {
            throw new UncheckedIOException(new NoSuchFileException("/proc/" + pid + "/stat"));
        }
        return t;
    }

    /** The start time of {@code pid}, or -1 when it does not exist. */
    public static long startTimeOrMinus1(int pid) {
        String[] rest = fieldsAfterComm(pid);
        return rest == null ? -1 : Long.parseLong(rest[22 - 3]);
    }

    /**
     * Whether the process {@code pid} that started at {@code startTime} still runs: it exists
     * with that start time and has not exited (a zombie waiting for its parent has).
     */
    public static boolean isRunning(int pid, long startTime) {
        String[] rest = fieldsAfterComm(pid);
        return rest != null && Long.parseLong(rest[22 - 3]) == startTime
                && !rest[0].equals("Z") && !rest[0].equals("X");
    }

    /** The parent's pid (field 4), or -1 when the process is gone. */
    static int parentPid(int pid) {
        String[] rest = fieldsAfterComm(pid);
        return rest == null ? -1 : Integer.parseInt(rest[4 - 3]);
    }

    /** Fields 3 and on; null when the process does not exist. */
    private static String[] fieldsAfterComm(int pid) {
        String stat = readOrNull(Path.of("/proc", Integer.toString(pid), "stat"));
        // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
        return stat == null ? null : stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    /** A file under /proc/PID, or null when that process does not exist (or went while being read). */
    static String readOrNull(Path procFile) {
        try {
            return Files.readString(procFile, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            if (processGone(e)) {
                return null;
            }
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether reading a /proc/PID file failed because the process does not exist: no such file,
     * or a process reaped between the open and the read, where read(2) gives ESRCH. The JDK
     * reports that ESRCH in two shapes: an IOException whose message is strerror's text (a read
     * on the channel), or a FileSystemException whose reason is (Files.readString; its message
     * starts with the file).
     */
    static boolean processGone(IOException e) {
        return e instanceof NoSuchFileException
                || (e instanceof FileSystemException f ? f.getReason() : e.getMessage()) instanceof String m
                        && m.equals(ESRCH_TEXT);
    }

    private static final String ESRCH_TEXT = "No such process";
}
