package io.mdocker.internal.process;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/** Java streams over a raw descriptor (a pipe's end, a terminal's master) that they own and close exactly once. */
final class FdStreams {
    private FdStreams() {}

    static InputStream input(int fd, String what) {
        return new In(fd, what);
    }

    static OutputStream output(int fd, String what) {
        return new Out(fd, what);
    }

    private static final class In extends InputStream {
        private final int fd;
        private final String what;
        private final AtomicBoolean closed = new AtomicBoolean();

        In(int fd, String what) {
            this.fd = fd;
            this.what = what;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (closed.get()) {
                throw new IOException(what + " is closed");
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(Math.min(len, 64 * 1024));
                int n = Posix.read(fd, buf, buf.byteSize(), what);
                if (n == 0) {
                    return -1;
                }
                MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, b, off, n);
                return n;
            } catch (ErrnoException e) {
                if (e.errno() == Linux.EIO()) {
                    return -1; // a terminal's master once every descriptor of its peer is closed
                }
                throw new IOException(e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                Posix.closeQuietly(fd);
            }
        }
    }

    private static final class Out extends OutputStream {
        private final int fd;
        private final String what;
        private final AtomicBoolean closed = new AtomicBoolean();

        Out(int fd, String what) {
            this.fd = fd;
            this.what = what;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (closed.get()) {
                throw new IOException(what + " is closed");
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(len);
                MemorySegment.copy(b, off, buf, ValueLayout.JAVA_BYTE, 0, len);
                Posix.writeFully(fd, buf, what);
            } catch (ErrnoException e) {
                throw new IOException(e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                Posix.closeQuietly(fd);
            }
        }
    }
}
