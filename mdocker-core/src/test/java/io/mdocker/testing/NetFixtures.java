package io.mdocker.testing;

import io.mdocker.ContainerRuntime;
import io.mdocker.Network;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the network tests share: test-only bridges and subnets (never mdocker0 or 10.200.1.0/24),
 * inspection of the host with {@code ip} and {@code iptables-save} (inspection only: the runtime
 * never runs {@code ip}) and an HTTP client for servers inside containers; {@link TestBridge}
 * removes each test bridge and its rules afterwards. Traffic goes only to loopback and to
 * containers the tests made.
 */
public final class NetFixtures {
    private NetFixtures() {}

    public static final String BRIDGE = "mdt0";
    public static final String BRIDGE_ADDRESS = "10.201.0.1/24";
    public static final String SUBNET = "10.201.0.0/24";
    public static final String VETH_HOST = "10.201.9.1";
    public static final String VETH_CONTAINER = "10.201.9.2";
    public static final String VETH_SUBNET = "10.201.8.0/30";

    /** A server that answers HTTP GET with "hello &lt;hostname&gt;", busybox httpd in the foreground. */
    public static final String[] HTTPD = {"/bin/sh", "-c",
            "mkdir -p /www && echo hello $(hostname) > /www/index.html && exec httpd -f -p 80 -h /www"};

    public static Network bridge() {
        return Network.bridge(BRIDGE, BRIDGE_ADDRESS);
    }

    /** The tests need iptables (bridge and veth modes install NAT with it) and ip (to inspect). */
    public static void prerequisites() {
        Fixtures.rootfs();
        Fixtures.prerequisite(Files.isExecutable(Path.of("/usr/sbin/iptables")) || Files.isExecutable(Path.of("/sbin/iptables")),
                "iptables is needed for bridge networking (apt-get install iptables)");
        Fixtures.prerequisite(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                || Files.isExecutable(Path.of("/usr/bin/ip")) || Files.isExecutable(Path.of("/bin/ip")),
                "ip (iproute2) is needed to inspect the host's links (apt-get install iproute2)");
    }

    /** Runs a host command for inspection and returns its stdout. */
    public static String host(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out;
            try (var in = p.getInputStream()) { // closed now, not when the JDK notices the exit
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The names of the host's veth links. */
    public static List<String> vethLinks() {
        return host("ip", "-o", "link", "show", "type", "veth").lines()
                .map(l -> l.split(":")[1].trim().split("@")[0]).sorted().toList();
    }

    /** The host's iptables rules (all tables), without comments and counters. */
    public static List<String> iptablesRules() {
        return host("iptables-save").lines().filter(l -> l.startsWith("-A ")).sorted().toList();
    }

    /** Files in a bridge's lease directory other than its lock. */
    public static List<Path> leases(ContainerRuntime rt, String bridge) {
        return Fixtures.list(rt.runRoot().resolve("net").resolve(bridge)).stream()
                .filter(p -> !p.getFileName().toString().equals("lock")).toList();
    }

    /**
     * GET / from an HTTP server, retried until it answers or {@code patience} ends (the server in
     * a just-started container may not listen yet). Returns the body.
     */
    public static String httpGet(String host, int port, Duration patience) {
        long deadline = System.nanoTime() + patience.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                out.write(("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                int body = response.indexOf("\r\n\r\n");
                if (response.startsWith("HTTP/1.") && body > 0) {
                    return response.substring(body + 4);
                }
                last = new IOException("not an HTTP response: " + response);
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(20); // a user process starting up: there is no descriptor to wait on
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("no HTTP answer from " + host + ":" + port + " within " + patience, last);
    }
}
