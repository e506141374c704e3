package io.mdocker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A process started with {@link RunningContainer#exec(Exec)} did not end within its
 * {@link Exec.Builder#timeout timeout}: it and its process group were killed. Carries what it
 * had written to stdout and stderr (when they were piped) until then.
 */
public final class ExecTimeoutException extends ContainerException {
    private static final long serialVersionUID = 1L;

    private final Duration timeout;
    private final byte[] stdout;
    private final byte[] stderr;

    public ExecTimeoutException(String message, Duration timeout, byte[] stdout, byte[] stderr) {
        super(message);
        this.timeout = timeout;
        this.stdout = stdout.clone();
        this.stderr = stderr.clone();
    }

    /** The limit that was exceeded. */
    public Duration timeout() {
        return timeout;
    }

    /** stdout until the process was killed, as UTF-8 text. */
    public String stdout() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    /** stderr until the process was killed, as UTF-8 text. */
    public String stderr() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
