package io.mdocker.cli;

import io.mdocker.HostTerminal;
import io.mdocker.TtySize;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.IntSupplier;

/**
 * {@code -t} of run and exec: this process's terminal connected to the container's (or exec's)
 * pseudo-terminal, as Docker's CLI does. With {@code -i} and a terminal on stdin, that terminal
 * is in raw mode for the duration (keys such as ^C go to the container's terminal as bytes) and is
 * restored on every way out: the end of the command, an exception, and the JVM's shutdown (a
 * SIGTERM) through a shutdown hook. Input is copied from stdin to the terminal's master, what the
 * terminal shows to stdout; SIGWINCH (through {@code sun.misc.Signal("WINCH")}, which HotSpot
 * lets a program handle) resizes the container's terminal to this one's.
 */
final class TerminalAttach {
    private TerminalAttach() {}

    /** Docker's words for {@code -it} without a terminal on stdin (status 1). */
    static final String NOT_A_TTY = "the input device is not a TTY";

    /** How the container's (or exec's) terminal is resized: its handle's {@code resizeTty}. */
    interface Resize {
        void resizeTty(int rows, int columns);
    }

    /** {@code -i -t} without a terminal on stdin: Docker's one line on stderr; true when refused. */
    static boolean refused(boolean interactive) {
        if (interactive && !HostTerminal.isTerminal(0)) {
            System.err.println("mdocker: " + NOT_A_TTY);
            return true;
        }
        return false;
    }

    /** The size of this process's terminal (stdin's, else stdout's), or Docker's 24x80. */
    static TtySize initialSize() {
        return HostTerminal.size(0).or(() -> HostTerminal.size(1)).orElse(TtySize.DEFAULT);
    }

    /**
     * Connects this terminal to a container's (or exec's) terminal until what it shows
     * ({@code shown}) ends, then returns the command's exit status ({@code waitFor}); with
     * {@code input} (-i), stdin is copied to it.
     */
    static int attach(OutputStream input, InputStream shown, Resize tty, IntSupplier waitFor) {
        boolean interactive = input != null;
        HostTerminal.RawMode raw = interactive && HostTerminal.isTerminal(0) ? HostTerminal.enterRawMode(0) : null;
        Thread restore = raw == null ? null : Thread.ofPlatform().name("mdocker-terminal-restore").unstarted(raw::close);
        if (restore != null) {
            Runtime.getRuntime().addShutdownHook(restore);
        }
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), sig -> resize(tty));
            if (interactive) {
                Thread.ofPlatform().daemon().name("mdocker-terminal-input").start(() -> copyInput(input));
            }
            copyOutput(shown);
            return waitFor.getAsInt();
        } finally {
            if (raw != null) {
                raw.close();
                try {
                    Runtime.getRuntime().removeShutdownHook(restore);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs (and restores once more, which does nothing)
                }
            }
        }
    }

    private static void resize(Resize tty) {
        try {
            HostTerminal.size(0).or(() -> HostTerminal.size(1)).ifPresent(s -> tty.resizeTty(s.rows(), s.columns()));
        } catch (RuntimeException ended) {
            // the container's terminal is gone: nothing to resize
        }
    }

    /** stdin to the terminal's master as it comes, until either ends (fd 0 stays open: it is this process's). */
    private static void copyInput(OutputStream master) {
        try (master) {
            copy(new FileInputStream(FileDescriptor.in), master);
        } catch (IOException ended) {
            // the terminal has ended
        }
    }

    /** What the terminal shows, to stdout as it comes (raw bytes: it has its "\r\n" already). */
    private static void copyOutput(InputStream shown) {
        try (shown) {
            copy(shown, new FileOutputStream(FileDescriptor.out));
        } catch (IOException ended) {
            // the terminal has ended
        }
    }

    /** Copies until end of file or an error, flushing each chunk (a terminal's bytes must not wait). */
    private static void copy(InputStream from, OutputStream to) {
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = from.read(buf)) > 0) {
                to.write(buf, 0, n);
                to.flush();
            }
        } catch (IOException ended) {
            // either side has ended
        }
    }
}
