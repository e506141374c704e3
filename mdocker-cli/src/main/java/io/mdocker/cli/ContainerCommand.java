package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.ContainerInfo;
import io.mdocker.ContainerRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code mdocker container prune}: removes every exited detached container, as Docker's. */
@Command(name = "container", mixinStandardHelpOptions = true, description = "Manage containers.",
        subcommands = ContainerCommand.Prune.class)
final class ContainerCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected a subcommand: prune");
    }

    /**
     * {@code mdocker container prune [-f]}: removes the detached containers that have exited (as
     * {@code rm} does each), after asking on stdin unless {@code -f}; prints their ids. Running
     * containers and those of a live JVM are left alone.
     */
    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = "Remove every exited detached container (asks first unless -f).")
    static final class Prune implements Callable<Integer> {
        @Mixin
        StateRootOption state = new StateRootOption();

        @Option(names = {"-f", "--force"}, description = "Do not ask.")
        boolean force;

        @Override
        public Integer call() throws IOException {
            ContainerRuntime.requireRoot();
            if (!force) {
                System.out.print("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ");
                System.out.flush();
                String answer = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                if (answer == null || !(answer.strip().equalsIgnoreCase("y") || answer.strip().equalsIgnoreCase("yes"))) {
                    return 0;
                }
            }
            ContainerRuntime rt = state.runtime();
            List<ContainerInfo> exited = rt.list().stream().filter(c -> c.detached() && !c.running()).toList();
            int status = 0;
            boolean first = true;
            for (ContainerInfo c : exited) {
                try {
                    rt.attach(c.id()).remove(false);
                    if (first) {
                        System.out.println("Deleted Containers:");
                        first = false;
                    }
                    System.out.println(c.id());
                } catch (ContainerException e) {
                    if (rt.list().stream().anyMatch(o -> o.id().equals(c.id()))) { // else removed by another process meanwhile
                        status = ContainerVerb.report(e);
                    }
                }
            }
            return status;
        }
    }
}
