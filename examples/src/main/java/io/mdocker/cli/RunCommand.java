package io.mdocker.cli;

import io.mdocker.BindMount;
import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.ContainerException;
import io.mdocker.ContainerRuntime;
import io.mdocker.ExecFailedException;
import io.mdocker.Network;
import io.mdocker.PortMapping;
import io.mdocker.RunningContainer;
import io.mdocker.Signal;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code mdocker run}: one container in the foreground, its stdio on this terminal. */
@Command(name = "run", sortOptions = false,
        description = "Run a command in a new container.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--help", usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--rootfs", paramLabel = "DIR", defaultValue = "rootfs",
            description = "Root filesystem directory (default: ./rootfs; assembled from the host's busybox-static when missing).")
    Path rootfs;

    @Option(names = {"-h", "--hostname"}, paramLabel = "NAME", description = "Container hostname (default: its short id).")
    String hostname;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable.")
    List<String> env = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory inside the container.")
    String workdir;

    @Option(names = {"-v", "--volume"}, paramLabel = "HOST:CTR[:ro]", description = "Bind-mount a host path.")
    List<String> volumes = new ArrayList<>();

    @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]", description = "Numeric user and group to run as.")
    String user;

    @Option(names = "--no-init", description = "Run the command as pid 1 instead of under mdocker-init.")
    boolean noInit;

    @Option(names = "--network", paramLabel = "MODE", defaultValue = "bridge",
            description = "none (loopback only), host (the host's network) or bridge (default: a veth on the bridge, NAT outbound).")
    String network;

    @Option(names = {"-p", "--publish"}, paramLabel = "[IP:][HOSTPORT:]PORT",
            description = "Publish a container TCP port on the host (bridge): 8080:80, 127.0.0.1:0:80 (0: a free port, printed).")
    List<String> publish = new ArrayList<>();

    @Option(names = "--bridge", paramLabel = "NAME",
            description = "The bridge to attach to, created when missing (default: " + Network.DEFAULT_BRIDGE + ").")
    String bridge;

    @Option(names = "--bip", paramLabel = "CIDR",
            description = "The bridge's address and subnet (default: " + Network.DEFAULT_BRIDGE_ADDRESS + ").")
    String bridgeAddress;

    @Option(names = "--ip", paramLabel = "ADDRESS", description = "A fixed container address in the bridge's subnet.")
    String ip;

    @Option(names = "--state-root", paramLabel = "DIR",
            description = "Use DIR/lib and DIR/run instead of /var/lib/mdocker and /run/mdocker.")
    Path stateRoot;

    @Parameters(index = "0..*", arity = "1..*", paramLabel = "CMD", description = "Command and arguments.")
    List<String> command = new ArrayList<>();

    RunCommand() {}

    static ContainerRuntime runtime(Path stateRoot) {
        return stateRoot == null ? ContainerRuntime.defaults()
                : ContainerRuntime.at(stateRoot.resolve("lib"), stateRoot.resolve("run"));
    }

    @Override
    public Integer call() {
        // Every value is checked before anything is created.
        Container.Builder b = Container.builder().inheritIO().runtime(runtime(stateRoot)).init(!noInit);
        if (hostname != null) {
            b.hostname(hostname);
        }
        for (String e : env) {
            b.env(e);
        }
        if (workdir != null) {
            b.workdir(workdir);
        }
        for (String v : volumes) {
            b.bind(BindMount.parse(v));
        }
        if (user != null) {
            b.user(user);
        }
        b.network(network());
        for (String p : publish) {
            b.publish(PortMapping.parse(p));
        }
        b.command(command.toArray(String[]::new));
        ContainerRuntime.requireRoot();
        if (!Files.exists(rootfs) && rootfs.equals(Path.of("rootfs"))) {
            if (BusyboxRootfs.ensure(rootfs)) {
                System.err.println("mdocker: ./rootfs was missing; assembled a busybox rootfs there from "
                        + BusyboxRootfs.findStaticBusybox().orElseThrow());
            }
        }
        b.rootfs(rootfs);
        Container spec = b.build();

        try (RunningContainer c = spec.start()) {
            List<PortMapping> bound = c.ports(); // in the order asked for
            for (int i = 0; i < bound.size(); i++) {
                if (spec.ports().get(i).hostPort() == 0) { // a free port: the user cannot know it otherwise
                    System.err.println("mdocker: published " + bound.get(i));
                }
            }
            forwardSignals(c);
            return c.waitFor();
        } catch (ExecFailedException e) {
            System.err.println("mdocker: " + Main.oneLine(e));
            return e.exitCode();
        } catch (ContainerException e) {
            System.err.println("mdocker: " + Main.oneLine(e));
            return Main.RUNTIME_ERROR;
        }
    }

    private Network network() {
        Network n = Network.parse(network);
        if (n.mode() != Network.Mode.BRIDGE) {
            if (bridge != null || bridgeAddress != null || ip != null) {
                throw new IllegalArgumentException("--bridge, --bip and --ip need --network bridge, not " + network);
            }
            return n;
        }
        if (bridge != null || bridgeAddress != null) {
            n = Network.bridge(bridge != null ? bridge : Network.DEFAULT_BRIDGE,
                    bridgeAddress != null ? bridgeAddress : Network.DEFAULT_BRIDGE_ADDRESS);
        }
        return ip == null ? n : n.withAddress(ip);
    }

    /**
     * Like Docker's sig-proxy: INT, TERM and HUP sent to this process (a terminal's Ctrl-C
     * included: the container runs in a session of its own) go to the container instead of
     * ending the JVM; the container's exit then ends the CLI.
     */
    private static void forwardSignals(RunningContainer c) {
        for (Signal s : List.of(Signal.INT, Signal.TERM, Signal.HUP)) {
            sun.misc.Signal.handle(new sun.misc.Signal(s.name()), sig -> c.kill(s));
        }
    }
}
