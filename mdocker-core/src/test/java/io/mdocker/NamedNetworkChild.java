package io.mdocker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM by {@link NamedNetworkTest}: starts one detached container called NAME with
 * the network alias ALIAS on the bridge network BRIDGE,ADDRESS/PREFIX, serving
 * {@link io.mdocker.testing.NetFixtures#HTTPD}, prints "started ID" and exits (the container
 * outlives it). Arguments: ROOTFS LIB RUN BRIDGE,ADDRESS NAME ALIAS.
 */
public final class NamedNetworkChild {
    private NamedNetworkChild() {}

    /** The command line of such a child JVM. */
    static List<String> command(Path rootfs, ContainerRuntime rt, String bridge, String address, String name, String alias) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                NamedNetworkChild.class.getName(), rootfs.toString(), rt.libRoot().toString(), rt.runRoot().toString(),
                bridge + "," + address, name, alias));
    }

    public static void main(String[] args) {
        ContainerRuntime rt = ContainerRuntime.at(Path.of(args[1]), Path.of(args[2]));
        String[] net = args[3].split(",");
        DetachedContainer d = Container.builder().rootfs(Path.of(args[0])).runtime(rt)
                .network(Network.bridge(net[0], net[1])).name(args[4]).networkAlias(args[5])
                .startDetached(io.mdocker.testing.NetFixtures.HTTPD);
        System.out.println("started " + d.id());
        System.out.flush();
        System.exit(0);
    }
}
