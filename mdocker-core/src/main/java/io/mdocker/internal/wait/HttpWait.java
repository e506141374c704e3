package io.mdocker.internal.wait;

import io.mdocker.PortMapping;
import io.mdocker.RunningContainer;
import io.mdocker.WaitStrategy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * Ready once {@code GET path} on a container port answers with the expected status. The request
 * goes to the published host port when the port is published (the way a test reaches it),
 * otherwise to the container's own address; a container with neither cannot be asked, which ends
 * the wait at once.
 */
public final class HttpWait extends PollingWait {
    private static final int SOCKET_TIMEOUT_MILLIS = 2000;

    private final int port;
    private final String path;
    private final int status;

    public HttpWait(int port, String path, int status, Duration timeout) {
        super(timeout);
        this.port = Ports.check(port);
        if (path == null || !path.startsWith("/") || path.chars().anyMatch(ch -> ch <= ' ' || ch == 0x7f)) {
            throw new IllegalArgumentException("invalid HTTP path '" + path + "': expected an absolute path like /health, without spaces");
        }
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("invalid HTTP status " + status + ": expected 100 to 599");
        }
        this.path = path;
        this.status = status;
    }

    /** The same wait for another status. */
    public HttpWait forStatus(int expected) {
        return new HttpWait(port, path, expected, timeout());
    }

    @Override
    protected boolean probe(RunningContainer c) throws IOException {
        InetSocketAddress target = target(c);
        try (Socket s = new Socket()) {
            s.connect(target, SOCKET_TIMEOUT_MILLIS);
            s.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: " + target.getHostString() + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String statusLine = statusLine(s.getInputStream());
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP answer from " + target + ": '" + statusLine + "'");
            }
            if (!parts[1].equals(Integer.toString(status))) {
                throw new IOException("GET " + path + " answered '" + statusLine + "'");
            }
            return true;
        }
    }

    private InetSocketAddress target(RunningContainer c) {
        Optional<PortMapping> published = c.ports().stream().filter(p -> p.containerPort() == port).findFirst();
        if (published.isPresent()) {
            return new InetSocketAddress(c.host(), published.get().hostPort());
        }
        return c.ipAddress().map(ip -> new InetSocketAddress(ip, port)).orElseThrow(() -> new IllegalStateException(
                "cannot wait for HTTP on port " + port + " of container " + c.shortId()
                        + ": publish the port, or give the container a bridge or veth network"));
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int ch;
        while ((ch = in.read()) >= 0 && ch != '\n' && b.length() < 1024) {
            if (ch != '\r') {
                b.append((char) ch);
            }
        }
        if (b.isEmpty()) {
            throw new IOException("the connection closed before an HTTP answer");
        }
        return b.toString();
    }

    @Override
    public WaitStrategy withTimeout(Duration timeout) {
        return new HttpWait(port, path, status, timeout);
    }

    @Override
    public String description() {
        return "HTTP " + status + " from GET " + path + " on port " + port;
    }
}
