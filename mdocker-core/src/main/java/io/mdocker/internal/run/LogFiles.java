package io.mdocker.internal.run;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

/**
 * A detached container's output, in the two log files its pid 1 writes: read whole, from the
 * start of the last N lines (Docker's {@code logs --tail N}), and followed as they grow.
 */
public final class LogFiles {
    private LogFiles() {}

    /** Every line. */
    public static final int ALL_LINES = -1;
    private static final Duration FOLLOW_POLL = Duration.ofMillis(100);

    /** The whole file; empty when it does not exist (yet). */
    public static byte[] read(Path log) {
        try {
            return Files.readAllBytes(log);
        } catch (NoSuchFileException e) {
            return new byte[0];
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + log + ": " + e.getMessage(), e);
        }
    }

    /**
     * Copies the last {@code tail} lines of both logs to {@code out} and {@code err}, then, with
     * {@code exited} not null, what is appended until {@code exited} says the container ended.
     */
    public static void copy(Path stdout, Path stderr, OutputStream out, OutputStream err, int tail, Exited exited)
            throws IOException {
        try (Tail o = new Tail(stdout, out, tail); Tail e = new Tail(stderr, err, tail)) {
            boolean done;
            do {
                done = exited == null || exited.awaitExit(FOLLOW_POLL);
                o.copyNew();
                e.copyNew();
            } while (!done);
        }
    }

    /** Waits a little for the container's end. */
    @FunctionalInterface
    public interface Exited {
        /** Waits at most {@code timeout}; true when the container has ended. */
        boolean awaitExit(Duration timeout);
    }

    /**
     * Calls {@code line} with each complete line of both logs (stream 1 stdout, 2 stderr), then with
     * each new one, on a virtual thread, until the returned stop runs or {@code running} turns
     * false (then a last unfinished line is delivered too).
     */
    public static Runnable follow(Path stdout, Path stderr, BooleanSupplier running, BiConsumer<Integer, String> line) {
        Thread t = Thread.ofVirtual().name("mdocker-log-follower").start(() -> {
            LineSplitter o = new LineSplitter(stdout, 1, line);
            LineSplitter e = new LineSplitter(stderr, 2, line);
            try {
                boolean last = false;
                while (!Thread.currentThread().isInterrupted()) {
                    boolean wasRunning = running.getAsBoolean();
                    o.readNew(last);
                    e.readNew(last);
                    if (last) {
                        return;
                    }
                    last = !wasRunning;
                    if (!last) {
                        Thread.sleep(FOLLOW_POLL);
                    }
                }
            } catch (InterruptedException ex) {
                // stopped
            } catch (IOException ex) {
                System.getLogger(LogFiles.class.getName()).log(System.Logger.Level.WARNING,
                        "following " + stdout + ": " + ex.getMessage());
            }
        });
        return t::interrupt;
    }

    /** Reads what was appended to a file and hands on its complete lines. */
    private static final class LineSplitter {
        private final Path file;
        private final int stream;
        private final BiConsumer<Integer, String> sink;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private long offset;

        LineSplitter(Path file, int stream, BiConsumer<Integer, String> sink) {
            this.file = file;
            this.stream = stream;
            this.sink = sink;
        }

        void readNew(boolean flush) throws IOException {
            if (Files.exists(file)) {
                try (FileChannel ch = FileChannel.open(file)) {
                    ByteBuffer buf = ByteBuffer.allocate(8192);
                    int n;
                    while ((n = ch.read(buf, offset)) > 0) {
                        offset += n;
                        for (int i = 0; i < n; i++) {
                            byte b = buf.get(i);
                            if (b == '\n') {
                                emit();
                            } else {
                                partial.write(b);
                            }
                        }
                        buf.clear();
                    }
                }
            }
            if (flush && partial.size() > 0) {
                emit();
            }
        }

        private void emit() {
            sink.accept(stream, partial.toString(StandardCharsets.UTF_8));
            partial.reset();
        }
    }

    /** Copies what is appended to a log file. */
    private static final class Tail implements AutoCloseable {
        private final InputStream in;
        private final OutputStream to;
        private final byte[] buf = new byte[8192];

        /** Reads {@code log} from the start of its last {@code tail} lines (all: {@link #ALL_LINES}). */
        Tail(Path log, OutputStream to, int tail) throws IOException {
            if (Files.exists(log)) {
                FileChannel ch = FileChannel.open(log);
                if (tail != ALL_LINES) {
                    ch.position(startOfLastLines(ch, tail));
                }
                this.in = Channels.newInputStream(ch);
            } else {
                this.in = InputStream.nullInputStream();
            }
            this.to = to;
        }

        /** The offset at which the last {@code lines} lines begin (a last line without '\n' counts). */
        static long startOfLastLines(FileChannel ch, int lines) throws IOException {
            long end = ch.size();
            if (lines == 0) {
                return end;
            }
            ByteBuffer chunk = ByteBuffer.allocate(8192);
            int seen = 0;
            long pos = end;
            while (pos > 0) {
                int n = (int) Math.min(chunk.capacity(), pos);
                pos -= n;
                chunk.clear().limit(n);
                while (chunk.hasRemaining()) {
                    if (ch.read(chunk, pos + chunk.position()) < 0) {
                        return 0; // truncated meanwhile
                    }
                }
                for (int i = n - 1; i >= 0; i--) {
                    long at = pos + i;
                    if (chunk.get(i) == '\n' && at != end - 1 && ++seen == lines) {
                        return at + 1;
                    }
                }
            }
            return 0;
        }

        void copyNew() throws IOException {
            int n;
            while ((n = in.read(buf)) > 0) {
                to.write(buf, 0, n);
            }
            to.flush();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
