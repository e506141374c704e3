package io.mdocker.internal.process;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A container's piped stdout and stderr as the reaper thread drains them: the most recent lines
 * kept in memory (at most {@code capacity} bytes, oldest dropped first), handed to followers as
 * they complete, and, for a caller who asks for a stream ({@link #stream}), copied into a bounded
 * {@link TeeInput}. Memory stays bounded whatever the container writes.
 *
 * <p>Thread-safe. {@link #append} and {@link #end} run on the reaper thread; followers are called
 * there too, with this log's lock held, and must not block.
 */
public final class OutputLog {
    /** stdout, as in the stream numbers of {@link Line}. */
    public static final int STDOUT = 1;
    /** stderr. */
    public static final int STDERR = 2;
    /** A line longer than this is cut into pieces of this size. */
    static final int MAX_LINE = 8 * 1024;

    /**
     * One line from stream {@link #STDOUT} or {@link #STDERR}, without its newline;
     * {@code newline} is false for a piece of a long line, an unfinished last line, or the last
     * bytes before the end of the stream.
     */
    public record Line(int stream, byte[] bytes, boolean newline) { }

    private final int capacity;
    private final ArrayDeque<Line> lines = new ArrayDeque<>(); // guarded by this
    private long retained; // guarded by this
    private final ByteArrayOutputStream[] partial = {null, new ByteArrayOutputStream(), new ByteArrayOutputStream()};
    private final TeeInput[] tees = new TeeInput[3]; // guarded by this
    private final boolean[] ended = new boolean[3]; // guarded by this
    private final List<Consumer<Line>> followers = new CopyOnWriteArrayList<>();

    /** @param capacity bytes of recent lines kept (at least one maximal line) */
    public OutputLog(int capacity) {
        if (capacity < MAX_LINE) {
            throw new IllegalArgumentException("log capacity " + capacity + " is below one line (" + MAX_LINE + " bytes)");
        }
        this.capacity = capacity;
    }

    /** Adds {@code n} bytes of {@code data} that arrived on {@code stream}. Reaper thread. */
    synchronized void append(int stream, MemorySegment data, int n) {
        byte[] bytes = data.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        if (tees[stream] != null) {
            tees[stream].offer(bytes);
        }
        ByteArrayOutputStream part = partial[stream];
        int start = 0;
        for (int i = 0; i < n; i++) {
            if (bytes[i] == '\n' || part.size() + (i - start) >= MAX_LINE) {
                boolean newline = bytes[i] == '\n';
                int end = newline ? i : i + 1;
                part.write(bytes, start, end - start);
                deliver(keep(new Line(stream, part.toByteArray(), newline)));
                part.reset();
                start = i + 1;
            }
        }
        part.write(bytes, start, n - start);
    }

    /** Detaches the streams handed out (their readers see them closed); the log goes on. */
    public synchronized void detachStreams() {
        for (TeeInput tee : tees) {
            if (tee != null) {
                tee.close();
            }
        }
    }

    /** The stream reached end of file. Reaper thread. */
    synchronized void end(int stream) {
        ended[stream] = true;
        if (partial[stream].size() > 0) {
            deliver(keep(new Line(stream, partial[stream].toByteArray(), false)));
            partial[stream].reset();
        }
        if (tees[stream] != null) {
            tees[stream].end();
        }
    }

    private Line keep(Line line) { // holds this
        lines.addLast(line);
        retained += line.bytes().length + 1;
        while (retained > capacity) {
            retained -= lines.removeFirst().bytes().length + 1;
        }
        return line;
    }

    private void deliver(Line line) { // holds this
        for (Consumer<Line> f : followers) {
            try {
                f.accept(line);
            } catch (RuntimeException e) {
                followers.remove(f); // a failing follower must not stop the others, nor the reaper
            }
        }
    }

    /** The retained lines, oldest first, and the unfinished last line of each stream. */
    public synchronized List<Line> lines() {
        List<Line> all = new ArrayList<>(lines);
        for (int s = STDOUT; s <= STDERR; s++) {
            if (partial[s].size() > 0) {
                all.add(new Line(s, partial[s].toByteArray(), false));
            }
        }
        return all;
    }

    /**
     * Calls {@code follower} with every retained line, then with each new line as it completes
     * (on the reaper thread); the returned action stops it. Lines are delivered with this log's
     * lock held, so the replay and the new lines come in order, none missed or seen twice.
     */
    public synchronized Runnable follow(Consumer<Line> follower) {
        for (Line line : lines) {
            follower.accept(line);
        }
        followers.add(follower);
        return () -> followers.remove(follower);
    }

    /**
     * The stream's bytes as an InputStream, starting with what is retained of it. Created on the
     * first call: until then output only goes to the retained lines (so a container whose stream
     * nobody reads never blocks); from then on the reaper stops draining the pipe while the
     * stream holds {@link TeeInput#LIMIT} unread bytes, as a pipe would.
     */
    synchronized InputStream stream(int stream, TeeInput.Flow flow) {
        if (tees[stream] == null) {
            TeeInput tee = new TeeInput(flow);
            for (Line line : lines) {
                if (line.stream() == stream) {
                    tee.offer(line.bytes());
                    if (line.newline()) {
                        tee.offer(new byte[] {'\n'});
                    }
                }
            }
            if (partial[stream].size() > 0) {
                tee.offer(partial[stream].toByteArray());
            }
            if (ended[stream]) {
                tee.end();
            }
            tees[stream] = tee;
        }
        return tees[stream];
    }
}
