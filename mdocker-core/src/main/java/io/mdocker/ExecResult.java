package io.mdocker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * What a container that ran to its end left: its exit code (128+n when signal n killed it, as a
 * shell reports), what it wrote to stdout and stderr when they were piped, how long it took
 * from the start call to its exit, and whether it ended because it ran out of memory.
 *
 * <p>A value: two results are equal when their exit codes, output bytes, durations and OOM flags
 * are ({@link #equals} compares the output by content); {@link #toString()} gives the sizes of
 * the output, not the output.
 *
 * @param exitCode    the exit code
 * @param stdoutBytes what was written to stdout (empty when it was not piped); not copied, do not change it
 * @param stderrBytes what was written to stderr (empty when it was not piped); not copied, do not change it
 * @param elapsed     from the start call to the exit
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

    /** Equal when every component is, the output compared byte by byte. */
    @Override
    public boolean equals(Object o) {
        return o instanceof ExecResult r && exitCode == r.exitCode && oomKilled == r.oomKilled
                && Arrays.equals(stdoutBytes, r.stdoutBytes) && Arrays.equals(stderrBytes, r.stderrBytes)
                && Objects.equals(elapsed, r.elapsed);
    }

    /** A hash of every component, the output's by content. */
    @Override
    public int hashCode() {
        return Objects.hash(exitCode, Arrays.hashCode(stdoutBytes), Arrays.hashCode(stderrBytes), elapsed, oomKilled);
    }

    /** The exit code, the sizes of stdout and stderr (not their bytes), the time taken and an OOM kill. */
    @Override
    public String toString() {
        return "ExecResult[exitCode=" + exitCode + ", stdout=" + stdoutBytes.length + " bytes, stderr="
                + stderrBytes.length + " bytes, elapsed=" + elapsed + (oomKilled ? ", oomKilled" : "") + "]";
    }
}
