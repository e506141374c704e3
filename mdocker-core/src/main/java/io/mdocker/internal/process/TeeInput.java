package io.mdocker.internal.process;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * The reading side of a container stream that the reaper drains: chunks queued by the reaper,
 * read by the caller. While {@link #LIMIT} bytes or more are unread, the reaper pauses the pipe
 * (through {@link Flow}), so an unread stream holds the container back as a full pipe would, and
 * memory stays bounded. Closing it detaches it: the container's output still goes to the log.
 */
final class TeeInput extends InputStream {
    /** Unread bytes at which the pipe is paused; it resumes below half of it. */
    static final int LIMIT = 64 * 1024;

    /** Pauses and resumes the drained pipe. Both are called with this stream's lock held and must not block. */
    interface Flow {
        void pause();

        void resume();
    }

    private final Flow flow;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>(); // guarded by this
    private int head; // bytes of the first chunk already read; guarded by this
    private long unread; // guarded by this
    private boolean ended; // guarded by this
    private boolean closed; // guarded by this
    private boolean paused; // guarded by this

    TeeInput(Flow flow) {
        this.flow = flow;
    }

    /** Queues bytes (reaper thread); pauses the pipe when the stream is full. */
    synchronized void offer(byte[] bytes) {
        if (closed || bytes.length == 0) {
            return;
        }
        chunks.addLast(bytes);
        unread += bytes.length;
        if (unread >= LIMIT && !paused) {
            paused = true;
            flow.pause();
        }
        notifyAll();
    }

    /** End of file: reads return -1 once the queue is empty. */
    synchronized void end() {
        ended = true;
        notifyAll();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) {
            return 0;
        }
        while (chunks.isEmpty() && !ended && !closed) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while reading container output");
            }
        }
        if (closed) {
            throw new IOException("container stream is closed");
        }
        if (chunks.isEmpty()) {
            return -1;
        }
        int n = 0;
        while (n < len && !chunks.isEmpty()) {
            byte[] first = chunks.peekFirst();
            int take = Math.min(len - n, first.length - head);
            System.arraycopy(first, head, b, off + n, take);
            n += take;
            head += take;
            if (head == first.length) {
                chunks.removeFirst();
                head = 0;
            }
        }
        unread -= n;
        resumeIfDrained();
        return n;
    }

    @Override
    public synchronized int available() {
        return (int) Math.min(unread, Integer.MAX_VALUE);
    }

    private void resumeIfDrained() { // holds this
        if (paused && unread < LIMIT / 2) {
            paused = false;
            flow.resume();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        chunks.clear();
        unread = 0;
        resumeIfDrained();
        notifyAll();
    }
}
