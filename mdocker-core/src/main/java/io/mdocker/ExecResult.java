package io.mdocker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * What a container that ran to its end left: its exit code (128+n when signal n killed it, as a
 * shell reports), what it wrote to stdout and stderr when they were piped, and how long it took
 * from the start call to its exit.
 */
public record ExecResult(int exitCode, byte[] stdoutBytes, byte[] stderrBytes, Duration elapsed) {
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
                + stderrBytes.length + " bytes, elapsed=" + elapsed + "]";
    }
}
