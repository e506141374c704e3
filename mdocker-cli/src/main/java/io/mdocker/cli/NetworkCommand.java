package io.mdocker.cli;

import io.mdocker.ContainerRuntime;
import io.mdocker.Network;
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
 * {@code mdocker network ls} and {@code mdocker network rm NAME...}: lists bridge networks and removes
 * user-defined ones, as Docker's. A network is made by its first container
 * ({@code run --network NAME --bip CIDR}).
 */
@Command(name = "network", mixinStandardHelpOptions = true,
        description = "Manage user-defined networks (made by their first container: run --network NAME --bip CIDR).",
        subcommands = {NetworkCommand.Ls.class, NetworkCommand.Rm.class})
final class NetworkCommand implements Runnable {
    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a network command is needed: ls or rm");
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
            Path netDir = state.runtime().runRoot().resolve("net");
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
                        n.get().bridgeAddress().orElse(""), leases(dir));
            }
            return 0;
        }

        /** The leased addresses: every file of the network's directory but its lock. */
        private static long leases(Path dir) {
            try (var files = Files.list(dir)) {
                return files.filter(f -> !f.getFileName().toString().equals("lock")).count();
            } catch (IOException e) {
                return 0; // removed meanwhile
            }
        }
    }

    /** {@code mdocker network rm NAME...}. */
    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Remove user-defined networks: bridge, NAT and forwarding rules, hosts file; refused while a "
                    + "container of any process is on one.")
    static final class Rm implements Callable<Integer> {
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
                    n.get().close();
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
