package io.mdocker;

import java.io.Serial;

/**
 * A container did not become ready: its wait strategy's timeout passed, or it exited first. The
 * message names what was awaited and ends with the container's last output.
 */
public final class WaitTimeoutException extends ContainerException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final String lastOutput;

    public WaitTimeoutException(String message, String lastOutput, Throwable cause) {
        super(message + (lastOutput.isEmpty() ? "; no output" : "; last output:\n" + lastOutput.indent(4).stripTrailing()),
                cause);
        this.lastOutput = lastOutput;
    }

    /** The container's last output lines when it gave up (empty when there was none or no log). */
    public String lastOutput() {
        return lastOutput;
    }
}
