package io.mdocker;

import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.net.Ipv4;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a container is networked, as Docker's {@code --network}:
 *
 * <ul>
 *   <li>{@link #none()} (the library's default): a network namespace of its own with only the
 *       loopback interface, up. A sandbox starts closed.
 *   <li>{@link #host()}: no network namespace; the container shares the host's interfaces.
 *   <li>{@link #bridge()} (the CLI's default): a veth pair per container, the host end on a
 *       bridge ({@code mdocker0}, {@code 10.200.1.1/24}, created when first needed), the other
 *       end {@code eth0} in the container with an address leased from the subnet and a default
 *       route via the bridge; outbound traffic is masqueraded. {@link #bridge(String, String)}
 *       names another bridge and subnet, {@link #withAddress(String)} asks for a fixed address.
 *   <li>{@link #veth(String, String)}: one veth pair, no bridge: the host end holds one address,
 *       the container's {@code eth0} the other.
 * </ul>
 *
 * <p><b>User-defined networks.</b> A bridge other than the default one ({@link #isUserDefined()})
 * is a network of its own, as Docker's {@code docker network create}: its containers find each
 * other by container name, hostname and {@linkplain Container.Builder#networkAlias aliases}, through
 * one hosts file the network's members share as their {@code /etc/hosts}, kept up to date as
 * containers of any process on the same run root join and leave. Containers on another network
 * (the default bridge included) do not see those names. A network is made by its first container,
 * or ahead of them by {@link #create()}; {@link #bridge(String)} picks a free subnet for a new one.
 * {@link #close()} removes such a network (its bridge, NAT and forwarding rules, hosts file) once no
 * container uses it:
 *
 * <pre>{@code
 * try (Network app = Network.bridge("app", "10.201.50.1/24");
 *      RunningContainer db = Container.builder().rootfs(rootfs).network(app).name("db")
 *              .networkAlias("database").start("httpd", "-f");
 *      RunningContainer web = Container.builder().rootfs(rootfs).network(app).start(...)) {
 *     // web reaches db as "db" and as "database"
 * }   // the containers close first, then the network
 * }</pre>
 *
 * <p><b>Rootless.</b> A JVM that is not root runs a user-defined network's bridge in a network
 * namespace of its own, held by a small mdocker-init process whose user namespace the network's
 * containers share (as Podman's rootless network namespace); outbound traffic leaves through
 * pasta. The network lives until {@link #close()} or the JVM's end; detached containers cannot
 * join it, and the default bridge and veth networks stay root's (see docs/rootless.md).
 *
 * Immutable; every value is checked when the network is made.
 */
public final class Network implements AutoCloseable {
    /** The networking modes. */
    public enum Mode { NONE, HOST, BRIDGE, VETH, PASTA, CONTAINER }

    /** The default bridge, as Docker's docker0. */
    public static final String DEFAULT_BRIDGE = "mdocker0";
    /** The default bridge's address and subnet. */
    public static final String DEFAULT_BRIDGE_ADDRESS = "10.200.1.1/24";

    private static final int IFNAMSIZ = 16;
    private static final Network NONE = new Network(Mode.NONE, null, null, 0, null, null);
    private static final Network HOST = new Network(Mode.HOST, null, null, 0, null, null);
    private static final Network PASTA = new Network(Mode.PASTA, null, null, 0, null, null);
    private static final Network BRIDGE = bridge(DEFAULT_BRIDGE, DEFAULT_BRIDGE_ADDRESS);

    private final Mode mode;
    private final String bridge;     // bridge: the bridge's name; container: the container's name or id
    private final Ipv4 gateway;      // bridge: the bridge's address with the subnet's prefix
    private final int address;       // bridge: the fixed container address, or 0 for a leased one
    private final Ipv4 hostAddress;  // veth
    private final Ipv4 containerAddress;

    private Network(Mode mode, String bridge, Ipv4 gateway, int address, Ipv4 hostAddress, Ipv4 containerAddress) {
        this.mode = mode;
        this.bridge = bridge;
        this.gateway = gateway;
        this.address = address;
        this.hostAddress = hostAddress;
        this.containerAddress = containerAddress;
    }

    /** Only loopback, in a namespace of the container's own. */
    public static Network none() {
        return NONE;
    }

    /** The host's network: no network namespace. */
    public static Network host() {
        return HOST;
    }

    /**
     * Docker's {@code --network container:NAME}: the network namespace of the running container
     * {@code nameOrId} (of any process on the same state roots), shared. The container sees that
     * container's interfaces, addresses and loopback, and its {@code /etc/hosts} and
     * {@code /etc/resolv.conf}; without a hostname of its own it takes that container's. It has
     * no address or ports of its own: published ports, aliases, extra hosts and DNS settings are
     * refused with it, as in Docker. As root, without a user namespace; the container named
     * must run when this one starts.
     *
     * @throws IllegalArgumentException when {@code nameOrId} is neither a container name nor hexadecimal digits
     */
    public static Network container(String nameOrId) {
        Objects.requireNonNull(nameOrId, "container");
        if (!nameOrId.matches("[0-9a-f]{1,64}") && !io.mdocker.internal.state.StateStore.validName(nameOrId)) {
            throw new IllegalArgumentException("invalid network container:" + nameOrId + ": expected a container's name or id");
        }
        return new Network(Mode.CONTAINER, nameOrId, null, 0, null, null);
    }

    /** The container whose network namespace this network shares ({@link #container}); empty for the other modes. */
    public Optional<String> container() {
        return mode == Mode.CONTAINER ? Optional.of(bridge) : Optional.empty();
    }

    /**
     * A user-mode network through {@code pasta} (Debian's passt), which needs no root: the
     * container's own namespace gets an address and outbound TCP/UDP through the host's sockets,
     * and published TCP ports are forwarded from the host (read them with {@code mappedPort});
     * the host's loopback is not reachable from inside. The network for rootless containers that
     * need one (see docs/rootless.md).
     */
    public static Network pasta() {
        return PASTA;
    }

    /** The default bridge {@code mdocker0} on {@code 10.200.1.0/24}. */
    public static Network bridge() {
        return BRIDGE;
    }

    /**
     * A bridge called {@code name} (at most 15 bytes, as the kernel allows) with the address and
     * subnet {@code bridgeAddress}, e.g. {@code "10.201.0.1/24"}; a subnet address such as
     * {@code "10.201.0.0/24"} gives the bridge the first address.
     */
    public static Network bridge(String name, String bridgeAddress) {
        checkInterfaceName(name, "bridge name");
        Objects.requireNonNull(bridgeAddress, "bridgeAddress");
        if (bridgeAddress.indexOf('/') < 0) {
            throw new IllegalArgumentException("invalid bridge address '" + bridgeAddress
                    + "': expected an address with its subnet's prefix length, like 10.200.1.1/24");
        }
        Ipv4 g = Ipv4.parse(bridgeAddress, 32, "bridge address");
        if (g.prefix() < 8 || g.prefix() > 30) {
            throw new IllegalArgumentException("invalid bridge address '" + bridgeAddress
                    + "': expected a prefix length of 8 to 30 (a subnet with room for the bridge and containers)");
        }
        checkUsable(g.address(), bridgeAddress, "bridge address");
        if (g.isNetworkAddress()) {
            g = new Ipv4(g.address() + 1, g.prefix());
        } else if (g.address() == g.broadcast()) {
            throw new IllegalArgumentException("invalid bridge address '" + bridgeAddress
                    + "': that is the subnet's broadcast address");
        }
        return new Network(Mode.BRIDGE, name, g, 0, null, null);
    }

    /**
     * A veth pair without a bridge: the host end gets {@code hostAddress}, the container's
     * {@code eth0} gets {@code containerAddress} and a default route via the host end. Plain
     * addresses ({@code "10.200.1.1", "10.200.1.2"}) make a point-to-point link; addresses with a
     * prefix ({@code "10.200.1.1/24", "10.200.1.2/24"}) must be in the same subnet.
     */
    public static Network veth(String hostAddress, String containerAddress) {
        Objects.requireNonNull(hostAddress, "hostAddress");
        Objects.requireNonNull(containerAddress, "containerAddress");
        Ipv4 h = Ipv4.parse(hostAddress, 32, "veth host address");
        Ipv4 c = Ipv4.parse(containerAddress, 32, "veth container address");
        checkUsable(h.address(), hostAddress, "veth host address");
        checkUsable(c.address(), containerAddress, "veth container address");
        boolean hp = hostAddress.indexOf('/') >= 0;
        boolean cp = containerAddress.indexOf('/') >= 0;
        if (hp != cp || h.prefix() != c.prefix()) {
            throw new IllegalArgumentException("invalid veth addresses '" + hostAddress + "' and '" + containerAddress
                    + "': expected both without a prefix (point-to-point) or both with the same prefix length");
        }
        if (h.address() == c.address()) {
            throw new IllegalArgumentException("invalid veth addresses: host and container both have " + h.addressText());
        }
        if (hp) {
            if (h.prefix() > 30) {
                throw new IllegalArgumentException("invalid veth host address '" + hostAddress
                        + "': expected a prefix length of at most 30, or none for point-to-point");
            }
            if (!h.contains(c.address())) {
                throw new IllegalArgumentException("veth container address " + c.addressText()
                        + " is outside the host address's subnet " + h.network() + ": expected an address in it");
            }
            for (Ipv4 a : new Ipv4[] {h, c}) {
                if (a.isNetworkAddress() || a.address() == a.broadcast()) {
                    throw new IllegalArgumentException("invalid veth address " + a + ": that is the subnet's "
                            + (a.isNetworkAddress() ? "network" : "broadcast") + " address");
                }
            }
        }
        return new Network(Mode.VETH, null, null, 0, h, c);
    }

    /**
     * The user-defined bridge network whose bridge {@code name} exists now, with the address the
     * bridge holds (as another process made it with {@link #bridge(String, String)}); empty when
     * there is no such bridge, or it holds no address.
     *
     * @throws IllegalArgumentException when {@code name} is not an interface name, or names an
     *                                  interface that is not a bridge
     */
    public static Optional<Network> existingBridge(String name) {
        checkInterfaceName(name, "bridge name");
        return ContainerNetwork.bridgeAddress(name).map(a -> bridge(name, a.toString()));
    }

    /**
     * The bridge network {@code name} with the address it has (its bridge's; rootless, that of the
     * network this JVM holds open under the name), else on a free subnet: the first of
     * 10.200.2.0/24 to 10.200.255.0/24 that no host route overlaps, the bridge taking its first
     * address, as {@code docker network create NAME} takes one from its pools. The subnet is chosen
     * when this is called: {@link #create()} the network at once to keep it.
     *
     * @throws IllegalArgumentException when {@code name} is not an interface name, or names an
     *                                  interface that is not a bridge
     * @throws IllegalStateException    when no subnet of that range is free
     */
    public static Network bridge(String name) {
        checkInterfaceName(name, "bridge name");
        if (name.equals(DEFAULT_BRIDGE)) {
            return BRIDGE;
        }
        Ipv4 address = ContainerNetwork.networkAddress(name).orElseGet(ContainerNetwork::freeBridgeAddress);
        return bridge(name, address.toString());
    }

    /**
     * Makes this bridge network now, ahead of its containers, as {@code docker network create}
     * does, and returns it: as root its bridge with its address, up, and its NAT and forwarding
     * rules, which stay until {@link #close()} (the default bridge's stay, as Docker's
     * {@code docker0}); rootless the network's holder, open in this JVM until {@link #close()} or
     * the JVM's end. A bridge that holds this network's address already is left as it is. Its
     * leases are kept under the {@linkplain ContainerRuntime#defaults() default runtime}'s run root
     * ({@link #create(ContainerRuntime)} names another); containers of every runtime share them.
     *
     * @throws IllegalArgumentException when this is not a bridge network, or does not fit the host
     *                                  (its subnet overlaps a host route, its name is another kind of
     *                                  interface, its bridge holds another address): nothing is made
     * @throws IllegalStateException    when the host cannot make it (iptables missing, a netlink or
     *                                  iptables error)
     */
    public Network create() {
        return create(ContainerRuntime.defaults());
    }

    /**
     * As {@link #create()}, with the network's leases under {@code runtime}'s run root, where
     * {@code mdocker network ls} of that state root lists it.
     *
     * @throws IllegalArgumentException as {@link #create()}
     * @throws IllegalStateException    as {@link #create()}
     */
    public Network create(ContainerRuntime runtime) {
        Objects.requireNonNull(runtime, "runtime");
        if (mode != Mode.BRIDGE) {
            throw new IllegalArgumentException("network " + this + " is not a bridge network: only those are made ahead "
                    + "(Network.bridge(NAME) or Network.bridge(NAME, CIDR))");
        }
        ContainerNetwork.makeNetwork(new ContainerNetwork.Plan(ContainerNetwork.Kind.BRIDGE, bridge, gateway, 0, null, null,
                List.of(), isUserDefined(), List.of(), List.of(), ContainerNetwork.Dns.NONE), runtime.runRoot(),
                runtime.libRoot());
        return this;
    }

    /** The CLI's {@code --network}: {@code none}, {@code host}, {@code bridge}, {@code pasta} or {@code container:NAME}. */
    public static Network parse(String mode) {
        if (Objects.requireNonNull(mode, "network").startsWith("container:")) {
            return container(mode.substring("container:".length()));
        }
        return switch (mode) {
            case "none" -> none();
            case "host" -> host();
            case "bridge" -> bridge();
            case "pasta" -> pasta();
            default -> throw new IllegalArgumentException("invalid network '" + mode
                    + "': expected none, host, bridge, pasta or container:NAME");
        };
    }

    /** This bridge network with the container's address fixed (it must be free when the container starts). */
    public Network withAddress(String containerAddress) {
        if (mode != Mode.BRIDGE) {
            throw new IllegalArgumentException("a fixed address needs a bridge network, not " + this);
        }
        Objects.requireNonNull(containerAddress, "containerAddress");
        int a = Ipv4.parseAddress(containerAddress, containerAddress, "container address");
        Ipv4 subnet = gateway.network();
        if (!subnet.contains(a)) {
            throw new IllegalArgumentException("container address " + containerAddress + " is outside the subnet "
                    + subnet + " of bridge " + bridge + ": expected an address in it");
        }
        if (a == gateway.address() || a == subnet.address() || a == gateway.broadcast()) {
            throw new IllegalArgumentException("container address " + containerAddress + " is the "
                    + (a == gateway.address() ? "bridge's own" : a == subnet.address() ? "subnet's network" : "subnet's broadcast")
                    + " address: expected a host address of " + subnet);
        }
        return new Network(mode, bridge, gateway, a, null, null);
    }

    private static void checkInterfaceName(String name, String what) {
        Objects.requireNonNull(name, what);
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes >= IFNAMSIZ) {
            throw new IllegalArgumentException("invalid " + what + " '" + name + "': expected 1 to " + (IFNAMSIZ - 1)
                    + " bytes, the kernel's limit for interface names (IFNAMSIZ " + IFNAMSIZ + ")");
        }
        if (name.equals(".") || name.equals("..") || !name.chars().allMatch(ch -> ch > ' ' && ch < 127
                && ch != '/' && ch != ':' && ch != '%')) {
            throw new IllegalArgumentException("invalid " + what + " '" + name
                    + "': expected printable ASCII without whitespace, '/', ':' or '%'");
        }
    }

    private static void checkUsable(int a, String text, String what) {
        int first = a >>> 24;
        if (first == 0 || first == 127 || first >= 224 || (a >>> 16) == (169 << 8 | 254)) {
            throw new IllegalArgumentException("invalid " + what + " '" + text
                    + "': expected a unicast address outside 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16 and 224.0.0.0/3");
        }
    }

    /** The networking mode. */
    public Mode mode() {
        return mode;
    }

    /** The bridge's name (bridge mode), else empty. */
    public Optional<String> bridgeName() {
        return Optional.ofNullable(bridge);
    }

    /** The bridge's address with its prefix, {@code 10.200.1.1/24} (bridge mode), else empty. */
    public Optional<String> bridgeAddress() {
        return Optional.ofNullable(gateway).map(Ipv4::toString);
    }

    /** The subnet, {@code 10.200.1.0/24} (bridge mode), else empty. */
    public Optional<String> subnet() {
        return Optional.ofNullable(gateway).map(g -> g.network().toString());
    }

    /** The fixed container address (bridge mode with {@link #withAddress}), else empty. */
    public Optional<String> fixedAddress() {
        return address == 0 ? Optional.empty() : Optional.of(Ipv4.format(address));
    }

    /** The host end's address (veth mode), else empty. */
    public Optional<String> hostAddress() {
        return Optional.ofNullable(hostAddress).map(Ipv4::addressText);
    }

    /** The container's address (veth mode), else empty. */
    public Optional<String> containerAddress() {
        return Optional.ofNullable(containerAddress).map(Ipv4::addressText);
    }

    /** The bridge's name, or null (for the engine's plan). */
    String bridgeNameOrNull() {
        return mode == Mode.BRIDGE ? bridge : null;
    }

    Ipv4 gatewayIpv4() {
        return gateway;
    }

    int fixedAddressValue() {
        return address;
    }

    Ipv4 hostIpv4() {
        return hostAddress;
    }

    Ipv4 containerIpv4() {
        return containerAddress;
    }

    /**
     * Whether this is a user-defined network: a bridge other than the default {@value #DEFAULT_BRIDGE},
     * whose containers find each other by name and which {@link #close()} removes.
     */
    public boolean isUserDefined() {
        return mode == Mode.BRIDGE && !bridge.equals(DEFAULT_BRIDGE);
    }

    /**
     * Removes a user-defined network: its bridge (when mdocker made it; a bridge made by other means
     * is left as it is), its NAT and forwarding rules (those tagged {@code mdocker NAME}) and its
     * hosts file and leases; a network that does not exist (never used, or removed) is left alone.
     * Refuses while a container of this or another process is on it, with one line naming them
     * (as {@code docker network rm}): nothing is removed then, and a later close may succeed. It
     * first waits, at most 10 s, for the veth pairs of this JVM's closed containers to go. A no-op
     * for {@link #none()}, {@link #host()}, veth networks and the default bridge, which stays (as
     * Docker's {@code docker0}). The value stays usable: a container started on it later makes the
     * network again.
     *
     * @throws IllegalStateException while containers use the network (their names in the message),
     *                               or when the bridge holds another address than this network's
     */
    @Override
    public void close() {
        close(ContainerRuntime.defaults());
    }

    /**
     * {@link #close()}, for a network whose leases are on {@code runtime}'s run root when its bridge
     * does not name them (a bridge mdocker made names its own, wherever they are).
     *
     * @throws IllegalStateException as {@link #close()}
     */
    public void close(ContainerRuntime runtime) {
        Objects.requireNonNull(runtime, "runtime");
        if (isUserDefined()) {
            ContainerNetwork.removeNetwork(bridge, gateway, runtime.runRoot());
        }
    }

    /** Whether the container gets an address of its own (bridge, veth) and can publish ports. */
    public boolean hasAddress() {
        return mode == Mode.BRIDGE || mode == Mode.VETH;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Network n && mode == n.mode && Objects.equals(bridge, n.bridge)
                && Objects.equals(gateway, n.gateway) && address == n.address
                && Objects.equals(hostAddress, n.hostAddress) && Objects.equals(containerAddress, n.containerAddress);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, bridge, gateway, address, hostAddress, containerAddress);
    }

    @Override
    public String toString() {
        return switch (mode) {
            case NONE -> "none";
            case HOST -> "host";
            case PASTA -> "pasta";
            case BRIDGE -> "bridge " + bridge + " " + gateway + (address == 0 ? "" : " address " + Ipv4.format(address));
            case VETH -> "veth " + hostAddress + " <-> " + containerAddress;
            case CONTAINER -> "container:" + bridge;
        };
    }
}
