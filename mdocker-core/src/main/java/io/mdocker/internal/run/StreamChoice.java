package io.mdocker.internal.run;

import io.mdocker.internal.process.InitProcess.Redirect;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Where one standard stream of a container or exec goes, as the engine takes it.
 *
 * @param kind where it goes
 * @param sink the stream that gets the output, for {@link Kind#SINK} only (else null)
 */
public record StreamChoice(Kind kind, OutputStream sink) {
    /** The choices. */
    public enum Kind {
        /** A pipe whose other end Java holds. */
        PIPE,
        /** This JVM's own descriptor. */
        INHERIT,
        /** /dev/null. */
        DISCARD,
        /** Copied to an {@link OutputStream} by the reaper. */
        SINK
    }

    public StreamChoice {
        Objects.requireNonNull(kind, "kind");
        if ((kind == Kind.SINK) != (sink != null)) {
            throw new IllegalArgumentException("a sink stream, and only it, has an OutputStream");
        }
    }

    /** What the init does with stdin; a run()'s piped stdin gets nothing, as /dev/null. */
    public Redirect stdinRedirect(boolean forRun) {
        return switch (kind) {
            case PIPE -> forRun ? Redirect.DISCARD : Redirect.PIPE;
            case INHERIT -> Redirect.INHERIT;
            case DISCARD, SINK -> Redirect.DISCARD;
        };
    }

    /** What the init does with an output stream; {@code capture} is where a run() collects it, or null. */
    public Redirect redirect(ByteArrayOutputStream capture) {
        return switch (kind) {
            case PIPE -> capture != null ? Redirect.CAPTURE : Redirect.PIPE;
            case INHERIT -> Redirect.INHERIT;
            case DISCARD -> Redirect.DISCARD;
            case SINK -> Redirect.CAPTURE;
        };
    }

    /** The stream captured output is copied to: the sink, or {@code capture}. */
    public OutputStream sinkOr(ByteArrayOutputStream capture) {
        return kind == Kind.SINK ? sink : capture;
    }
}
