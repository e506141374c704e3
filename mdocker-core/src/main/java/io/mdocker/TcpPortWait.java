package io.mdocker;


import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Ready once a TCP port accepts connections inside the container. With an address of its own
 * (bridge, veth) the host connects to it; otherwise (network none, host) the container's network
 * namespace is read through {@code /proc/<pid>/net/tcp} and {@code tcp6} for a listening socket
 * on the port, so no traffic is needed. The published host port is not used: mdocker's port proxy
 * accepts there whether or not the container listens.
 */
final class TcpPortWait extends PollingWait {
    private static final int CONNECT_TIMEOUT_MILLIS = 250;
    /** {@code st} of a listening socket in /proc/net/tcp (TCP_LISTEN). */
    private static final String LISTEN = "0A";

    private final int port;

    TcpPortWait(int port, Duration timeout) {
        super(timeout);
        this.port = Wait.checkPort(port);
    }

    @Override
    boolean probe(ContainerHandle c) throws IOException {
        Optional<String> ip = c.ipAddress();
        if (ip.isPresent()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(ip.get(), port), CONNECT_TIMEOUT_MILLIS);
                return true;
            }
        }
        return listening(Path.of("/proc", Integer.toString(c.pid()), "net"), port);
    }

    /** Whether {@code tcp} or {@code tcp6} under {@code procNet} lists a listening socket on {@code port}. */
    static boolean listening(Path procNet, int port) throws IOException {
        String hexPort = String.format("%04X", port);
        for (String table : new String[] {"tcp", "tcp6"}) {
            String text;
            try {
                text = Files.readString(procNet.resolve(table));
            } catch (NoSuchFileException e) {
                continue; // no IPv6 in this kernel
            }
            // "  sl  local_address rem_address   st ..." then "   0: 0100007F:1F90 00000000:0000 0A ..."
            boolean found = text.lines().skip(1).map(String::trim).map(l -> l.split("\\s+"))
                    .anyMatch(f -> f.length > 3 && f[3].equals(LISTEN) && f[1].endsWith(":" + hexPort));
            if (found) {
                return true;
            }
        }
        return false;
    }

    @Override
    public WaitStrategy withTimeout(Duration timeout) {
        return new TcpPortWait(port, timeout);
    }

    @Override
    public String description() {
        return "TCP port " + port + " to accept connections";
    }
}
