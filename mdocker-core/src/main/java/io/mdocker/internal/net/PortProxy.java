package io.mdocker.internal.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Published ports as an in-JVM TCP proxy: one listening socket per published port, bound before
 * the container is created (so a port in use is reported before anything exists, and port 0
 * gets a free port from the kernel), and per accepted connection a connection to the
 * container's address and two virtual threads copying bytes, each half-closing its direction
 * at end of stream.
 *
 * <p>Why not DNAT: the listening socket reserves the port (no host process can take it from
 * under the container, and none is shadowed silently), 127.0.0.1 works without turning on
 * route_localnet for the whole host, and nothing is installed that a killed JVM could leave
 * behind: the sockets die with the process, as the container does. The price is a copy through
 * the JVM, and the container sees connections come from the bridge's address. Docker's own
 * docker-proxy makes the same trade for loopback.
 *
 * <p>Thread-safe. {@link #close()} stops listening and cuts every open connection.
 */
public final class PortProxy implements AutoCloseable {
    /** One published port: host address (null = all), host port (0 = any free), container port. */
    public record Spec(String hostIp, int hostPort, int containerPort) { }

    /** A published port as bound: the host port is the real one. */
    public record Bound(String hostIp, int hostPort, int containerPort) { }

    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

    private final List<ServerSocket> listeners;
    private final List<Bound> bound;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private PortProxy(List<ServerSocket> listeners, List<Bound> bound) {
        this.listeners = listeners;
        this.bound = List.copyOf(bound);
    }

    /**
     * Binds every published port, or none: a port that cannot be bound raises an
     * IllegalArgumentException naming it, after the ones already bound were closed.
     */
    public static PortProxy bind(List<Spec> specs) {
        List<ServerSocket> listeners = new ArrayList<>();
        List<Bound> bound = new ArrayList<>();
        try {
            for (Spec s : specs) {
                ServerSocket ss = new ServerSocket();
                listeners.add(ss);
                ss.setReuseAddress(true);
                InetSocketAddress at = s.hostIp() == null ? new InetSocketAddress(s.hostPort())
                        : new InetSocketAddress(InetAddress.getByName(s.hostIp()), s.hostPort());
                try {
                    ss.bind(at, 128);
                } catch (BindException e) {
                    throw bindFailure(s, e.getMessage());
                }
                bound.add(new Bound(s.hostIp(), ss.getLocalPort(), s.containerPort()));
            }
            return new PortProxy(listeners, bound);
        } catch (IOException e) {
            closeAll(listeners);
            throw new IllegalStateException("binding published ports: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeAll(listeners);
            throw e;
        }
    }

    /**
     * The one-line error for a port that cannot be bound: {@code reason} is the system's text
     * ("Address already in use"). Also for the ports a detached container's monitor binds.
     */
    public static IllegalArgumentException bindFailure(Spec s, String reason) {
        return new IllegalArgumentException("cannot publish host port " + (s.hostIp() == null ? "" : s.hostIp() + ":")
                + s.hostPort() + " (for container port " + s.containerPort() + "): " + reason
                + ": expected a free port (0 picks one)");
    }

    public List<Bound> bound() {
        return bound;
    }

    /** Starts forwarding to the container at {@code containerAddress}. */
    public void start(int containerAddress) {
        InetAddress target;
        try {
            target = InetAddress.getByAddress(Ipv4.bytes(containerAddress));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        for (int i = 0; i < listeners.size(); i++) {
            ServerSocket ss = listeners.get(i);
            InetSocketAddress to = new InetSocketAddress(target, bound.get(i).containerPort());
            Thread.ofVirtual().name("mdocker-proxy-" + bound.get(i).hostPort()).start(() -> acceptLoop(ss, to));
        }
    }

    private void acceptLoop(ServerSocket ss, InetSocketAddress to) {
        while (!closed) {
            Socket client;
            try {
                client = ss.accept();
            } catch (IOException e) {
                return; // closed
            }
            track(client);
            Thread.ofVirtual().start(() -> forward(client, to));
        }
    }

    private void forward(Socket client, InetSocketAddress to) {
        Socket upstream = new Socket();
        track(upstream);
        try {
            upstream.connect(to, CONNECT_TIMEOUT_MILLIS);
            client.setTcpNoDelay(true);
            upstream.setTcpNoDelay(true);
        } catch (IOException e) {
            closeQuietly(client);
            closeQuietly(upstream);
            return; // refused or unreachable: the client sees its connection closed
        }
        Thread back = Thread.ofVirtual().start(() -> pump(upstream, client));
        pump(client, upstream);
        try {
            back.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(client);
        closeQuietly(upstream);
    }

    /** Copies until end of stream, then half-closes the destination; an error closes both. */
    private void pump(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            in.transferTo(out);
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void track(Socket s) {
        open.add(s);
        if (closed) {
            closeQuietly(s);
        }
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    private static void closeAll(List<ServerSocket> listeners) {
        for (ServerSocket ss : listeners) {
            try {
                ss.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        closeAll(listeners);
        for (Socket s : open) {
            closeQuietly(s);
        }
    }
}
