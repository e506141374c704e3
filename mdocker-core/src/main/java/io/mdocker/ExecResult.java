package io.mdocker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * What a container that ran to its end left: its exit code (128+n when signal n killed it, as a
 * shell reports), what it wrote to stdout and stderr when they were piped, how long it took
 * from the start call to its exit, and whether it ended because it ran out of memory.
 *
 * @param oomKilled true when the kernel's OOM killer killed a process in the container's cgroup
 *                  (it hit its memory limit) and the container ended by SIGKILL (exit code 137)
 */
public record ExecResult(int exitCode, byte[] stdoutBytes, byte[] stderrBytes, Duration elapsed, boolean oomKilled) {
    /** A result without an OOM kill. */
    public ExecResult(int exitCode, byte[] stdoutBytes, byte[] stderrBytes, Duration elapsed) {
        this(exitCode, stdoutBytes, stderrBytes, elapsed, false);
    }

    /** stdout as UTF-8 text. */
    public String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    /** stderr as UTF-8 text. */
    public String stderr() {
        return new String(stderrBytes, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "ExecResult[exitCode=" + exitCode + ", stdout=" + stdoutBytes.length + " bytes, stderr="
                + stderrBytes.length + " bytes, elapsed=" + elapsed + (oomKilled ? ", oomKilled" : "") + "]";
    }
}
