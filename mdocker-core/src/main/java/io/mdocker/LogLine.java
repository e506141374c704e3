package io.mdocker;

import java.util.Objects;

/**
 * One line a running container wrote, without its newline, and the stream it came from. A line
 * longer than 8 KiB arrives in pieces; a last line without a newline arrives when the stream ends.
 *
 * @param source stdout or stderr
 * @param text the line, decoded as UTF-8
 */
public record LogLine(Source source, String text) {
    /** The stream a line came from. */
    public enum Source { STDOUT, STDERR }

    public LogLine {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(text, "text");
    }

    @Override
    public String toString() {
        return (source == Source.STDERR ? "[stderr] " : "") + text;
    }
}
