package io.mdocker.internal.image.registry;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A {@link PullListener} for a command line. On a terminal it keeps one line per blob (its short
 * digest, state, bytes done of total and rate) and redraws them in place, at most ten times a
 * second; otherwise it prints plain lines, one per event that matters (a blob present, started,
 * retried, done with its size and rate), never per chunk. Thread-safe.
 */
public final class ProgressPrinter implements PullListener {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier clock;
    private final Map<Digest, Line> lines = new LinkedHashMap<>();
    private int drawn;
    private long lastDraw = Long.MIN_VALUE;

    private static final class Line {
        final Descriptor blob;
        String state = "waiting";
        long done;
        long startNanos;
        long endNanos;

        Line(Descriptor blob) {
            this.blob = blob;
        }
    }

    /** Prints to {@code out}, in place when {@code terminal}; {@code clock} gives nanoseconds (System::nanoTime). */
    public ProgressPrinter(PrintStream out, boolean terminal, LongSupplier clock) {
        this.out = out;
        this.terminal = terminal;
        this.clock = clock;
    }

    /** Prints to standard output, in place when it is a terminal. */
    public static ProgressPrinter forStdout() {
        java.io.Console console = System.console();
        return new ProgressPrinter(System.out, console != null && console.isTerminal(), System::nanoTime);
    }

    @Override
    public synchronized void resolved(String image, Digest manifest, List<Descriptor> blobs) {
        out.println(image + ": manifest " + manifest);
        for (Descriptor d : blobs) {
            lines.putIfAbsent(d.digest(), new Line(d));
        }
        if (terminal) {
            draw(true);
        }
    }

    @Override
    public synchronized void blobPresent(Descriptor blob) {
        Line l = line(blob);
        l.state = "already present";
        l.done = blob.size();
        event(l, "already present");
    }

    @Override
    public synchronized void blobStarted(Descriptor blob) {
        Line l = line(blob);
        l.state = "downloading";
        l.startNanos = clock.getAsLong();
        event(l, "downloading " + size(blob.size()));
    }

    @Override
    public synchronized void blobProgress(Descriptor blob, long done, long total) {
        Line l = line(blob);
        l.done = done;
        if (terminal) {
            draw(false);
        }
    }

    @Override
    public synchronized void blobRetrying(Descriptor blob, long done, String reason) {
        Line l = line(blob);
        l.done = done;
        event(l, "retrying from byte " + done + ": " + reason);
    }

    @Override
    public synchronized void blobDone(Descriptor blob) {
        Line l = line(blob);
        l.done = blob.size();
        l.endNanos = clock.getAsLong();
        l.state = "done";
        event(l, "done, " + size(blob.size()) + " in " + String.format(Locale.ROOT, "%.1f s", seconds(l)) + " (" + rate(l) + ")");
    }

    private Line line(Descriptor blob) {
        return lines.computeIfAbsent(blob.digest(), k -> new Line(blob));
    }

    private void event(Line l, String what) {
        if (terminal) {
            draw(true);
        } else {
            out.println(l.blob.digest().shortHex() + ": " + what);
        }
    }

    /** Redraws every blob's line in place (ANSI: cursor up, clear line); forced or at most ten times a second. */
    private void draw(boolean force) {
        long now = clock.getAsLong();
        if (!force && lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        StringBuilder sb = new StringBuilder();
        if (drawn > 0) {
            sb.append("\033[").append(drawn).append('A');
        }
        for (Line l : lines.values()) {
            sb.append("\r\033[2K").append(l.blob.digest().shortHex()).append(": ").append(l.state);
            if (l.state.equals("downloading") || l.state.equals("done")) {
                sb.append("  ").append(size(l.done)).append(" / ").append(size(l.blob.size())).append("  ").append(rate(l));
            }
            sb.append('\n');
        }
        drawn = lines.size();
        out.print(sb);
        out.flush();
    }

    private double seconds(Line l) {
        long end = l.endNanos != 0 ? l.endNanos : clock.getAsLong();
        return Math.max(end - l.startNanos, 1) / 1e9;
    }

    private String rate(Line l) {
        return size((long) (l.done / seconds(l))) + "/s";
    }

    /** Bytes as B, KiB, MiB or GiB with one decimal. */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
