package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.ContainerInfo;
import io.mdocker.ContainerRuntime;
import io.mdocker.PortMapping;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mdocker port CONTAINER [PORT[/tcp]]}: a container's published ports, as Docker's
 * {@code port}: {@code 80/tcp -> 0.0.0.0:8080} per mapping, or with a container port only the host
 * addresses it is published on. A port that is not published, or a container that is not found,
 * is one line on stderr and status 1.
 */
@Command(name = "port", mixinStandardHelpOptions = true,
        description = "List a container's published ports (CONTAINER_PORT/tcp -> HOST_IP:HOST_PORT), or where one "
                + "container port is published.")
final class PortCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Parameters(index = "0", paramLabel = "CONTAINER", description = ContainerVerb.ID_DESCRIPTION)
    String id;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PORT[/tcp]", description = "Only this container port.")
    String port;

    @Override
    public Integer call() {
        ContainerRuntime.requireRoot();
        Integer only = port == null ? null : containerPort(port);
        ContainerInfo c;
        try {
            c = state.runtime().inspect(id);
        } catch (ContainerException | IllegalArgumentException e) {
            return ContainerVerb.report(e);
        }
        List<PortMapping> ports = c.ports().stream()
                .filter(p -> only == null || p.containerPort() == only)
                .sorted(Comparator.comparingInt(PortMapping::containerPort).thenComparing(PortMapping::hostIp)
                        .thenComparingInt(PortMapping::hostPort))
                .toList();
        if (only != null && ports.isEmpty()) {
            return ContainerVerb.report(new IllegalArgumentException("no public port '" + only + "/tcp' published for " + id));
        }
        for (PortMapping p : ports) {
            String host = p.hostIp() + ":" + p.hostPort();
            System.out.println(only != null ? host : p.containerPort() + "/tcp -> " + host);
        }
        return 0;
    }

    /** {@code 80} or {@code 80/tcp}; any other protocol or number is a one-line error (status 125). */
    private static int containerPort(String text) {
        int slash = text.indexOf('/');
        String number = slash < 0 ? text : text.substring(0, slash);
        if (slash >= 0 && !text.substring(slash + 1).equals("tcp")) {
            throw new IllegalArgumentException("invalid port '" + text + "': only tcp ports are published");
        }
        try {
            int p = Integer.parseInt(number);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("invalid port '" + text + "': expected a port number 1-65535, optionally with /tcp");
    }
}
