package io.mdocker.internal.net;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.HostResource;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.RandomBytes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One container's network: what its mode needs on the host, made in three steps around the
 * start sequence and removed by {@link #close()}.
 *
 * <ol>
 *   <li>{@link #prepare} — before anything exists: checks the plan against the host (the bridge,
 *       if it exists, is a bridge with the planned address; a new subnet overlaps no host route;
 *       iptables is there) and binds the published ports. Failures are IllegalArgumentExceptions.
 *   <li>{@link #create} — once the container has its state entry: the bridge when first needed,
 *       forwarding and NAT rules (once), the address lease, the record recovery reads
 *       ({@code <entry>/network}), and {@code /etc/hosts}, {@code /etc/hostname} and
 *       {@code /etc/resolv.conf} for read-only binds.
 *   <li>{@link #attach} — between sync 2 (CONFIG) and sync 3 (GO): the veth pair, its container end
 *       created directly in the container's namespace as {@code eth0}; there, over a netlink
 *       socket opened in that namespace ({@link NetnsSockets}), {@code eth0} up, the address and
 *       the default route; then the port proxy starts. {@code lo} is brought up by pid 1 itself
 *       in every network namespace of its own (network none included: nothing to do here).
 * </ol>
 *
 * {@code close()} stops the proxy and deletes the files; the veth pair goes with the container's
 * namespace and the lease comes back once it has gone ({@link LinkReaper}). The bridge and the
 * NAT rules stay, as Docker's do, until a user-defined network is removed ({@link #removeNetwork}).
 * After a killed JVM, {@link #removeLeftovers} deletes the pair and gives the lease back, from the
 * record.
 *
 * <p>Rootless, a user-defined bridge is a network holder's ({@link RootlessBridges}): {@link #prepare}
 * opens it, {@link #attach} makes the veth pair and configures {@code eth0} over netlink sockets
 * the holder opens, published ports are the monitor's, and {@link #close()} deletes the pair itself
 * (the link reaper watches the host's namespace only) and gives the lease back.
 *
 * <p>On a user-defined bridge (any but the default) the container's {@code /etc/hosts} is the
 * network's one shared {@link HostsFile}, made from the leases, which carry each member's names:
 * the names are added with the lease, taken off at {@code close()} and gone with the lease when
 * recovery or the release of an exited detached container gives it back.
 */
public final class ContainerNetwork implements HostResource {
    /** The modes, as the public Network has them. */
    public enum Kind { NONE, HOST, BRIDGE, VETH, PASTA, CONTAINER }

    /**
     * What to make: for BRIDGE the bridge name, its address with the subnet's prefix and an
     * optional fixed container address (0: leased); for VETH the two ends' addresses (prefix 32
     * for a point-to-point pair). On a user-defined bridge ({@code userDefined}: not the default
     * one) the members share one hosts file ({@link HostsFile}) and find each other by name,
     * hostname and {@code aliases}. {@code extraHosts} go into the container's /etc/hosts after
     * the localhost lines (Docker's {@code --add-host}); {@code dns} changes its /etc/resolv.conf.
     * For CONTAINER, {@code joined} is the container whose network namespace pid 1 enters.
     */
    public record Plan(Kind kind, String bridge, Ipv4 gateway, int fixedAddress, Ipv4 hostAddress,
                       Ipv4 containerAddress, List<PortProxy.Spec> ports, boolean userDefined, List<String> aliases,
                       List<HostsEntry> extraHosts, Dns dns, Joined joined) {
        public Plan {
            ports = List.copyOf(ports);
            aliases = List.copyOf(aliases);
            extraHosts = List.copyOf(extraHosts);
            java.util.Objects.requireNonNull(dns, "dns");
            if ((kind == Kind.CONTAINER) != (joined != null)) {
                throw new IllegalArgumentException("a container's network is joined exactly in mode CONTAINER: " + kind);
            }
        }

        /** Plans of the other modes: nothing joined. */
        public Plan(Kind kind, String bridge, Ipv4 gateway, int fixedAddress, Ipv4 hostAddress, Ipv4 containerAddress,
                    List<PortProxy.Spec> ports, boolean userDefined, List<String> aliases, List<HostsEntry> extraHosts,
                    Dns dns) {
            this(kind, bridge, gateway, fixedAddress, hostAddress, containerAddress, ports, userDefined, aliases, extraHosts,
                    dns, null);
        }
    }

    /**
     * The running container whose network namespace another one shares (Docker's
     * {@code --network container:NAME}).
     *
     * @param pid   the host pid of its pid 1, whose {@code /proc/PID/ns/net} is entered
     * @param entry its state entry, where its /etc files are
     */
    public record Joined(int pid, Path entry) {
        /** The namespace file pid 1 enters. */
        public String netns() {
            return "/proc/" + pid + "/ns/net";
        }

        /** Its type, for the JOINNS record: CLONE_NEWNET. */
        public long type() {
            return Linux.CLONE_NEWNET();
        }
    }

    /**
     * Docker's {@code --dns}, {@code --dns-search} and {@code --dns-option}: each list, when not
     * empty, replaces the resolv.conf lines of its kind that the container would get otherwise;
     * a search list of {@code "."} alone leaves no search line.
     */
    public record Dns(List<String> servers, List<String> search, List<String> options) {
        /** Nothing given: the container's resolv.conf as its network makes it. */
        public static final Dns NONE = new Dns(List.of(), List.of(), List.of());

        public Dns {
            servers = List.copyOf(servers);
            search = List.copyOf(search);
            options = List.copyOf(options);
        }

        boolean isEmpty() {
            return servers.isEmpty() && search.isEmpty() && options.isEmpty();
        }

        /**
         * {@code base} (a resolv.conf) with these lines in place of its own: its other lines
         * (comments, sortlist) first, then the name servers, the search line and the options line.
         */
        String applyTo(String base) {
            List<String> other = new ArrayList<>();
            List<String> baseServers = new ArrayList<>();
            List<String> baseSearch = new ArrayList<>();
            List<String> baseOptions = new ArrayList<>();
            for (String line : base.split("\n")) {
                String word = line.trim().split("\\s+", 2)[0];
                switch (word) {
                    case "nameserver" -> baseServers.add(line);
                    case "search", "domain" -> baseSearch.add(line);
                    case "options" -> baseOptions.add(line);
                    default -> {
                        if (!line.isBlank()) {
                            other.add(line);
                        }
                    }
                }
            }
            StringBuilder b = new StringBuilder();
            other.forEach(l -> b.append(l).append('\n'));
            if (servers.isEmpty()) {
                baseServers.forEach(l -> b.append(l).append('\n'));
            } else {
                servers.forEach(s -> b.append("nameserver ").append(s).append('\n'));
            }
            List<String> domains = search.stream().filter(d -> !d.equals(".")).toList();
            if (search.isEmpty()) {
                baseSearch.forEach(l -> b.append(l).append('\n'));
            } else if (!domains.isEmpty()) {
                b.append("search ").append(String.join(" ", domains)).append('\n');
            }
            if (options.isEmpty()) {
                baseOptions.forEach(l -> b.append(l).append('\n'));
            } else {
                b.append("options ").append(String.join(" ", options)).append('\n');
            }
            return b.toString();
        }
    }

    /** A line of /etc/hosts: {@code address} (a literal) answers to {@code name}. */
    public record HostsEntry(String name, String address) {
        /** The line, with its newline. */
        String line() {
            return address + "\t" + name + "\n";
        }
    }

    /** A file to bind read-only into the container. */
    public record Bind(Path source, String target) { }

    private static final String RECORD = "network";
    private static final String LEASES_ALIAS_PREFIX = "mdocker leases ";
    /**
     * Bridges this JVM has checked or made, up and holding their address, by name and address:
     * later containers use them without a netlink query, once {@link #stillThere} has found the
     * link of that name to be the same. A bridge removed behind this JVM's back (another process's
     * network removal, {@code ip link del}) drops its entry, so the next container checks or makes
     * it afresh; so does a veth pair that cannot be attached.
     */
    private static final Map<String, Rtnl.Link> KNOWN_BRIDGES = new ConcurrentHashMap<>();

    private static String key(String bridge, Ipv4 gateway) {
        return bridge + " " + gateway;
    }

    /**
     * Whether the link named as {@code bridge} is still the one this JVM knew: the same interface
     * index, read from sysfs ({@code /sys/class/net/NAME/ifindex}, one small read, no netlink
     * query). A bridge removed and made again has another index (the kernel hands them out in
     * turn); one removed has no file. sysfs lists the links of the namespace it was mounted in, the
     * host's for a runtime on the host; where it is another, a missing file costs the netlink check.
     */
    private static boolean stillThere(Rtnl.Link bridge) {
        try {
            String index = Files.readString(Path.of("/sys/class/net", bridge.name(), "ifindex"), StandardCharsets.US_ASCII);
            return Integer.parseInt(index.strip()) == bridge.index();
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    private final Plan plan;
    private final Path netRoot;
    private final PortProxy proxy;
    private Path entryDir;
    private String vethName;
    private Ipam ipam;
    private int address;
    private int bridgeIndex;
    private Rtnl.Link bridgeLink; // from prepare: the bridge, when it exists, is checked and up
    private Path libNet; // <lib root>/net: the init layer
    private Path initLayer; // the top-most lower layer, or null
    private final List<Bind> binds = new ArrayList<>();
    private final List<Path> files = new ArrayList<>();
    private boolean closed;
    /** The container's elements are in the bridge's anti-spoofing sets ({@link AntiSpoofing}). */
    private boolean guarded;
    private List<PortProxy.Spec> monitorPorts = List.of();
    private List<PortProxy.Bound> pastaPorts = List.of(); // network pasta: the host ports it forwards
    private List<PortProxy.Bound> monitorBound = List.of();
    /** A rootless named network: its holder, whose namespace has the bridge; else null. */
    private RootlessBridges.Held held;

    private ContainerNetwork(Plan plan, Path netRoot, PortProxy proxy) {
        this.plan = plan;
        this.netRoot = netRoot;
        this.proxy = proxy;
    }

    /**
     * Step 1: checks the plan against the host and binds the published ports; nothing else is
     * created. {@code runRoot} is the runtime's run root (leases and locks go under its
     * {@code net/}). With {@code proxyHere} false the published ports are left to the container's
     * monitor (a detached container's, which outlives this JVM): {@link #monitorPorts()} lists
     * them and {@link #boundByMonitor} records what it bound.
     */
    public static ContainerNetwork prepare(Plan plan, Path runRoot, Path libRoot, boolean proxyHere) {
        Rtnl.Link bridge = null;
        RootlessBridges.Held held = null;
        switch (plan.kind()) {
            case BRIDGE -> {
                if (io.mdocker.internal.sys.Namespaces.rootless()) {
                    held = prepareRootless(plan, runRoot.resolve("net"));
                    break;
                }
                Nat.iptables();
                bridge = KNOWN_BRIDGES.get(key(plan.bridge(), plan.gateway()));
                if (bridge != null && !stillThere(bridge)) {
                    KNOWN_BRIDGES.remove(key(plan.bridge(), plan.gateway()), bridge);
                    bridge = null;
                }
                if (bridge == null) {
                    try (NetlinkSocket s = NetlinkSocket.open("host")) {
                        bridge = checkBridge(s, plan.bridge(), plan.gateway());
                    }
                }
            }
            case VETH -> {
                Nat.iptables();
                try (NetlinkSocket s = NetlinkSocket.open("host")) {
                    Ipv4 host = plan.hostAddress();
                    Ipv4 container = plan.containerAddress();
                    if (host.prefix() == 32) {
                        checkNoOverlap(s, new Ipv4(host.address(), 32), 0, "veth host address");
                        checkNoOverlap(s, new Ipv4(container.address(), 32), 0, "veth container address");
                    } else {
                        checkNoOverlap(s, host.network(), 0, "veth subnet");
                    }
                }
            }
            default -> { }
        }
        if (plan.kind() == Kind.PASTA) { // pasta forwards the ports itself
            Pasta.binary();
            ContainerNetwork n = new ContainerNetwork(plan, runRoot.resolve("net"), null);
            n.pastaPorts = Pasta.choosePorts(plan.ports());
            n.libNet = libRoot.resolve("net");
            return n;
        }
        // a rootless named network's ports: its monitors serve them (they reach the holder's bridge)
        boolean here = proxyHere && held == null;
        PortProxy proxy = plan.ports().isEmpty() || !here ? null : PortProxy.bind(plan.ports());
        ContainerNetwork n = new ContainerNetwork(plan, runRoot.resolve("net"), proxy);
        n.monitorPorts = here ? List.of() : plan.ports();
        n.bridgeLink = bridge;
        n.held = held;
        n.libNet = libRoot.resolve("net");
        return n;
    }

    /**
     * A rootless named network: the bridge lives in the network holder's namespace (made here
     * when this JVM does not hold the network open yet), never in the host's. Its subnet must
     * still be free of the host's routes: the host's networks of those addresses would otherwise
     * be hidden from the containers, and the host's own routes to them mislead whoever reads both.
     */
    private static RootlessBridges.Held prepareRootless(Plan plan, Path netRoot) {
        if (!plan.userDefined()) {
            throw new IllegalArgumentException("the default bridge " + plan.bridge() + " needs root (it lives in the host's "
                    + "network namespace): a rootless container takes a named network, Network.bridge(NAME, CIDR)");
        }
        try (NetlinkSocket s = NetlinkSocket.open("host")) {
            checkNoOverlap(s, plan.gateway().network(), 0, "subnet of rootless network " + plan.bridge());
        }
        return RootlessBridges.ensure(plan.bridge(), plan.gateway(), netRoot);
    }

    /**
     * An existing bridge must be one and hold the planned address; a new one's subnet must be
     * free. Returns the bridge when it exists, checked and up, else null.
     */
    private static Rtnl.Link checkBridge(NetlinkSocket s, String name, Ipv4 gateway) {
        Rtnl.Link link = Rtnl.findLink(s, name);
        if (link == null) {
            try {
                checkNoOverlap(s, gateway.network(), 0, "subnet of bridge " + name);
            } catch (IllegalArgumentException e) {
                // Another process (a JVM starting a container on the same network) may have made the
                // bridge, with its address and route, between the look-up above and the routes' read:
                // then the route is the bridge's own, checked as an existing bridge's.
                if (Rtnl.findLink(s, name) == null) {
                    throw e;
                }
                return checkBridge(s, name, gateway);
            }
            return null;
        }
        if (!"bridge".equals(link.kind())) {
            throw new IllegalArgumentException("interface " + name + " exists and is "
                    + (link.kind() == null ? "not a bridge" : "a " + link.kind() + ", not a bridge")
                    + ": expected a bridge name that is free or names a bridge");
        }
        List<Ipv4> mine = new ArrayList<>();
        for (Rtnl.Address a : Rtnl.addresses(s)) {
            if (a.index() == link.index()) {
                mine.add(a.local());
            }
        }
        if (!mine.isEmpty() && !mine.contains(gateway)) {
            throw new IllegalArgumentException("bridge " + name + " exists with address " + mine.get(0)
                    + ", not " + gateway + ": expected the bridge's own address and subnet");
        }
        if (mine.isEmpty()) {
            checkNoOverlap(s, gateway.network(), link.index(), "subnet of bridge " + name);
            return null;
        }
        if (!link.isUp()) {
            return null;
        }
        KNOWN_BRIDGES.put(key(name, gateway), link);
        return link;
    }

    /** No route of the main table but the default and those through {@code ownIndex} may overlap {@code net}. */
    private static void checkNoOverlap(NetlinkSocket s, Ipv4 net, int ownIndex, String what) {
        for (Rtnl.Route r : Rtnl.routes(s)) {
            if (r.destination().prefix() > 0 && r.outputInterface() != ownIndex && r.destination().overlaps(net)) {
                throw new IllegalArgumentException(what + " " + net + " overlaps the host route "
                        + r.destination() + ": expected a subnet no host interface uses");
            }
        }
    }

    /** Whether the container gets a network namespace of its own (all modes but host and a container's). */
    public boolean ownNamespace() {
        return plan.kind() != Kind.HOST && plan.kind() != Kind.CONTAINER;
    }

    /** The container whose network namespace pid 1 enters; empty unless CONTAINER. */
    public Optional<Joined> joined() {
        return Optional.ofNullable(plan.joined());
    }

    /**
     * Step 2, for the container {@code id} (called {@code name}, if it has one) whose state entry
     * is {@code entryDir} and whose image is {@code layers} (top-most first): the bridge if
     * needed, NAT, the lease (on a user-defined bridge with the container's names, in the
     * network's hosts file), the recovery record and the container's /etc files.
     */
    public void create(String id, Path entryDir, java.util.Optional<String> name, String hostname, List<Path> layers) {
        this.entryDir = entryDir;
        // (a rootless named network's resolv.conf names pasta's DNS relay: made in the writable layer)
        if ((plan.kind() == Kind.BRIDGE || plan.kind() == Kind.VETH) && held == null && etcIsADirectory(layers)) {
            initLayer = InitLayer.ensure(libNet, containerResolvConf());
        }
        String extra = extraLines();
        switch (plan.kind()) {
            case NONE -> { // the image's /etc files, unless there are extra hosts or DNS settings
                if (!extra.isEmpty()) {
                    writeFile("hosts", "/etc/hosts", HostsFile.HEADER + extra);
                }
                if (!plan.dns().isEmpty()) {
                    writeResolvConf(containerResolvConf());
                }
            }
            // pasta: configured in attach, once pid 1 exists; its DNS relay is the name server
            case PASTA -> {
                if (!extra.isEmpty()) {
                    writeFile("hosts", "/etc/hosts", HostsFile.HEADER + extra);
                }
                writeResolvConf("nameserver " + Pasta.DNS + "\n" + hostSearch());
            }
            case CONTAINER -> shareEtc(plan.joined().entry());
            case HOST -> {
                copyHostFile("/etc/hosts", "hosts", extra);
                if (plan.dns().isEmpty()) {
                    copyHostFile("/etc/resolv.conf", "resolv.conf", "");
                } else {
                    writeResolvConf(hostFile("/etc/resolv.conf"));
                }
            }
            case BRIDGE -> {
                vethName = "mdk" + id.substring(0, 12);
                Ipam leases;
                if (held != null) { // rootless: the bridge is the holder's, no host rule is made
                    bridgeIndex = held.bridgeIndex();
                    leases = allocator(null, netRoot.resolve(plan.bridge()));
                } else {
                    leases = ensureBridge();
                    // under the bridge's lease lock: the one lock every runtime using this bridge shares;
                    // checked again for a bridge made anew (another process may have removed the rules with it)
                    Nat.ensure(Nat.bridgeRules(plan.bridge(), plan.gateway()), leases.dir().resolve("lock"),
                            Integer.toString(bridgeIndex));
                }
                String names = null;
                if (plan.userDefined()) {
                    List<String> all = new ArrayList<>();
                    name.ifPresent(all::add);
                    all.add(hostname);
                    all.addAll(plan.aliases());
                    names = HostsFile.names(all);
                }
                address = leases.allocate(entryDir, vethName, plan.fixedAddress(), names, plan.extraHosts());
                ipam = leases;
                writeRecord(leases, address, plan.bridge());
                Path shared = null;
                if (plan.userDefined()) { // the network's hosts file, or with extra hosts the container's own copy
                    shared = plan.extraHosts().isEmpty() ? HostsFile.of(leases.dir()) : HostsFile.ownFile(entryDir);
                    if (!plan.extraHosts().isEmpty()) {
                        files.add(shared);
                    }
                }
                writeEtc(hostname, address, shared, extra);
            }
            case VETH -> {
                vethName = "mdk" + id.substring(0, 12);
                Ipv4 subnet = plan.hostAddress().prefix() == 32
                        ? new Ipv4(plan.containerAddress().address(), 32) : plan.hostAddress().network();
                Nat.ensure(Nat.vethRules(subnet), netRoot.resolve("iptables.lock"));
                address = plan.containerAddress().address();
                writeRecord(null, 0, null);
                writeEtc(hostname, address, null, extra);
            }
        }
    }

    /**
     * The bridge, created with its address when missing (under the lease directory's lock, so
     * two JVMs never race), and the allocator its alias names.
     */
    private Ipam ensureBridge() {
        Path defaultDir = netRoot.resolve(plan.bridge());
        String alias = bridgeLink != null ? usePrepared() : HostLock.with(defaultDir.resolve("lock"), () -> {
            try (NetlinkSocket s = NetlinkSocket.open("host")) {
                Rtnl.Link link = Rtnl.findLink(s, plan.bridge());
                if (link == null) {
                    byte[] mac = new byte[6];
                    RandomBytes.fill(mac);
                    mac[0] = (byte) ((mac[0] & 0xfe) | 0x02); // unicast, locally administered
                    s.execute(Rtnl.createBridge(plan.bridge(), mac));
                    link = Rtnl.findLink(s, plan.bridge());
                    String mine = LEASES_ALIAS_PREFIX + defaultDir.toAbsolutePath();
                    s.execute(List.of(Rtnl.setAlias(link.index(), plan.bridge(), mine),
                            Rtnl.addAddress(link.index(), plan.bridge(), plan.gateway(), 0)));
                    return known(link, mine);
                }
                if (!link.isUp()) {
                    s.execute(Rtnl.setUp(link.index(), plan.bridge()));
                }
                // an existing bridge without its address (made by hand, or by a runtime that died
                // before adding it) gets ours; prepare checked it holds no other
                s.execute(Rtnl.addAddress(link.index(), plan.bridge(), plan.gateway(), 0), Linux.EEXIST());
                return known(link, link.alias());
            }
        });
        if (alias != null && alias.startsWith(LEASES_ALIAS_PREFIX)) { // a bridge made by hand (the host's uplink?) keeps its own
            noRouterAdvertisements(plan.bridge());
        }
        return allocator(alias, defaultDir);
    }

    /**
     * accept_ra 0 on a host-side link mdocker made (its bridge, a veth's host end), as Docker
     * sets it on its bridges: a container with CAP_NET_RAW could otherwise give the host a
     * default route, or addresses, by router advertisement. The veth's is set before the
     * container's command runs, so nothing in the container can send one first. No IPv6 on the
     * host: nothing to do.
     */
    static void noRouterAdvertisements(String link) {
        Path f = Path.of("/proc/sys/net/ipv6/conf", link, "accept_ra");
        try {
            if (!Files.readString(f, java.nio.charset.StandardCharsets.US_ASCII).trim().equals("0")) {
                Files.writeString(f, "0\n", java.nio.charset.StandardCharsets.US_ASCII);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // IPv6 is off (or the link has none): no advertisement is accepted
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("setting " + f + " to 0: " + e.getMessage(), e);
        }
    }

    private String usePrepared() {
        bridgeIndex = bridgeLink.index();
        return bridgeLink.alias();
    }

    /** Records a bridge made ready (up, with its address) for this and later containers. */
    private String known(Rtnl.Link link, String alias) {
        bridgeIndex = link.index();
        KNOWN_BRIDGES.put(key(plan.bridge(), plan.gateway()),
                new Rtnl.Link(link.index(), link.name(), "bridge", alias, 0, link.flags() | Linux.IFF_UP()));
        return alias;
    }

    private Ipam allocator(String alias, Path defaultDir) {
        // One bridge, one allocator: runtimes on other run roots use the lease directory of the
        // runtime that created the bridge.
        Path dir = alias != null && alias.startsWith(LEASES_ALIAS_PREFIX)
                ? Path.of(alias.substring(LEASES_ALIAS_PREFIX.length())) : defaultDir;
        return new Ipam(dir, plan.gateway(), plan.gateway().address());
    }

    /** The files to bind read-only into the container (its /etc/hosts, /etc/hostname, /etc/resolv.conf). */
    public List<Bind> binds() {
        return List.copyOf(binds);
    }

    /**
     * Layers to put above the image's (top-most first): the init layer holding the binds' mount
     * points, so that mounting them writes nothing into the container's writable layer.
     */
    public List<Path> layers() {
        return initLayer == null ? List.of() : List.of(initLayer);
    }

    /**
     * Whether the image's /etc is a directory (or absent): an init layer's /etc directory would
     * hide an /etc that is a symbolic link, so then the mount points are made in the writable
     * layer instead.
     */
    private static boolean etcIsADirectory(List<Path> layers) {
        for (Path layer : layers) {
            Path etc = layer.resolve("etc");
            if (Files.isSymbolicLink(etc)) {
                return false;
            }
            if (Files.isDirectory(etc, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
        }
        return true;
    }

    /** Step 3: the links, addresses and routes, once the container's pid 1 exists. */
    @Override
    public void attach(int pid) {
        switch (plan.kind()) {
            case NONE, HOST -> { } // lo: pid 1 brings it up in its network namespace
            case PASTA -> files.add(Pasta.start(entryDir, pid, pastaPorts, io.mdocker.internal.sys.Namespaces.rootless()));
            case BRIDGE -> {
                if (held != null) {
                    attachRootless(pid);
                    break;
                }
                // The container's socket is opened by the netns thread while this one makes the veth pair.
                CompletableFuture<Integer> inside = NetnsSockets.request(pid);
                try (NetlinkSocket host = NetlinkSocket.open("host")) {
                    host.execute(Rtnl.createVeth(vethName, bridgeIndex, "eth0", mac(address), pid));
                    noRouterAdvertisements(vethName);
                    AntiSpoofing.guard(vethName, mac(address), address);
                    guarded = true;
                } catch (RuntimeException e) {
                    NetnsSockets.discard(inside);
                    KNOWN_BRIDGES.remove(key(plan.bridge(), plan.gateway())); // gone? the next container looks again
                    throw e;
                }
                configureContainer(NetnsSockets.await(inside), pid, new Ipv4(address, plan.gateway().prefix()), 0,
                        plan.gateway().address());
            }
            case VETH -> {
                Ipv4 hostAddr = plan.hostAddress();
                Ipv4 ctrAddr = plan.containerAddress();
                boolean p2p = hostAddr.prefix() == 32;
                CompletableFuture<Integer> inside = NetnsSockets.request(pid);
                try (NetlinkSocket host = NetlinkSocket.open("host")) {
                    host.execute(Rtnl.createVeth(vethName, 0, "eth0", mac(address), pid));
                    noRouterAdvertisements(vethName);
                    Rtnl.Link link = Rtnl.findLink(host, vethName);
                    // strict rp_filter on the host end: a packet from any source but the container's
                    // (the one address routed back through this link) is dropped by the host
                    host.execute(List.of(Rtnl.addAddress(link.index(), vethName, hostAddr, p2p ? ctrAddr.address() : 0),
                            Rtnl.setInetConf(link.index(), vethName, Rtnl.IPV4_DEVCONF_RP_FILTER, 1)));
                } catch (RuntimeException e) {
                    NetnsSockets.discard(inside);
                    throw e;
                }
                configureContainer(NetnsSockets.await(inside), pid, ctrAddr, p2p ? hostAddr.address() : 0,
                        hostAddr.address());
            }
        }
        if (proxy != null) {
            proxy.start(address);
        }
    }

    /**
     * A rootless named network's container: both netlink sockets come from the holder (one in its
     * namespace, where the bridge is, one in the container's, which belongs to the holder's user
     * namespace); this JVM's user owns that user namespace, so the kernel lets it configure both.
     * No host-side hardening applies: nothing of it is in the host's namespace.
     */
    private void attachRootless(int pid) {
        int inside = held.holder().socketIn(pid);
        try (NetlinkSocket bridgeSide = NetlinkSocket.adopt(held.holder().ownSocket(), "the holder of network "
                + plan.bridge())) {
            bridgeSide.execute(Rtnl.createVeth(vethName, bridgeIndex, "eth0", mac(address), pid));
        } catch (RuntimeException e) {
            io.mdocker.internal.sys.Posix.closeQuietly(inside);
            throw e;
        }
        configureContainer(inside, pid, new Ipv4(address, plan.gateway().prefix()), 0, plan.gateway().address());
    }

    private static void configureContainer(int socket, int pid, Ipv4 local, int peer, int gateway) {
        try (NetlinkSocket c = NetlinkSocket.adopt(socket, "container pid " + pid)) {
            Rtnl.Link eth0 = Rtnl.findLink(c, "eth0");
            if (eth0 == null) {
                throw new IllegalStateException("eth0 is missing in the network namespace of pid " + pid
                        + " right after it was created there");
            }
            // rp_filter 1 (strict) on eth0: a packet whose source would not be routed back out of
            // eth0 is dropped (the kernel uses the larger of conf/all and conf/eth0).
            c.execute(List.of(Rtnl.setUp(eth0.index(), "eth0"),
                    Rtnl.setInetConf(eth0.index(), "eth0", Rtnl.IPV4_DEVCONF_RP_FILTER, 1),
                    Rtnl.addAddress(eth0.index(), "eth0", local, peer),
                    Rtnl.addDefaultRoute(eth0.index(), "eth0", gateway)));
        }
    }

    /** The container end's MAC, derived from its address as Docker does: stale ARP entries stay right. */
    private static byte[] mac(int address) {
        byte[] a = Ipv4.bytes(address);
        return new byte[] {0x02, 0x42, a[0], a[1], a[2], a[3]};
    }

    /** The network mode as Docker names it: none, host, bridge, or veth. */
    public String mode() {
        return plan.kind().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The container's address (bridge, veth), or null. */
    public String ipAddress() {
        return address == 0 ? null : Ipv4.format(address);
    }

    /** The published ports as bound (real host ports), in the order given. */
    public List<PortProxy.Bound> ports() {
        return proxy != null ? proxy.bound() : plan.kind() == Kind.PASTA ? pastaPorts : monitorBound;
    }

    /**
     * A rootless named network's holder, into whose user namespace the container's pid 1 is
     * cloned (its monitor then serves the published ports from the holder's network namespace).
     */
    public java.util.Optional<io.mdocker.internal.process.NetworkHolder> holder() {
        return java.util.Optional.ofNullable(held).map(RootlessBridges.Held::holder);
    }

    /** The published ports the container's monitor is to bind and serve (empty when this JVM proxies them). */
    public List<PortProxy.Spec> monitorPorts() {
        return monitorPorts;
    }

    /** Records the host ports the monitor bound for {@link #monitorPorts()}, in their order. */
    public void boundByMonitor(List<PortProxy.Bound> bound) {
        monitorBound = List.copyOf(bound);
    }

    /** The container's IPv4 address as 4 bytes in network order (bridge, veth; after {@link #create}). */
    public byte[] addressBytes() {
        return Ipv4.bytes(address);
    }

    /**
     * Stops the proxy, deletes the files and hands the veth pair and the lease to the
     * {@link LinkReaper}, which gives the lease back once the kernel has removed the pair with
     * the container's namespace (milliseconds after the container's end). Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException failure = null;
        if (proxy != null) {
            proxy.close();
        }
        if (plan.userDefined() && ipam != null && address != 0) {
            try { // off the network's hosts file now; the address comes back once the veth pair is gone
                ipam.forgetNames(address, entryDir);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (guarded) {
            try {
                AntiSpoofing.release(vethName, mac(address), address);
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (vethName != null && held != null) {
            // rootless: the pair is deleted here (the link reaper watches the host's namespace only),
            // then the lease comes back
            try {
                try (NetlinkSocket s = NetlinkSocket.adopt(held.holder().ownSocket(), "the holder of network "
                        + plan.bridge())) {
                    s.execute(Rtnl.deleteLink(vethName), Linux.ENODEV());
                }
                if (ipam != null && address != 0) {
                    ipam.release(address, entryDir);
                }
            } catch (RuntimeException e) {
                failure = add(failure, e);
            }
        } else if (vethName != null) {
            // The kernel removes the veth pair with the container's namespace; the lease comes
            // back once it is gone (see LinkReaper for why nobody waits for that here).
            Ipam leases = ipam;
            int leased = address;
            Path owner = entryDir;
            LinkReaper.submit(vethName, leases == null || leased == 0 ? () -> { } : () -> leases.release(leased, owner));
        }
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                failure = add(failure, new UncheckedIOException("deleting " + f + ": " + e.getMessage(), e));
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException add(RuntimeException first, RuntimeException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }

    private static void deleteVeth(String name) {
        try (NetlinkSocket s = NetlinkSocket.open("host")) {
            s.execute(Rtnl.deleteLink(name), Linux.ENODEV());
        }
    }

    // ------------------------------------------------------------------------------------------
    // files

    private void writeRecord(Ipam leases, int leased, String bridge) {
        Properties p = new Properties();
        p.setProperty("mode", mode());
        if (vethName != null) {
            p.setProperty("veth", vethName);
        }
        if (leases != null && leased != 0) {
            p.setProperty("lease", leases.leaseFile(leased).toAbsolutePath().toString());
        }
        if (address != 0) {
            p.setProperty("address", Ipv4.format(address));
        }
        if (bridge != null) {
            p.setProperty("bridge", bridge);
        }
        if (held != null) { // the veth pair was in the holder's namespace, which went with its JVM
            p.setProperty("holder", "rootless");
        }
        Path f = entryDir.resolve(RECORD);
        try (var out = Files.newBufferedWriter(f, StandardCharsets.UTF_8)) {
            p.store(out, "mdocker container network: what recovery removes");
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + f + ": " + e.getMessage(), e);
        }
        if (!files.contains(f)) {
            files.add(f);
        }
    }

    /**
     * The /etc files of the container whose namespace is shared, from its state entry: its own
     * hosts file, or its user-defined network's; its resolv.conf, or on a bridge or veth pair the
     * one its init layer holds (made from the host's alike). None when the image's are its own.
     */
    private void shareEtc(Path entry) {
        Map<String, String> record = readRecord(entry);
        Path hosts = entry.resolve("hosts");
        if (!Files.isRegularFile(hosts, java.nio.file.LinkOption.NOFOLLOW_LINKS) && record.get("lease") != null) {
            hosts = HostsFile.of(Path.of(record.get("lease")).getParent());
        }
        if (Files.isRegularFile(hosts, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            binds.add(new Bind(hosts, "/etc/hosts"));
        }
        Path resolv = entry.resolve("resolv.conf");
        if (Files.isRegularFile(resolv, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            binds.add(new Bind(resolv, "/etc/resolv.conf"));
        } else if ("bridge".equals(record.get("mode")) || "veth".equals(record.get("mode"))) {
            writeResolvConf(containerResolvConf());
        }
    }

    /** The extra hosts' lines, in order; "" for none. */
    private String extraLines() {
        StringBuilder b = new StringBuilder();
        plan.extraHosts().forEach(h -> b.append(h.line()));
        return b.toString();
    }

    /**
     * The /etc files; {@code sharedHosts}, when given, is a hosts file kept from the network's
     * leases ({@link HostsFile}), bound as it is; else the container's own lists {@code extra}.
     */
    private void writeEtc(String hostname, int ip, Path sharedHosts, String extra) {
        if (sharedHosts != null) {
            binds.add(new Bind(sharedHosts, "/etc/hosts"));
        } else {
            writeFile("hosts", "/etc/hosts", HostsFile.HEADER + extra + Ipv4.format(ip) + "\t" + hostname + "\n");
        }
        writeFile("hostname", "/etc/hostname", hostname + "\n");
        if (held != null) { // through the holder's namespace to pasta, which relays it to the host's name server
            writeResolvConf("nameserver " + Pasta.DNS + "\n" + hostSearch());
        } else if (initLayer == null || !plan.dns().isEmpty()) {
            // /etc is a symbolic link in the image (no init layer holds resolv.conf), or the container's own settings
            writeResolvConf(containerResolvConf());
        }
    }

    /**
     * The host's resolv.conf without loopback name servers (a resolver on the host's 127.0.0.53
     * cannot be reached from the container); Docker's fallback servers when none is left.
     */
    static String containerResolvConf() {
        Path host = Path.of("/etc/resolv.conf");
        String stamp;
        try {
            stamp = Files.getLastModifiedTime(host) + " " + Files.size(host);
        } catch (IOException e) {
            stamp = "none";
        }
        String[] cached = resolvCache;
        if (cached != null && cached[0].equals(stamp)) {
            return cached[1];
        }
        String made = filterResolvConf();
        resolvCache = new String[] {stamp, made};
        return made;
    }

    private static volatile String[] resolvCache; // {host file's mtime and size, the container's content}

    private static String filterResolvConf() {
        List<String> kept = new ArrayList<>();
        boolean server = false;
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"), StandardCharsets.UTF_8)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 2 && f[0].equals("nameserver")) {
                    if (f[1].startsWith("127.") || f[1].equals("::1")) {
                        continue;
                    }
                    server = true;
                }
                kept.add(line);
            }
        } catch (NoSuchFileException e) {
            // no host configuration: the fallback below
        } catch (IOException e) {
            throw new UncheckedIOException("reading /etc/resolv.conf: " + e.getMessage(), e);
        }
        if (!server) {
            kept.add("nameserver 8.8.8.8");
            kept.add("nameserver 8.8.4.4");
        }
        return String.join("\n", kept) + "\n";
    }

    /** The host's resolv.conf search and options lines (the name servers are not the container's). */
    private static String hostSearch() {
        try {
            StringBuilder b = new StringBuilder();
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"), StandardCharsets.UTF_8)) {
                if (line.startsWith("search ") || line.startsWith("options ")) {
                    b.append(line).append('\n');
                }
            }
            return b.toString();
        } catch (IOException e) {
            return "";
        }
    }

    /** The container's /etc/resolv.conf: {@code base} with the plan's DNS settings applied. */
    private void writeResolvConf(String base) {
        writeFile("resolv.conf", "/etc/resolv.conf", plan.dns().isEmpty() ? base : plan.dns().applyTo(base));
    }

    /** A host file's content, "" when there is none. */
    private static String hostFile(String path) {
        try {
            return Files.readString(Path.of(path), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + path + ": " + e.getMessage(), e);
        }
    }

    /** The host's file with {@code extra} appended (after a missing last newline); {@code extra} alone when the host has none. */
    private void copyHostFile(String hostPath, String name, String extra) {
        try {
            String content = Files.readString(Path.of(hostPath), StandardCharsets.UTF_8);
            if (!extra.isEmpty() && !content.isEmpty() && !content.endsWith("\n")) {
                content += "\n";
            }
            writeFile(name, hostPath, content + extra);
        } catch (NoSuchFileException e) {
            if (!extra.isEmpty()) {
                writeFile(name, hostPath, HostsFile.HEADER + extra);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + hostPath + ": " + e.getMessage(), e);
        }
    }

    private void writeFile(String name, String target, String content) {
        Path f = entryDir.resolve(name);
        try {
            Files.writeString(f, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + f + ": " + e.getMessage(), e);
        }
        files.add(f);
        binds.add(new Bind(f, target));
    }

    // ------------------------------------------------------------------------------------------
    // recovery and administration

    /**
     * Removes what a dead container's network left, from its record in {@code entryDir}: the
     * veth pair (if the kernel has not already removed it with the namespace) and the lease.
     */
    public static void removeLeftovers(Path entryDir) {
        Map<String, String> record = readRecord(entryDir);
        String veth = record.get("veth");
        if (veth != null && record.get("holder") == null) {
            deleteVeth(veth);
            String address = record.get("address");
            if (record.get("bridge") != null && address != null) {
                int a = Ipv4.parseAddress(address, address, "recorded address");
                AntiSpoofing.release(veth, mac(a), a);
            }
        }
        String lease = record.get("lease");
        if (lease != null) {
            Ipam.releaseLease(Path.of(lease), entryDir);
            if (record.get("holder") != null) { // a dead JVM's rootless network: gone with it, unless reopened
                removeUnheld(Path.of(lease).getParent(), record.get("bridge"));
            }
        }
    }

    /**
     * What the network record in {@code entryDir} says, for any process: the container's address
     * and bridge where it has them. Empty when there is no record (no network of its own, never
     * set up, or removed).
     */
    public static Map<String, String> recorded(Path entryDir) {
        Map<String, String> m = new java.util.TreeMap<>(readRecord(entryDir));
        m.keySet().retainAll(List.of("address", "bridge"));
        return m;
    }

    private static Map<String, String> readRecord(Path entryDir) {
        Map<String, String> record = io.mdocker.internal.fs.PropertiesFiles.read(entryDir.resolve(RECORD));
        return record == null ? Map.of() : record;
    }

    /**
     * Waits until the veth pairs of closed containers are gone and their leases given back
     * (tests, and callers that want a clean host at a given moment); false on timeout. The
     * containers whose run() returned are closed first (their teardown is on the cleanup thread).
     */
    public static boolean awaitReleases(java.time.Duration timeout) {
        io.mdocker.internal.BackgroundCleanup.awaitIdle();
        return LinkReaper.awaitIdle(timeout);
    }

    /**
     * The address (with its prefix) of the existing bridge {@code name}; empty when there is no
     * such link or it holds no IPv4 address.
     *
     * @throws IllegalArgumentException when {@code name} is a link other than a bridge
     */
    public static java.util.Optional<Ipv4> bridgeAddress(String name) {
        try (NetlinkSocket s = NetlinkSocket.open("host")) {
            Rtnl.Link link = Rtnl.findLink(s, name);
            if (link == null) {
                return java.util.Optional.empty();
            }
            if (!"bridge".equals(link.kind())) {
                throw new IllegalArgumentException("interface " + name + " is " + (link.kind() == null ? "not a bridge"
                        : "a " + link.kind() + ", not a bridge") + ": expected the name of a bridge network");
            }
            return Rtnl.addresses(s).stream().filter(a -> a.index() == link.index()).map(Rtnl.Address::local).findFirst();
        }
    }

    /**
     * The addresses leased on the bridge network {@code name} of the run root {@code runRoot}, sorted,
     * each with the id of the container holding it (which may have ended: a lease outlives its
     * container until its veth pair is gone).
     */
    public static java.util.Map<String, String> leases(Path runRoot, String name) {
        return Ipam.owners(runRoot.resolve("net").resolve(name));
    }

    /**
     * The address of the bridge {@code name} as a network already has it: rootless, the network this
     * JVM holds open under that name; as root, the existing bridge's ({@link #bridgeAddress}).
     */
    public static java.util.Optional<Ipv4> networkAddress(String name) {
        if (io.mdocker.internal.sys.Namespaces.rootless()) {
            return RootlessBridges.gateway(name);
        }
        return bridgeAddress(name);
    }

    /**
     * The address for the bridge of a new network: the first address of the first subnet of
     * 10.200.2.0/24 to 10.200.255.0/24 that no route of the host's main table overlaps (nor, rootless, the
     * subnet of a network this JVM holds open), as {@code docker network create} takes a subnet
     * from its pools when none is named.
     *
     * @throws IllegalStateException when every one of them is in use
     */
    public static Ipv4 freeBridgeAddress() {
        List<Ipv4> taken = new ArrayList<>(RootlessBridges.subnets());
        try (NetlinkSocket s = NetlinkSocket.open("host")) {
            for (Rtnl.Route r : Rtnl.routes(s)) {
                if (r.destination().prefix() > 0) {
                    taken.add(r.destination());
                }
            }
        }
        for (int third = 2; third <= 255; third++) {
            Ipv4 subnet = new Ipv4(10 << 24 | 200 << 16 | third << 8, 24);
            if (taken.stream().noneMatch(subnet::overlaps)) {
                return new Ipv4(subnet.address() + 1, 24);
            }
        }
        throw new IllegalStateException("no free subnet among " + AUTO_SUBNETS + ": each overlaps a host route or "
                + "another network; name a subnet for the network");
    }

    /** Where {@link #freeBridgeAddress} looks: the /24 subnets after the default bridge's 10.200.1.0/24. */
    private static final String AUTO_SUBNETS = "10.200.2.0/24 to 10.200.255.0/24";

    /**
     * Makes the bridge network of {@code plan} (kind BRIDGE, no published ports) ahead of its
     * containers, as its first container would. As root: the bridge with its address, up, with its
     * NAT and forwarding rules; they stay until {@link #removeNetwork}. Rootless: the holder of its
     * bridge, open in this JVM until then or the JVM's end. A bridge that holds the plan's address
     * already is left as it is. As root, creations on one run root take turns (its {@code net/create.lock}),
     * so that of two networks given the same free subnet ({@link #freeBridgeAddress}) the second
     * is refused as overlapping the first's route rather than made beside it.
     *
     * @throws IllegalArgumentException when the plan does not fit the host (its subnet overlaps a
     *                                  host route, the name is another kind of interface, or the
     *                                  bridge holds another address), before anything is made
     */
    public static void makeNetwork(Plan plan, Path runRoot, Path libRoot) {
        if (plan.kind() != Kind.BRIDGE || !plan.ports().isEmpty()) {
            throw new IllegalArgumentException("only a bridge network without published ports is made ahead, not " + plan);
        }
        if (io.mdocker.internal.sys.Namespaces.rootless()) {
            prepare(plan, runRoot, libRoot, true); // the holder, made and held open (RootlessBridges)
            return;
        }
        HostLock.with(runRoot.resolve("net").resolve("create.lock"), () -> {
            ContainerNetwork n = prepare(plan, runRoot, libRoot, true);
            Ipam leases = n.ensureBridge();
            Nat.ensure(Nat.bridgeRules(plan.bridge(), plan.gateway()), leases.dir().resolve("lock"),
                    Integer.toString(n.bridgeIndex));
        });
    }

    /** How long {@link #removeNetwork} waits for the veth pairs of this JVM's closed containers to go. */
    private static final java.time.Duration RELEASE_PATIENCE = java.time.Duration.ofSeconds(10);

    /**
     * Removes the user-defined bridge network {@code name} with the address {@code gateway},
     * refusing while a container of any process holds an address on it: its bridge (when mdocker
     * made it, as the bridge's alias says; a bridge made otherwise is left as it is),
     * its NAT and forwarding rules, its hosts file and lease directory. {@code runRoot} is where
     * the leases are when the bridge does not name them. Waits first (at most 10 s) for the veth
     * pairs of this JVM's closed containers to go. A network that does not exist is not an error.
     *
     * @throws IllegalStateException when containers still use it (one line naming them), or when
     *                               {@code name} is an interface other than this network's bridge
     */
    public static void removeNetwork(String name, Ipv4 gateway, Path runRoot) {
        awaitReleases(RELEASE_PATIENCE);
        if (io.mdocker.internal.sys.Namespaces.rootless()) {
            removeRootless(name, gateway, runRoot);
            return;
        }
        Rtnl.Link link;
        try (NetlinkSocket s = NetlinkSocket.open("host")) {
            link = Rtnl.findLink(s, name);
            if (link != null) {
                if (!"bridge".equals(link.kind())) {
                    throw new IllegalStateException("interface " + name + " is " + (link.kind() == null ? "not a bridge"
                            : "a " + link.kind() + ", not a bridge") + ": not removed as network " + name);
                }
                for (Rtnl.Address a : Rtnl.addresses(s)) {
                    if (a.index() == link.index()) {
                        if (!a.local().equals(gateway)) {
                            throw new IllegalStateException("bridge " + name + " has the address " + a.local() + ", not "
                                    + gateway + ": it is another network than the one closed, not removed");
                        }
                    }
                }
            }
        }
        boolean ours = link != null && link.alias() != null && link.alias().startsWith(LEASES_ALIAS_PREFIX);
        Path dir = ours ? Path.of(link.alias().substring(LEASES_ALIAS_PREFIX.length())) : runRoot.resolve("net").resolve(name);
        HostLock.with(dir.resolve("lock"), () -> {
            refuseIfInUse(name, dir, gateway);
            if (ours) { // a bridge made otherwise is left as it is (with the address it was given)
                try (NetlinkSocket s = NetlinkSocket.open("host")) {
                    s.execute(Rtnl.deleteLink(name), Linux.ENODEV());
                } catch (ErrnoException e) {
                    throw new IllegalStateException("removing bridge " + name + ": " + e.getMessage(), e);
                }
            }
            KNOWN_BRIDGES.keySet().removeIf(k -> k.startsWith(name + " "));
            try {
                Nat.remove(Nat.bridgeRules(name, gateway));
            } catch (IllegalStateException noIptables) {
                // without iptables no rule was ever installed
            }
            AntiSpoofing.removeTableIfUnused();
            deleteFiles(dir, HostsFile.of(dir));
        });
        try { // the lock and the directory last, outside the lock (a late release makes them again: harmless)
            Files.deleteIfExists(dir.resolve("lock"));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty (a container started meanwhile) or gone: left as it is
        }
    }

    /** Refuses to remove network {@code name} while containers hold addresses in its leases ({@code dir}). */
    private static void refuseIfInUse(String name, Path dir, Ipv4 gateway) {
        List<String> users = new Ipam(dir, gateway, gateway.address()).users();
        if (!users.isEmpty()) {
            throw new IllegalStateException("network " + name + " is in use by " + (users.size() == 1 ? "container "
                    : users.size() + " containers: ") + String.join(", ", users)
                    + ": close or remove them first (a dead process's containers: mdocker gc)");
        }
    }

    /**
     * A rootless named network: refused while containers hold addresses on it, as for root; else
     * its holder ends (its namespaces, the bridge with them, go) and its leases and hosts file are
     * deleted.
     */
    private static void removeRootless(String name, Ipv4 gateway, Path runRoot) {
        // the leases where the network was opened (a runtime on other roots), else the given run root's
        Path dir = RootlessBridges.netRoot(name).orElse(runRoot.resolve("net")).resolve(name);
        if (!Files.isDirectory(dir)) {
            RootlessBridges.close(name);
            return;
        }
        HostLock.with(dir.resolve("lock"), () -> {
            refuseIfInUse(name, dir, gateway);
            RootlessBridges.close(name);
            deleteFiles(dir, HostsFile.of(dir));
            try {
                Files.deleteIfExists(RootlessBridges.claimFile(dir.getParent(), name));
            } catch (IOException e) {
                throw new UncheckedIOException("deleting " + RootlessBridges.claimFile(dir.getParent(), name) + ": "
                        + e.getMessage(), e);
            }
        });
        try {
            Files.deleteIfExists(dir.resolve("lock"));
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // not empty (a container started meanwhile) or gone: left as it is
        }
    }

    /**
     * Recovery: the rootless network whose leases are in {@code dir}, once no container holds an
     * address on it and no live process holds it open: its files go (its holder went with its JVM).
     */
    private static void removeUnheld(Path dir, String name) {
        if (name == null || !Files.isDirectory(dir)) {
            return;
        }
        boolean removed = RootlessBridges.removeIfUnheld(dir.getParent(), name, () -> HostLock.with(dir.resolve("lock"), () -> {
            if (new Ipam(dir, new Ipv4(0, 32), 0).users().isEmpty()) {
                deleteFiles(dir, HostsFile.of(dir));
            }
        }));
        if (removed) {
            try {
                Files.deleteIfExists(dir.resolve("lock"));
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // not empty (another container's lease) or gone: left as it is
            }
        }
    }

    /** Deletes the lease files in {@code dir} (not its lock) and {@code hosts}. */
    private static void deleteFiles(Path dir, Path hosts) {
        try {
            Files.deleteIfExists(hosts);
            if (Files.isDirectory(dir)) {
                try (var files = Files.list(dir)) {
                    for (Path f : files.filter(f -> !f.getFileName().toString().equals("lock")).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("removing the files of network " + dir.getFileName() + ": " + e.getMessage(), e);
        }
    }
}
