package io.mdocker;

/**
 * The container was set up but its command could not be executed: {@code executable file not
 * found in rootfs: /bin/bash} (exit code 127, as a shell and Docker report it) or
 * {@code permission denied executing /x} (126).
 */
public final class ExecFailedException extends ContainerException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    public ExecFailedException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    /** 127 when the executable was not found, 126 when it could not be executed. */
    public int exitCode() {
        return exitCode;
    }
}
