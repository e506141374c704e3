package io.mdocker;

import java.util.Objects;

/**
 * The choice of a process's three standard streams, checked as it is made: what
 * {@link Container.Builder} and {@link Exec.Builder} hold for their {@code stdin}, {@code stdout},
 * {@code stderr} and {@code inheritIO} setters, and what the built definitions keep. Immutable;
 * each {@code with} method returns a new choice.
 *
 * @param stdin  anything but a sink ({@link Stdio#pipe()}, {@link Stdio#inherit()} or
 *               {@link Stdio#discard()})
 * @param stdout any {@link Stdio}
 * @param stderr any {@link Stdio}
 */
record StdioStreams(Stdio stdin, Stdio stdout, Stdio stderr) {
    /** The default: all three piped to Java. */
    static final StdioStreams PIPES = new StdioStreams(Stdio.pipe(), Stdio.pipe(), Stdio.pipe());

    /** All three from this JVM's own descriptors (a CLI's terminal). */
    static final StdioStreams INHERITED = new StdioStreams(Stdio.inherit(), Stdio.inherit(), Stdio.inherit());

    StdioStreams {
        if (Objects.requireNonNull(stdin, "stdin").kind() == Stdio.Kind.SINK) {
            throw new IllegalArgumentException("stdin cannot go to a sink: use pipe(), inherit() or discard()");
        }
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
    }

    StdioStreams withStdin(Stdio s) {
        return new StdioStreams(s, stdout, stderr);
    }

    StdioStreams withStdout(Stdio s) {
        return new StdioStreams(stdin, s, stderr);
    }

    StdioStreams withStderr(Stdio s) {
        return new StdioStreams(stdin, stdout, s);
    }
}
