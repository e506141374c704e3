package io.mdocker.junit;

import io.mdocker.RunningContainer;

import java.io.Serial;
import java.util.List;

/**
 * A sandbox's last output, added to a failed test's exception as a suppressed exception, so that
 * it appears with the failure in IDEs and in surefire's reports. Carries no stack trace.
 */
public final class SandboxOutput extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Lines of output shown at most. */
    static final int MAX_LINES = 100;
    /** Characters of output shown at most. */
    static final int MAX_CHARS = 16 * 1024;

    SandboxOutput(String name, RunningContainer c) {
        super(text(name, c), null, false, false);
    }

    private static String text(String name, RunningContainer c) {
        String head = "sandbox " + name + " (container " + c.shortId() + ": " + String.join(" ", c.command())
                + (c.isRunning() ? ", running" : ", exited with " + c.exitCode()) + ")";
        String output;
        try {
            output = c.logs();
        } catch (IllegalStateException e) {
            return head + ": no output kept (" + e.getMessage() + ")";
        }
        List<String> lines = output.lines().toList();
        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - MAX_LINES), lines.size()));
        if (tail.length() > MAX_CHARS) {
            tail = tail.substring(tail.length() - MAX_CHARS);
        }
        return tail.isEmpty() ? head + ": no output" : head + ", last output:\n" + tail.indent(4).stripTrailing();
    }
}
