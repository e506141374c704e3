package io.mdocker;

import io.mdocker.internal.net.Ipv4;

import java.util.List;
import java.util.Objects;

/**
 * A published TCP port, as Docker's {@code -p}: connections to {@code hostPort} on the host
 * address {@code hostIp} ({@link #ANY_ADDRESS}, 0.0.0.0: every address of the host) are forwarded to
 * {@code containerPort} on the container's address. A host port of 0 asks for a free one; the
 * port actually bound is in {@link RunningContainer#ports()} and
 * {@link RunningContainer#mappedPort(int)}.
 */
public record PortMapping(String hostIp, int hostPort, int containerPort) {
    /** The host address that stands for every address of the host. */
    public static final String ANY_ADDRESS = "0.0.0.0";

    /** Checks the values: an IPv4 host address (not null), ports in range. */
    public PortMapping {
        Objects.requireNonNull(hostIp, "hostIp (" + ANY_ADDRESS + " for every address)");
        Ipv4.parseAddress(hostIp, hostIp, "published host address");
        if (hostPort < 0 || hostPort > 65535) {
            throw new IllegalArgumentException("invalid host port " + hostPort + ": expected 0 (any free port) to 65535");
        }
        if (containerPort < 1 || containerPort > 65535) {
            throw new IllegalArgumentException("invalid container port " + containerPort + ": expected 1 to 65535");
        }
    }

    /** The host address as the kernel takes it: null for every address. */
    String bindAddress() {
        return hostIp.equals(ANY_ADDRESS) ? null : hostIp;
    }

    /**
     * Parses Docker's {@code -p} forms: {@code CPORT}, {@code HPORT:CPORT}, {@code IP:HPORT:CPORT},
     * {@code IP::CPORT} (a free port), each optionally ending in {@code /tcp}.
     */
    public static PortMapping parse(String spec) {
        Objects.requireNonNull(spec, "port");
        String expected = "': expected [IP:][HOSTPORT:]CONTAINERPORT[/tcp], like 8080:80 or 127.0.0.1:0:80";
        String s = spec;
        int slash = s.indexOf('/');
        if (slash >= 0) {
            String proto = s.substring(slash + 1);
            if (!proto.equals("tcp")) {
                throw new IllegalArgumentException("invalid published port '" + spec + "': protocol '" + proto
                        + "' is not supported, only tcp");
            }
            s = s.substring(0, slash);
        }
        String[] parts = s.split(":", -1);
        if (parts.length > 3) {
            throw new IllegalArgumentException("invalid published port '" + spec + expected);
        }
        String ip = parts.length == 3 ? parts[0] : ANY_ADDRESS;
        if (ip.isEmpty()) {
            throw new IllegalArgumentException("invalid published port '" + spec + "': empty host address" + expected.substring(1));
        }
        String host = parts.length >= 2 ? parts[parts.length - 2] : "";
        String container = parts[parts.length - 1];
        try {
            return new PortMapping(ip, host.isEmpty() ? 0 : port(host), port(container));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid published port '" + spec + expected);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid published port '" + spec + "': " + e.getMessage());
        }
    }

    private static int port(String s) {
        if (!s.matches("[0-9]{1,5}")) {
            throw new NumberFormatException(s);
        }
        return Integer.parseInt(s);
    }

    /** The host address at which {@code ports} are reached: the first one bound to one address, else 127.0.0.1. */
    static String host(List<PortMapping> ports) {
        return ports.stream().map(PortMapping::hostIp)
                .filter(ip -> !ip.equals(ANY_ADDRESS)).findFirst().orElse("127.0.0.1");
    }

    /** The host port of {@code ports} that forwards to {@code containerPort}. */
    static int mappedPort(List<PortMapping> ports, int containerPort) {
        for (PortMapping p : ports) {
            if (p.containerPort() == containerPort) {
                return p.hostPort();
            }
        }
        throw new IllegalArgumentException("container port " + containerPort + " is not published: the published ports are "
                + ports);
    }

    /** The inverse of {@link #toString()}, for the state record. */
    static PortMapping ofBound(String text) {
        int colon = text.lastIndexOf(':');
        int arrow = text.indexOf("->");
        int slash = text.indexOf('/', arrow);
        if (colon < 0 || arrow < colon || slash < 0) {
            throw new IllegalArgumentException("published port '" + text + "': expected IP:HOSTPORT->PORT/tcp");
        }
        String ip = text.substring(0, colon);
        return new PortMapping(ip, Integer.parseInt(text.substring(colon + 1, arrow)),
                Integer.parseInt(text.substring(arrow + 2, slash)));
    }

    /** {@code 127.0.0.1:8080->80/tcp}, as {@code docker port} prints it. */
    @Override
    public String toString() {
        return hostIp + ":" + hostPort + "->" + containerPort + "/tcp";
    }
}
