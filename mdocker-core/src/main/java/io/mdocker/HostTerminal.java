package io.mdocker;

import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Terminals;

import java.util.Optional;

/**
 * This process's own terminal, for a program that connects it to a container's tty (as the
 * CLI's {@code -t} does): whether a descriptor is a terminal, its window size, and its raw mode.
 * Descriptors are this process's: 0 (stdin), 1 (stdout), 2 (stderr). Thread-safe, stateless.
 */
public final class HostTerminal {
    private HostTerminal() {}

    /** Whether descriptor {@code fd} of this process is a terminal. */
    public static boolean isTerminal(int fd) {
        return Terminals.isTerminal(fd);
    }

    /** The window size of the terminal on {@code fd}; empty when it is no terminal or reports 0x0. */
    public static Optional<TtySize> size(int fd) {
        try {
            int[] rc = Terminals.windowSize(fd, "descriptor " + fd);
            return rc[0] > 0 && rc[1] > 0 ? Optional.of(new TtySize(rc[0], rc[1])) : Optional.empty();
        } catch (ErrnoException e) {
            return Optional.empty();
        }
    }

    /**
     * Puts the terminal on {@code fd} into raw mode (no echo, no line editing, keys such as ^C
     * passed on as bytes) until the returned handle is closed, which restores its attributes as
     * they were; closing twice restores once.
     *
     * @throws IllegalStateException when {@code fd} is no terminal
     */
    public static RawMode enterRawMode(int fd) {
        byte[] saved;
        try {
            saved = Terminals.attributes(fd, "descriptor " + fd);
            Terminals.makeRaw(fd, "descriptor " + fd);
        } catch (ErrnoException e) {
            throw new IllegalStateException("descriptor " + fd + " is no terminal to put in raw mode: " + e.getMessage(), e);
        }
        return new RawMode(fd, saved);
    }

    /** A terminal in raw mode; {@link #close()} restores it. */
    public static final class RawMode implements AutoCloseable {
        private final int fd;
        private final byte[] saved;
        private boolean restored; // guarded by this

        private RawMode(int fd, byte[] saved) {
            this.fd = fd;
            this.saved = saved;
        }

        /** Restores the terminal's attributes as they were before raw mode. Idempotent. */
        @Override
        public synchronized void close() {
            if (!restored) {
                restored = true;
                Terminals.setAttributes(fd, saved, "descriptor " + fd);
            }
        }
    }
}
