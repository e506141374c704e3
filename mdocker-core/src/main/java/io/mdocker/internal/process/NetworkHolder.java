package io.mdocker.internal.process;

import io.mdocker.ContainerException;
import io.mdocker.internal.sys.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The holder of a rootless user's named network: mdocker-init in network mode, a process that
 * unshares a user namespace and a network namespace, the user namespace mapped by this JVM as it
 * maps every rootless container's ({@link UserNamespace#maps()}). The containers on the network are
 * cloned into its user namespace ({@link InitProcess#spawnInHolder}), so that their network
 * namespaces belong to it and veth pairs can join them to the bridge in the holder's network
 * namespace. The holder hands out NETLINK_ROUTE sockets opened in its own network namespace or a
 * container's; this JVM configures links, addresses and routes over them (its user owns the user
 * namespace, so it holds every capability there). Thread-safe. {@link #close()} closes the socket,
 * at which the holder exits, and reaps it; so does the JVM's death (end of file), leaving nothing.
 */
public final class NetworkHolder implements AutoCloseable {
    private static final long TIMEOUT_MILLIS = 30_000;
    private static final int MAX_MESSAGE = 4096;

    private final int pid;
    private final int sock;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf = arena.allocate(MAX_MESSAGE + 1);
    private boolean closed;

    private NetworkHolder(int pid, int sock) {
        this.pid = pid;
        this.sock = sock;
    }

    /**
     * Starts a holder and writes its maps.
     *
     * @throws ContainerException when it cannot be started or mapped
     */
    public static NetworkHolder start() {
        UserNamespace.IdMaps maps = UserNamespace.maps();
        Spawner.Helper helper = Spawner.spawnHelper("network");
        NetworkHolder h = new NetworkHolder(helper.pid(), helper.sock());
        try {
            Posix.Received r = h.receive("its namespaces");
            if (r.descriptor() >= 0) {
                Posix.closeQuietly(r.descriptor());
            }
            String ready = h.text(r);
            if (!ready.equals("R")) {
                throw new ContainerException("the rootless network's holder (mdocker-init network) failed: "
                        + (ready.isEmpty() ? "" : ready.substring(1)));
            }
            maps.write(helper.pid());
            return h;
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
    }

    /** The holder's pid. */
    public int pid() {
        return pid;
    }

    /** The holder's namespace directory, {@code /proc/PID/ns}. */
    public Path namespaces() {
        return Path.of("/proc", Integer.toString(pid), "ns");
    }

    /** A NETLINK_ROUTE socket (close-on-exec, the caller's) in the holder's own network namespace. */
    public int ownSocket() {
        return socketIn("");
    }

    /** A NETLINK_ROUTE socket (close-on-exec, the caller's) in the network namespace of process {@code pid}. */
    public int socketIn(int pid) {
        return socketIn("/proc/" + pid + "/ns/net");
    }

    private synchronized int socketIn(String path) {
        if (closed) {
            throw new IllegalStateException("the network holder is closed");
        }
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        byte[] m = new byte[p.length + 2];
        m[0] = 'N';
        System.arraycopy(p, 0, m, 1, p.length);
        MemorySegment.copy(m, 0, buf, ValueLayout.JAVA_BYTE, 0, m.length);
        Posix.writeFully(sock, buf.asSlice(0, m.length), "network holder");
        String what = "a netlink socket in " + (path.isEmpty() ? "the holder's network namespace" : path);
        Posix.Received r = receive(what);
        String reply = text(r);
        if (reply.equals("K") && r.descriptor() >= 0) {
            return r.descriptor();
        }
        if (r.descriptor() >= 0) {
            Posix.closeQuietly(r.descriptor());
        }
        throw new ContainerException(what + ": " + (reply.startsWith("F") ? reply.substring(1)
                : "the holder answered '" + reply + "'"));
    }

    /**
     * Starts pasta with {@code command} (its path first) from the host's namespaces, through the
     * holder's starter (once); returns when pasta has configured the holder's network namespace.
     * pasta's daemon is the holder's child from then on, and dies with it.
     */
    public synchronized void startPasta(java.util.List<String> command) {
        String reply = request('P', command, "starting pasta for the network holder");
        if (!reply.equals("K")) {
            throw new ContainerException("pasta for the rootless network's namespace failed: " + reply.substring(1)
                    + " (" + String.join(" ", command) + ")");
        }
    }

    /**
     * Runs {@code command} (its path first) in the holder's user and network namespaces, as root
     * there, and waits for it.
     *
     * @throws ContainerException naming the command and what it printed on stderr when it fails
     */
    public synchronized void run(java.util.List<String> command) {
        String reply = request('C', command, "running " + command.getFirst() + " in the network holder");
        if (!reply.equals("K")) {
            throw new ContainerException(String.join(" ", command) + " in the rootless network's namespace failed: "
                    + reply.substring(1).strip().replace('\n', ' '));
        }
    }

    private String request(char type, java.util.List<String> args, String what) {
        if (closed) {
            throw new IllegalStateException("the network holder is closed");
        }
        java.io.ByteArrayOutputStream m = new java.io.ByteArrayOutputStream();
        m.write(type);
        for (String a : args) {
            m.writeBytes(a.getBytes(StandardCharsets.UTF_8));
            m.write(0);
        }
        if (m.size() > MAX_MESSAGE) {
            throw new IllegalArgumentException(what + ": a command line of " + m.size() + " bytes, more than " + MAX_MESSAGE);
        }
        byte[] bytes = m.toByteArray();
        MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, bytes.length);
        Posix.writeFully(sock, buf.asSlice(0, bytes.length), "network holder");
        Posix.Received r = receive(what);
        if (r.descriptor() >= 0) {
            Posix.closeQuietly(r.descriptor());
        }
        return text(r);
    }

    private Posix.Received receive(String what) {
        if (!Posix.awaitReadable(sock, TIMEOUT_MILLIS)) {
            throw new ContainerException(what + ": the network holder did not answer within " + TIMEOUT_MILLIS + " ms");
        }
        Posix.Received r = Posix.recvWithDescriptor(sock, buf.asSlice(0, MAX_MESSAGE), "network holder");
        if (r.length() <= 0) {
            throw new ContainerException(what + ": the network holder (pid " + pid + ") exited");
        }
        return r;
    }

    private String text(Posix.Received r) {
        return new String(buf.asSlice(0, r.length()).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Posix.closeQuietly(sock); // end of file: the holder exits
        Posix.waitpid(pid, 0);
        arena.close();
    }
}
