package io.mdocker;

import java.io.OutputStream;
import java.util.Objects;

/**
 * Where one of a container's standard streams goes. Immutable.
 *
 * <ul>
 *   <li>{@link #pipe()} (the default): connected to Java. {@code run()} returns stdout and stderr
 *       in its {@link ExecResult}; {@code start()} exposes the streams on the
 *       {@link RunningContainer}. For {@code run()} a piped stdin is empty. The same holds for an
 *       {@link Exec}: {@code exec()} returns the output, {@code execStart()} exposes the streams on
 *       the {@link ExecProcess}, and {@code exec()}'s piped stdin is empty unless
 *       {@link Exec.Builder#input(byte[])} gives it bytes.</li>
 *   <li>{@link #inherit()}: this JVM's own descriptor, e.g. the terminal of a CLI, when it is a
 *       pipe, a socket, a terminal or /dev/null: none of them leads anywhere on the host through
 *       the container's {@code /proc/self/fd/N}. A regular file as stdout or stderr is relayed
 *       instead (the container writes into a pipe; mdocker's reaper appends to the file, as
 *       Docker does), so the container cannot reopen the host's file. Anything else (a
 *       directory, a regular file as stdin, a block or other character device) makes the start
 *       or exec fail with a {@link ContainerException} naming the stream and its type, before
 *       anything is created: pipe such input in instead. Checked at each start and exec.</li>
 *   <li>{@link #discard()}: /dev/null.</li>
 *   <li>{@link #to(OutputStream)}: stdout or stderr written into a sink as it arrives, from
 *       mdocker's reaper thread; the sink must not block. stdin cannot take a sink.</li>
 * </ul>
 */
public final class Stdio {
    enum Kind { PIPE, INHERIT, DISCARD, SINK }

    private static final Stdio PIPE = new Stdio(Kind.PIPE, null);
    private static final Stdio INHERIT = new Stdio(Kind.INHERIT, null);
    private static final Stdio DISCARD = new Stdio(Kind.DISCARD, null);

    private final Kind kind;
    private final OutputStream sink;

    private Stdio(Kind kind, OutputStream sink) {
        this.kind = kind;
        this.sink = sink;
    }

    public static Stdio pipe() {
        return PIPE;
    }

    public static Stdio inherit() {
        return INHERIT;
    }

    public static Stdio discard() {
        return DISCARD;
    }

    public static Stdio to(OutputStream sink) {
        return new Stdio(Kind.SINK, Objects.requireNonNull(sink, "sink"));
    }

    Kind kind() {
        return kind;
    }

    OutputStream sink() {
        return sink;
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The engine's form of this choice. */
    io.mdocker.internal.run.StreamChoice choice() {
        return new io.mdocker.internal.run.StreamChoice(switch (kind) {
            case PIPE -> io.mdocker.internal.run.StreamChoice.Kind.PIPE;
            case INHERIT -> io.mdocker.internal.run.StreamChoice.Kind.INHERIT;
            case DISCARD -> io.mdocker.internal.run.StreamChoice.Kind.DISCARD;
            case SINK -> io.mdocker.internal.run.StreamChoice.Kind.SINK;
        }, kind == Kind.SINK ? sink : null);
    }
}
