package io.mdocker.internal.net;

import io.mdocker.ContainerException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A user-mode network for a container (network {@code pasta}): {@code pasta} (Debian's passt)
 * attaches to the container's network namespace, gives it an address, a default route and
 * outbound TCP/UDP through the host's sockets, and forwards the published TCP ports from the host.
 * It runs as this JVM's user, so it serves rootless containers. Its target is a symbolic link
 * {@code netns} in the container's state directory pointing at {@code /proc/<pid 1>/ns/net}:
 * pasta quits when that name is deleted (an inotify watch on the directory), which the
 * container's teardown does, and so does recovery when a dead JVM left the container. The
 * container cannot reach the host's loopback through it ({@code --no-map-gw}) and nothing is
 * forwarded from the container to the host ({@code -T none -U none}). DNS: the container's
 * resolv.conf names {@link #DNS}, which pasta relays to the host's name server.
 */
final class Pasta {
    private Pasta() {}

    static final String LINK = "netns";
    /**
     * The container's name server: pasta answers DNS queries sent to this address by relaying
     * them to the host's first name server (--dns-forward; the host's own resolv.conf, loopback
     * resolvers such as 127.0.0.53 included, as pasta runs on the host). Podman's address for it.
     */
    static final String DNS = "169.254.1.1";
    private static final List<Path> PLACES = List.of(Path.of("/usr/bin/pasta"), Path.of("/usr/local/bin/pasta"),
            Path.of("/bin/pasta"));

    /** pasta's path, or a one-line refusal naming the package. */
    static Path binary() {
        return PLACES.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "network pasta needs the pasta program (Debian: apt-get install passt), found in none of " + PLACES));
    }

    /** The published ports with a free host port chosen for each 0 (bound and released here). */
    static List<PortProxy.Bound> choosePorts(List<PortProxy.Spec> specs) {
        List<PortProxy.Bound> bound = new ArrayList<>();
        for (PortProxy.Spec s : specs) {
            int port = s.hostPort();
            if (port == 0) {
                try (ServerSocket probe = new ServerSocket()) {
                    probe.bind(new InetSocketAddress(InetAddress.getByName(s.hostIp() == null ? "127.0.0.1" : s.hostIp()), 0));
                    port = probe.getLocalPort();
                } catch (IOException e) {
                    throw new UncheckedIOException("finding a free port on " + s.hostIp() + ": " + e.getMessage(), e);
                }
            }
            bound.add(new PortProxy.Bound(s.hostIp(), port, s.containerPort()));
        }
        return bound;
    }

    /**
     * Starts pasta for pid 1 {@code pid} and returns once the namespace is configured (pasta's
     * foreground process exits then; the daemon stays). Returns the link whose deletion ends it.
     */
    static Path start(Path entryDir, int pid, List<PortProxy.Bound> ports, boolean ownUserNamespace) {
        Path link = entryDir.resolve(LINK);
        Path log = entryDir.resolve("pasta.log");
        try {
            Files.createSymbolicLink(link, Path.of("/proc", Integer.toString(pid), "ns", "net"));
            List<String> cmd = new ArrayList<>(List.of(binary().toString(), "--config-net", "--quiet", "--no-map-gw",
                    "-u", "none", "-T", "none", "-U", "none", "--dns-forward", DNS, "--stderr"));
            if (ports.isEmpty()) {
                cmd.addAll(List.of("-t", "none"));
            }
            for (PortProxy.Bound p : ports) {
                cmd.add("-t");
                cmd.add((p.hostIp() == null ? "" : p.hostIp() + "/") + p.hostPort() + ":" + p.containerPort());
            }
            if (ownUserNamespace) {
                cmd.addAll(List.of("--userns", "/proc/" + pid + "/ns/user"));
            }
            cmd.addAll(List.of("--netns", link.toString()));
            Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(log.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new ContainerException("pasta did not configure the network of pid " + pid + " within 30 s");
            }
            if (p.exitValue() != 0) {
                throw new ContainerException("pasta failed (exit " + p.exitValue() + "): "
                        + Files.readString(log).strip().replace('\n', ' '));
            }
            Files.deleteIfExists(log);
            return link;
        } catch (IOException e) {
            throw new UncheckedIOException("starting pasta for pid " + pid + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while pasta set up the network of pid " + pid, e);
        }
    }
}
