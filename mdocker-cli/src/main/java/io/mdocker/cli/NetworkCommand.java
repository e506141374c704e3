package io.mdocker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.ContainerRuntime;
import io.mdocker.Network;
import io.mdocker.internal.json.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code mdocker network create|ls|rm}: makes, lists and removes user-defined bridge networks, as
 * Docker's. A network is made by {@code network create} or by its first container
 * ({@code run --network NAME --bip CIDR}).
 */
@Command(name = "network", mixinStandardHelpOptions = true,
        description = "Manage user-defined networks (made by network create, or by their first container: "
                + "run --network NAME --bip CIDR).",
        subcommands = {NetworkCommand.Create.class, NetworkCommand.Ls.class, NetworkCommand.Inspect.class,
                NetworkCommand.Rm.class})
final class NetworkCommand implements Runnable {
    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a network command is needed: create, ls, inspect or rm");
    }

    /**
     * {@code mdocker network create [--subnet CIDR [--gateway IP]] NAME}: the bridge NAME, up with its
     * address, and its NAT and forwarding rules, as {@code docker network create}; without
     * {@code --subnet} on the first /24 of 10.200.2.0/24 to 10.200.255.0/24 that no host route
     * overlaps. Prints the name. A network that exists already is refused (status 1).
     */
    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a user-defined bridge network: its bridge, up with its address, and its NAT and "
                    + "forwarding rules, until network rm. Prints its name.")
    static final class Create implements Callable<Integer> {
        @Mixin
        StateRootOption state = new StateRootOption();

        @Option(names = {"-d", "--driver"}, paramLabel = "DRIVER", description = "bridge (the only one).")
        String driver = "bridge";

        @Option(names = "--subnet", paramLabel = "CIDR",
                description = "The subnet, e.g. 10.201.50.0/24 (default: the first free /24 from 10.200.2.0/24 on).")
        String subnet;

        @Option(names = "--gateway", paramLabel = "IP",
                description = "The bridge's address in the subnet (default: the subnet's first).")
        String gateway;

        @Parameters(paramLabel = "NAME", description = "The network's name: its bridge's, at most 15 bytes.")
        String name;

        @Override
        public Integer call() {
            if (!driver.equals("bridge")) {
                throw new IllegalArgumentException("invalid driver '" + driver + "': expected bridge");
            }
            if (gateway != null && subnet == null) {
                throw new IllegalArgumentException("--gateway " + gateway + " needs --subnet CIDR: the subnet it is in");
            }
            if (ContainerRuntime.rootless()) {
                throw new IllegalArgumentException("network create needs root: a rootless network lives only as long as "
                        + "the process that holds it, made by its first container (run --network " + name + " --bip CIDR)");
            }
            if (name.equals(Network.DEFAULT_BRIDGE)) {
                throw new IllegalArgumentException(name + " is the default network, which its first container makes: "
                        + "expected another name");
            }
            if (subnet != null && subnet.indexOf('/') < 0) {
                throw new IllegalArgumentException("invalid subnet '" + subnet + "': expected a network address with its "
                        + "prefix length, like 10.201.50.0/24");
            }
            Network n = subnet == null ? null : Network.bridge(name, subnet);
            if (n != null && !n.subnet().orElseThrow().equals(subnet)) {
                throw new IllegalArgumentException("invalid subnet '" + subnet + "': expected its network address, "
                        + n.subnet().orElseThrow());
            }
            if (gateway != null) {
                String prefix = subnet.substring(subnet.indexOf('/'));
                Network g = Network.bridge(name, gateway + prefix);
                if (!g.subnet().equals(n.subnet())) {
                    throw new IllegalArgumentException("gateway " + gateway + " is outside the subnet " + n.subnet().orElseThrow()
                            + ": expected an address in it");
                }
                n = g;
            }
            Optional<Network> existing = Network.existingBridge(name);
            if (existing.isPresent()) {
                System.err.println("mdocker: " + Main.oneLine("network " + name + " exists already"
                        + existing.get().subnet().map(s -> " (" + s + ")").orElse("")));
                return 1;
            }
            (n == null ? Network.bridge(name) : n).create(state.runtime());
            System.out.println(name);
            return 0;
        }
    }

    /**
     * {@code mdocker network ls [-q]}: the bridge networks of the state root (those its containers
     * have leased addresses on) whose bridge exists now, with their subnet, the bridge's address and
     * the addresses leased on each. A lease outlives its container by the moment its veth takes to go.
     */
    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true,
            description = "List the bridge networks on this state root whose bridge exists: the default one (mdocker0) "
                    + "once a container used it, and the user-defined ones.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        StateRootOption state = new StateRootOption();

        @Option(names = {"-q", "--quiet"}, description = "Print only the names.")
        boolean quiet;

        @Override
        public Integer call() {
            ContainerRuntime.requireRoot();
            Path runRoot = state.runtime().runRoot();
            Path netDir = runRoot.resolve("net");
            List<Path> dirs = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(netDir, Files::isDirectory)) {
                ds.forEach(dirs::add);
            } catch (NoSuchFileException e) {
                // no network used yet on this state root
            } catch (IOException e) {
                System.err.println("mdocker: " + Main.oneLine("listing " + netDir + ": " + e.getMessage()));
                return Main.RUNTIME_ERROR;
            }
            dirs.sort(null);
            if (!quiet) {
                System.out.printf("%-16s %-18s %-18s %s%n", "NAME", "SUBNET", "GATEWAY", "LEASES");
            }
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                Optional<Network> n;
                try {
                    n = Network.existingBridge(name);
                } catch (IllegalArgumentException e) { // not a bridge (any more): not a network of ours
                    continue;
                }
                if (n.isEmpty()) {
                    continue; // its bridge is gone: what is left there is another command's to clean
                }
                if (quiet) {
                    System.out.println(name);
                    continue;
                }
                System.out.printf("%-16s %-18s %-18s %d%n", name, n.get().subnet().orElse(""),
                        n.get().bridgeAddress().orElse(""), io.mdocker.internal.net.ContainerNetwork.leases(runRoot,
                                name).size());
            }
            return 0;
        }
    }

    /**
     * {@code mdocker network inspect NAME...}: a JSON array shaped like Docker's {@code network inspect}
     * (Name, Driver, IPAM's subnet and gateway, the bridge's name, and the containers of this state
     * root that hold an address on it, with their names and addresses). A name that is no bridge
     * network is one line on stderr; the others are still printed, and the status is 1.
     */
    @Command(name = "inspect", mixinStandardHelpOptions = true,
            description = "Show bridge networks as a JSON array, as Docker's network inspect: subnet, gateway and the "
                    + "containers on each with their addresses.")
    static final class Inspect implements Callable<Integer> {
        @Mixin
        StateRootOption state = new StateRootOption();

        @Parameters(arity = "1..*", paramLabel = "NAME", description = "The networks (their bridges' names).")
        List<String> names = new ArrayList<>();

        @Override
        public Integer call() {
            ContainerRuntime.requireRoot();
            ContainerRuntime rt = state.runtime();
            ArrayNode out = Json.NODES.arrayNode();
            int status = 0;
            for (String name : names) {
                Optional<Network> n;
                try {
                    n = Network.existingBridge(name);
                } catch (IllegalArgumentException e) {
                    status = ContainerVerb.report(e);
                    continue;
                }
                if (n.isEmpty()) {
                    status = ContainerVerb.report(new IllegalArgumentException("network " + name + " not found"));
                    continue;
                }
                out.add(json(rt, name, n.get()));
            }
            System.out.println(Json.pretty(out));
            return status;
        }

        private static ObjectNode json(ContainerRuntime rt, String name, Network n) {
            ObjectNode o = Json.NODES.objectNode();
            o.put("Name", name);
            o.put("Scope", "local");
            o.put("Driver", "bridge");
            ObjectNode config = o.putObject("IPAM").put("Driver", "default").putArray("Config").addObject();
            String gateway = n.bridgeAddress().orElseThrow();
            config.put("Subnet", n.subnet().orElseThrow());
            config.put("Gateway", gateway.substring(0, gateway.indexOf('/')));
            o.put("Internal", false);
            ObjectNode containers = o.putObject("Containers");
            String prefix = gateway.substring(gateway.indexOf('/'));
            // the leases of this state root (none yet, or the network's leases are another root's: none)
            for (var lease : io.mdocker.internal.net.ContainerNetwork.leases(rt.runRoot(), name).entrySet()) {
                String id = lease.getValue();
                try {
                    io.mdocker.ContainerInfo c = rt.inspect(id);
                    if (!c.running()) {
                        continue; // ended: its lease goes with its veth
                    }
                    ObjectNode e = containers.putObject(c.id());
                    e.put("Name", c.name().orElse(""));
                    e.put("IPv4Address", lease.getKey() + prefix);
                } catch (RuntimeException gone) {
                    // a lease outlives its container until the veth is gone: not a member any more
                }
            }
            o.putObject("Options").put("com.docker.network.bridge.name", name);
            o.putObject("Labels");
            return o;
        }
    }

    /** {@code mdocker network rm NAME...}. */
    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Remove user-defined networks: bridge, NAT and forwarding rules, hosts file; refused while a "
                    + "container of any process is on one.")
    static final class Rm implements Callable<Integer> {
        @Mixin
        StateRootOption state = new StateRootOption();

        @Parameters(arity = "1..*", paramLabel = "NAME", description = "The networks (their bridges' names).")
        List<String> names = new ArrayList<>();

        @Override
        public Integer call() {
            int status = 0;
            for (String name : names) {
                Optional<Network> n = Network.existingBridge(name);
                if (n.isEmpty()) {
                    System.err.println("mdocker: " + Main.oneLine("network " + name + " not found"));
                    status = 1;
                    continue;
                }
                if (!n.get().isUserDefined()) {
                    System.err.println("mdocker: " + Main.oneLine(name + " is the default network, which stays"));
                    status = 1;
                    continue;
                }
                try {
                    n.get().close(state.runtime());
                    System.out.println(name);
                } catch (IllegalStateException e) {
                    System.err.println("mdocker: " + Main.oneLine(e));
                    status = 1;
                }
            }
            return status;
        }
    }
}
