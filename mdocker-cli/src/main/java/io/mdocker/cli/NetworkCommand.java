package io.mdocker.cli;

import io.mdocker.Network;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code mdocker network rm NAME...}: removes user-defined networks, as Docker's. A network is
 * made by its first container ({@code run --network NAME --bip CIDR}).
 */
@Command(name = "network", mixinStandardHelpOptions = true,
        description = "Manage user-defined networks (made by their first container: run --network NAME --bip CIDR).",
        subcommands = NetworkCommand.Rm.class)
final class NetworkCommand implements Runnable {
    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a network command is needed: rm");
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
