package io.mdocker.internal.process;

import io.mdocker.ContainerException;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * A rootless JVM's hands inside the user namespace of its containers: mdocker-init in owners mode,
 * a process that unshares a user namespace which this JVM then maps as it maps every rootless
 * container's ({@link UserNamespace#maps()}), so that it is root over the user's subordinate ids.
 * It gives the files of a layer the JVM unpacked as itself their owners (uid 70 in the image is
 * the range's id that containers see as 70), modes and file capabilities, and removes or renames
 * trees whose files belong to the range, which the user alone may not change (Podman's
 * {@code podman unshare}). One request at a time; not thread-safe. {@link #close()} ends the
 * process and reaps it.
 */
public final class UsernsFiles implements AutoCloseable {
    /** How long the helper may take to answer a batch. */
    private static final long TIMEOUT_MILLIS = 120_000;
    private static final int MAX_MESSAGE = 64 * 1024;

    private final int pid;
    private final int sock;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(MAX_MESSAGE + 1);
    private boolean closed;

    /** One file's owner, mode and capability, by its path relative to the batch's directory. */
    public record Owner(String path, int uid, int gid, int mode, boolean link, byte[] capability) { }

    private UsernsFiles(int pid, int sock) {
        this.pid = pid;
        this.sock = sock;
    }

    /**
     * Starts the helper and writes its maps.
     *
     * @throws ContainerException when it cannot be started or mapped (newuidmap's message)
     */
    public static UsernsFiles start() {
        UserNamespace.IdMaps maps = UserNamespace.maps();
        Spawner.Helper helper = Spawner.spawnHelper("owners");
        UsernsFiles f = new UsernsFiles(helper.pid(), helper.sock());
        try {
            String ready = f.receive("its user namespace");
            if (!ready.equals("R")) {
                throw new ContainerException("mdocker-init (owners) could not make a user namespace: " + ready.substring(1));
            }
            maps.write(helper.pid());
            return f;
        } catch (RuntimeException | IOException e) {
            f.close();
            throw e instanceof RuntimeException r ? r : new ContainerException(e.getMessage(), e);
        }
    }

    /**
     * Sets the owners, modes and capabilities of {@code owners} below {@code dir}, in order.
     *
     * @throws IOException the first failure, naming the file and errno's text
     */
    public void apply(Path dir, List<Owner> owners) throws IOException {
        send(bytes('D', dir.toString()));
        for (Owner o : owners) {
            byte[] path = o.path().getBytes(StandardCharsets.UTF_8);
            byte[] cap = o.capability() == null ? new byte[0] : o.capability();
            ByteBuffer b = ByteBuffer.allocate(1 + 20 + path.length + 1 + cap.length).order(ByteOrder.nativeOrder());
            b.put((byte) 'O').putInt(o.uid()).putInt(o.gid()).putInt(o.mode()).putInt(o.link() ? 1 : 0).putInt(cap.length)
                    .put(path).put((byte) 0).put(cap);
            send(b.array());
        }
        end("setting owners below " + dir);
    }

    /** Removes the tree {@code path} (nothing when it does not exist). */
    public void removeTree(Path path) throws IOException {
        send(bytes('X', path.toAbsolutePath().toString()));
        end("removing " + path);
    }

    /** rename(2) of {@code from} to {@code to}. */
    public void rename(Path from, Path to) throws IOException {
        byte[] a = from.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
        byte[] b = to.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
        byte[] m = new byte[a.length + b.length + 3];
        m[0] = 'M';
        System.arraycopy(a, 0, m, 1, a.length);
        System.arraycopy(b, 0, m, a.length + 2, b.length);
        send(m);
        end("renaming " + from + " to " + to);
    }

    private static byte[] bytes(char type, String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        byte[] m = new byte[p.length + 2];
        m[0] = (byte) type;
        System.arraycopy(p, 0, m, 1, p.length);
        return m;
    }

    private void send(byte[] message) throws IOException {
        if (message.length > MAX_MESSAGE) {
            throw new IOException("a path too long for the owners helper (" + message.length + " bytes)");
        }
        MemorySegment.copy(message, 0, buf, ValueLayout.JAVA_BYTE, 0, message.length);
        Posix.writeFully(sock, buf.asSlice(0, message.length), "owners helper");
    }

    private void end(String what) throws IOException {
        send(new byte[] {'E'});
        String reply = receive(what);
        if (reply.startsWith("F")) {
            throw new IOException(what + ": " + reply.substring(1));
        }
        if (!reply.equals("K")) {
            throw new IOException(what + ": the owners helper answered '" + reply + "'");
        }
    }

    private String receive(String what) throws IOException {
        if (!Posix.awaitReadable(sock, TIMEOUT_MILLIS)) {
            throw new IOException(what + ": the owners helper did not answer within " + TIMEOUT_MILLIS + " ms");
        }
        long n = Posix.recv(sock, buf, MAX_MESSAGE, 0, "owners helper");
        if (n <= 0) {
            throw new IOException(what + ": the owners helper exited");
        }
        return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Posix.closeQuietly(sock); // end of file: the helper exits
        Posix.waitpid(pid, 0);
        arena.close();
    }
}
