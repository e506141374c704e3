package io.mdocker.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads /proc/PID/stat: a process's start time (field 22), which with the pid names one process,
 * and its state (field 3), which tells a running process from a zombie.
 */
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
        String[] rest = fieldsAfterComm(pid);
        return rest == null ? -1 : Long.parseLong(rest[22 - 3]);
    }

    /**
     * Whether the process {@code pid} that started at {@code startTime} still runs: it exists
     * with that start time and has not exited (a zombie waiting for its parent has).
     */
    static boolean isRunning(int pid, long startTime) {
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
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            if ("No such process".equals(e.getMessage()) || e.getMessage() != null && e.getMessage().contains("ESRCH")) {
                return null; // it exited while being read
            }
            throw new UncheckedIOException(e);
        }
        // comm (field 2) may hold spaces and parentheses: count fields after the last ')'.
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }
}
