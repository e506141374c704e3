package io.mdocker;

import java.util.Objects;

/**
 * The choice of a process's three standard streams, checked as it is made: what
 * {@link Container.Builder} and {@link Exec.Builder} hold for their {@code stdin}, {@code stdout},
 * {@code stderr}, {@code inheritIO} and {@code tty} setters, and what the built definitions keep.
 * Immutable; each {@code with} method returns a new choice.
 *
 * <p>With a terminal ({@code tty} not null) the three are one pseudo-terminal, whose master Java
 * holds: stdin is written to it ({@link Stdio#pipe()}) or never ({@link Stdio#discard()}), stdout
 * is what the terminal shows (stdout and stderr together, with the terminal's "\r\n"), read as a
 * pipe, a sink or discarded; stderr has nothing of its own. Neither may be {@link Stdio#inherit()}:
 * a program that has a terminal of its own copies it (the CLI does).
 *
 * @param stdin  anything but a sink ({@link Stdio#pipe()}, {@link Stdio#inherit()} or
 *               {@link Stdio#discard()})
 * @param stdout any {@link Stdio}
 * @param stderr any {@link Stdio}
 * @param tty    the pseudo-terminal's initial size, or null for none
 */
record StdioStreams(Stdio stdin, Stdio stdout, Stdio stderr, TtySize tty) {
    /** The default: all three piped to Java. */
    static final StdioStreams PIPES = new StdioStreams(Stdio.pipe(), Stdio.pipe(), Stdio.pipe(), null);

    /** All three from this JVM's own descriptors (a CLI's terminal). */
    static final StdioStreams INHERITED = new StdioStreams(Stdio.inherit(), Stdio.inherit(), Stdio.inherit(), null);

    StdioStreams {
        if (Objects.requireNonNull(stdin, "stdin").kind() == Stdio.Kind.SINK) {
            throw new IllegalArgumentException("stdin cannot go to a sink: use pipe(), inherit() or discard()");
        }
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        if (tty != null && (stdin.kind() == Stdio.Kind.INHERIT || stdout.kind() == Stdio.Kind.INHERIT)) {
            throw new IllegalArgumentException("a tty's streams go through Java, but " + (stdin.kind() == Stdio.Kind.INHERIT
                    ? "stdin" : "stdout") + " is inherit: use pipe() or discard() (and copy this JVM's terminal)");
        }
    }

    StdioStreams withStdin(Stdio s) {
        return new StdioStreams(s, stdout, stderr, tty);
    }

    StdioStreams withStdout(Stdio s) {
        return new StdioStreams(stdin, s, stderr, tty);
    }

    StdioStreams withStderr(Stdio s) {
        return new StdioStreams(stdin, stdout, s, tty);
    }

    /** A terminal of the size set before (else {@link TtySize#DEFAULT}), or none. */
    StdioStreams withTty(boolean enabled) {
        return new StdioStreams(stdin, stdout, stderr, enabled ? (tty != null ? tty : TtySize.DEFAULT) : null);
    }

    /** A terminal of {@code rows} x {@code columns}. */
    StdioStreams withTtySize(int rows, int columns) {
        return new StdioStreams(stdin, stdout, stderr, new TtySize(rows, columns));
    }

    /** {@link #INHERITED} with the terminal setting kept (which then refuses it). */
    StdioStreams inherited() {
        return new StdioStreams(Stdio.inherit(), Stdio.inherit(), Stdio.inherit(), tty);
    }
}
