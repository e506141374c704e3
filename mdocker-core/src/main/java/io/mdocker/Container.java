package io.mdocker;

import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.net.PortProxy;
import io.mdocker.internal.run.ContainerStart;
import io.mdocker.internal.run.Session;
import io.mdocker.internal.run.Spec;
import io.mdocker.internal.security.DeviceNode;
import io.mdocker.internal.security.DeviceRules;
import io.mdocker.internal.security.SecurityPlan;
import io.mdocker.internal.security.SecuritySpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An immutable container definition: the root filesystem layers, hostname, environment, working
 * directory, user, bind mounts, stdio, resource limits ({@link Resources}) and, optionally, a
 * default command. Build one with
 * {@link #builder()}, derive variants with {@link #toBuilder()}, and run it as often as you like,
 * from any number of threads:
 *
 * <pre>{@code
 * ExecResult r = Container.builder().rootfs(Path.of("rootfs")).hostname("box")
 *         .run("/bin/sh", "-c", "echo hi from $(hostname)");
 * try (RunningContainer c = Container.builder().rootfs(rootfs).start("httpd", "-f")) { ... }
 * }</pre>
 *
 * Every value is checked when the definition is built; the host paths are checked again when a
 * container starts, before anything is created.
 *
 * <p>Security defaults are Docker's (see the README's table): the 14 capabilities of
 * {@link Capability#dockerDefaults()}, no_new_privs on (Docker's is off), Docker's seccomp profile,
 * masked and read-only /proc and /sys paths, the safe device set, no host descriptor. Each can be
 * changed: {@link Builder#capAdd}, {@link Builder#capDrop}, {@link Builder#privileged},
 * {@link Builder#noNewPrivileges}, {@link Builder#seccomp}, {@link Builder#readOnlyRootfs},
 * {@link Builder#tmpfs}, {@link Builder#ulimit}, {@link Builder#groupAdd}; host devices and more
 * devices allowed: {@link Builder#device(String)}, {@link Builder#deviceCgroupRule}.
 */
public final class Container {
    /** Docker's default PATH. */
    public static final String DEFAULT_PATH = Spec.DEFAULT_PATH;
    /** The smallest {@link Builder#storageSize storage size}: 1 MiB. */
    public static final DataSize MIN_STORAGE_SIZE = DataSize.ofMiB(1);
    /** The size of a container's {@code /dev/shm} unless {@link Builder#shmSize} sets another: 64 MiB, as Docker's. */
    public static final DataSize DEFAULT_SHM_SIZE = DataSize.ofMiB(64);
    /** The largest {@link Builder#storageSize storage size}: 16 TiB. */
    public static final DataSize MAX_STORAGE_SIZE = DataSize.ofGiB(16 * 1024);

    private static final Pattern HOSTNAME =
            Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    /** A name in /etc/hosts: dot-separated labels of letters, digits, '-' and '_' (which resolvers accept there). */
    private static final Pattern HOSTS_NAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
            + "(\\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*");
    /** An IPv4 address in four decimal parts, as resolvers read /etc/hosts (not the shorter forms {@code InetAddress} takes). */
    private static final Pattern IPV4 = Pattern.compile("((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\\.){3}"
            + "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])");

    /** Whether {@code s} is an IPv4 address in four decimal parts or an IPv6 address without brackets or zone. */
    private static boolean isAddressLiteral(String s) {
        if (!s.contains(":")) {
            return IPV4.matcher(s).matches();
        }
        if (s.startsWith("[") || s.contains("%")) {
            return false;
        }
        try {
            java.net.Inet6Address.ofLiteral(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** {@link Builder#extraHost}'s address that stands for the host's address on the container's network. */
    public static final String HOST_GATEWAY = "host-gateway";

    private final List<Path> layers;
    private final String name;
    private final String hostname;
    private final Map<String, String> env;
    private final String workdir;
    private final int uid;
    private final int gid;
    private final List<BindMount> binds;
    private final StdioStreams stdio;
    private final boolean init;
    private final List<String> command;
    private final Duration startTimeout;
    private final ContainerRuntime runtime;
    // security
    private final Set<Capability> capAdd;
    private final Set<Capability> capDrop;
    private final boolean capAddAll;
    private final boolean capDropAll;
    private final boolean privileged;
    private final boolean userns;
    private final boolean noNewPrivileges;
    /** Null: Docker's default, built only when {@link #seccomp()} is asked (a start looks its program up without it). */
    private final SeccompProfile seccomp;
    private final List<Integer> groups;
    private final boolean readOnlyRootfs;
    private final Map<String, String> tmpfs;
    private final List<Ulimit> ulimits;
    private final Resources resources;
    private final Network network;
    private final List<String> networkAliases;
    /** Docker's {@code --add-host}: "NAME:ADDRESS", in the order given ({@code host-gateway} as given). */
    private final List<String> extraHosts;
    /** Docker's {@code --dns}, {@code --dns-search} and {@code --dns-option}, in the order given. */
    private final List<String> dns;
    private final List<String> dnsSearch;
    private final List<String> dnsOptions;
    /** The ports published: those given, then the image's exposed ones by {@link Builder#publishAllExposed}. */
    private final List<PortMapping> ports;
    private final List<FileCopy> copies;
    private final Map<String, String> labels;
    private final DataSize storageSize;
    /** The size of /dev/shm; null for the default, {@link #DEFAULT_SHM_SIZE}. */
    private final DataSize shmSize;
    /** Run before the command (an image's Entrypoint or the builder's); empty for none. */
    private final List<String> entrypoint;
    /** The image reference the layers came from, or null for a root filesystem given as paths. */
    private final String image;
    private final PullPolicy pullPolicy;
    private final PullOptions pullOptions;
    /** The number of the signal stop sends first. */
    private final int stopSignal;
    /** The image's Healthcheck, for {@link Wait#forHealthcheck()}; null for none. */
    private final Healthcheck healthcheck;
    /** {@link Builder#device} nodes, and the device cgroup: the defaults, then the devices' and the rules' allowances. */
    private final List<DeviceNode> devices;
    private final List<DeviceRules.Rule> deviceCgroupRules;
    private final DeviceRules deviceRules;

    private Container(Builder b) {
        // the image store (and Jackson) is reached only for a container of an image
        this(b, b.image == null ? null : io.mdocker.internal.image.ImageBinding.bind(b.runtime.libRoot(), b.image,
                b.pullPolicy.name().toLowerCase(java.util.Locale.ROOT), () -> ImageStore.registryClient(b.pullOptions),
                ImageStore.listener(b.pullOptions)));
    }

    private Container(Builder b, io.mdocker.internal.image.ImageBinding.Bound img) {
        this.layers = img == null ? List.copyOf(b.layers) : List.copyOf(img.layers());
        this.name = b.name;
        this.hostname = b.hostname;
        Map<String, String> e = new LinkedHashMap<>();
        if (img != null) {
            for (String kv : img.env()) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    e.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        }
        e.putAll(b.env);
        this.env = Collections.unmodifiableMap(e);
        this.workdir = img != null && !b.workdirSet && !img.workingDir().isEmpty() ? checkWorkdir(img.workingDir()) : b.workdir;
        String userSpec = b.userSpec != null ? b.userSpec : img != null && !b.userSet && !img.user().isEmpty() ? img.user() : null;
        if (userSpec != null) {
            if (img == null) {
                throw new IllegalArgumentException("invalid user '" + userSpec + "': expected UID[:GID] with numeric ids");
            }
            int[] ids = io.mdocker.internal.image.ImageBinding.resolveUser(img.layers(), userSpec, img.reference());
            this.uid = ids[0];
            this.gid = ids[1];
        } else {
            this.uid = b.uid;
            this.gid = b.gid;
        }
        this.entrypoint = b.entrypoint != null ? List.copyOf(b.entrypoint) : img != null ? List.copyOf(img.entrypoint()) : List.of();
        this.image = b.image;
        this.pullPolicy = b.pullPolicy;
        this.pullOptions = b.pullOptions;
        this.healthcheck = b.healthcheck != null ? b.healthcheck
                : img != null ? img.healthcheck().map(Image::healthcheckOf).orElse(null) : null;
        this.stopSignal = b.stopSignal != 0 ? b.stopSignal
                : img != null && !img.stopSignal().isEmpty() ? imageSignal(img.stopSignal(), img.reference())
                : Signal.TERM.number();
        this.binds = List.copyOf(b.binds);
        this.stdio = b.stdio;
        this.init = b.init;
        // Docker's rule: an entrypoint given by the builder drops the image's Cmd
        List<String> cmd = b.command != null ? b.command
                : b.entrypoint == null && img != null && !img.cmd().isEmpty() ? img.cmd() : null;
        this.command = cmd == null ? null : List.copyOf(cmd);
        this.startTimeout = b.startTimeout;
        this.runtime = b.runtime;
        this.capAdd = Set.copyOf(b.capAdd);
        this.capDrop = Set.copyOf(b.capDrop);
        this.capAddAll = b.capAddAll;
        this.capDropAll = b.capDropAll;
        this.privileged = b.privileged;
        this.userns = b.userns;
        this.noNewPrivileges = b.noNewPrivileges;
        this.seccomp = b.seccomp;
        this.groups = List.copyOf(b.groups);
        this.readOnlyRootfs = b.readOnlyRootfs;
        this.tmpfs = Collections.unmodifiableMap(new LinkedHashMap<>(b.tmpfs));
        this.ulimits = List.copyOf(b.ulimits.values());
        this.resources = b.resources;
        this.network = b.network;
        this.networkAliases = List.copyOf(b.networkAliases);
        this.extraHosts = List.copyOf(b.extraHosts);
        this.dns = List.copyOf(b.dns);
        this.dnsSearch = List.copyOf(b.dnsSearch);
        this.dnsOptions = List.copyOf(b.dnsOptions);
        this.ports = b.publishAllExposed ? withExposed(b.ports, img) : List.copyOf(b.ports);
        if (!ports.isEmpty() && !b.network.hasAddress() && b.network.mode() != Network.Mode.PASTA) {
            throw new IllegalArgumentException("published port " + ports.get(0) + " needs a bridge, veth or pasta network, "
                    + "but the network is " + b.network + ": expected network(Network.bridge()) or no published ports");
        }
        this.copies = List.copyOf(b.copies);
        Map<String, String> l = new LinkedHashMap<>();
        if (img != null) {
            l.putAll(img.labels());
        }
        l.putAll(b.labels);
        this.labels = Collections.unmodifiableMap(l);
        this.storageSize = b.storageSize;
        this.shmSize = b.shmSize;
        this.devices = List.copyOf(b.devices);
        this.deviceCgroupRules = List.copyOf(b.deviceCgroupRules);
        if (deviceCgroupRules.isEmpty()) {
            this.deviceRules = DeviceRules.DEFAULT; // deny all, the defaults appended
        } else {
            List<DeviceRules.Rule> rules = new ArrayList<>();
            rules.add(new DeviceRules.Rule(false, 'a', -1, -1, "rwm"));
            rules.addAll(deviceCgroupRules);
            this.deviceRules = DeviceRules.of(rules);
        }
    }

    /**
     * An image's StopSignal as Docker takes it: a name with or without SIG (those of
     * {@link Signal}, or RTMIN+N/RTMAX-N), or a number from 1 to 64.
     */
    private static int imageSignal(String value, String image) {
        String n = value.trim().toUpperCase(java.util.Locale.ROOT);
        n = n.startsWith("SIG") ? n.substring(3) : n;
        int number = -1;
        try {
            number = Signal.parse(n).number();
        } catch (IllegalArgumentException notNamed) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,2})|RTMIN\\+(\\d{1,2})|RTMAX-(\\d{1,2})").matcher(n);
            if (m.matches()) {
                number = m.group(1) != null ? Integer.parseInt(m.group(1))
                        : m.group(2) != null ? 34 + Integer.parseInt(m.group(2)) : 64 - Integer.parseInt(m.group(3));
            }
        }
        if (number < 1 || number > 64) {
            throw new IllegalArgumentException("image " + image + ": StopSignal '" + value
                    + "' is not a signal: expected a name such as SIGTERM or SIGRTMIN+3, or a number from 1 to 64");
        }
        return number;
    }

    /**
     * {@code given}, then each TCP port the image exposes ({@code PORT} or {@code PORT/tcp}) that
     * none of them publishes, on a free port of 127.0.0.1; other protocols are not published.
     */
    private static List<PortMapping> withExposed(List<PortMapping> given, io.mdocker.internal.image.ImageBinding.Bound img) {
        if (img == null) {
            throw new IllegalArgumentException("publishAllExposed() publishes an image's ExposedPorts, "
                    + "but the container has a root filesystem, not an image: expected image(...) or publish(...)");
        }
        List<PortMapping> all = new ArrayList<>(given);
        for (String exposed : img.exposedPorts()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,5})(/(tcp|udp|sctp))?")
                    .matcher(exposed.toLowerCase(java.util.Locale.ROOT));
            if (!m.matches()) {
                throw new IllegalArgumentException("image " + img.reference() + ": exposed port '" + exposed
                        + "' is not PORT[/tcp|udp|sctp]");
            }
            int port = Integer.parseInt(m.group(1));
            if (m.group(3) != null && !m.group(3).equals("tcp") || all.stream().anyMatch(p -> p.containerPort() == port)) {
                continue;
            }
            all.add(new PortMapping("127.0.0.1", 0, port));
        }
        return List.copyOf(all);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this definition's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Runs {@code command} (or the default command) to its end and returns its exit code and
     * output. The result is complete when the command has ended and its captured output has
     * reached its end; the rest of the teardown (the namespaces' end with pid 1, the cgroups, the
     * writable layer, the state record) finishes on a background thread
     * ({@link ContainerRuntime#awaitCleanup()}; the JVM's exit waits for it too).
     */
    public ExecResult run(String... command) {
        Session s = ContainerStart.start(spec(), commandOrDefault(command), ContainerStart.Mode.RUN);
        try {
            Session.RunResult r = s.awaitResult();
            return new ExecResult(r.exitCode(), r.stdout(), r.stderr(), r.elapsed(), r.oomKilled());
        } finally {
            s.closeAfterRun();
        }
    }

    /** Starts {@code command} (or the default command when none is given) and returns its handle. */
    public RunningContainer start(String... command) {
        return new RunningContainer(ContainerStart.start(spec(), commandOrDefault(command), ContainerStart.Mode.START),
                Optional.ofNullable(healthcheck));
    }

    /**
     * Starts {@code command} (or the default command) as a detached container, which outlives this
     * JVM, and returns once the command runs. Its stdout and stderr go to log files
     * ({@link DetachedContainer#stdoutLog()}), its stdin is /dev/null: this definition's stdio
     * settings do not apply. Published ports ({@link Builder#publish}, at most 64) are bound before
     * anything of the container exists (a port in use is an {@link IllegalArgumentException}) by
     * the container's mdocker-init monitor, which serves them for as long as the container runs,
     * with or without this JVM, and releases them as it ends; {@link DetachedContainer#ports()}
     * and {@link DetachedContainer#mappedPort(int)} tell the host ports bound.
     */
    public DetachedContainer startDetached(String... command) {
        String[] id = new String[1];
        id[0] = ContainerStart.startDetached(spec(), commandOrDefault(command), () -> runtime.releaseIfExited(id[0]));
        return runtime.attach(id[0]);
    }

    /** The image's Healthcheck ({@link Wait#forHealthcheck()} runs it); empty when it has none. */
    public Optional<Healthcheck> healthcheck() {
        return Optional.ofNullable(healthcheck);
    }

    /**
     * The tmpfs mounts with {@code /dev/shm} of {@link #shmSize} among them: a tmpfs record for
     * /dev/shm takes the place of the built-in one (64 MiB, nosuid, nodev, noexec, mode 1777).
     */
    private Map<String, String> withShm(Map<String, String> mounts) {
        if (shmSize == null) {
            return mounts;
        }
        Map<String, String> m = new LinkedHashMap<>(mounts);
        m.put(SHM, "mode=1777,size=" + shmSize.bytes());
        return m;
    }

    /** The extra hosts as the engine takes them: {@value #HOST_GATEWAY} replaced by the host's address on {@code n}. */
    private List<ContainerNetwork.HostsEntry> hostsEntries(Network n) {
        List<ContainerNetwork.HostsEntry> out = new ArrayList<>();
        for (String h : extraHosts) {
            int colon = h.indexOf(':');
            String address = h.substring(colon + 1);
            if (address.equals(HOST_GATEWAY)) {
                address = switch (n.mode()) {
                    case BRIDGE -> io.mdocker.internal.net.Ipv4.format(n.gatewayIpv4().address());
                    case VETH -> io.mdocker.internal.net.Ipv4.format(n.hostIpv4().address());
                    default -> throw new IllegalStateException("checked by build(): " + h + " on " + n);
                };
            }
            out.add(new ContainerNetwork.HostsEntry(h.substring(0, colon), address));
        }
        return out;
    }

    /** The engine's snapshot of this definition, its host paths checked again. */
    Spec spec() {
        checkHost();
        Network n = network;
        ContainerNetwork.Kind kind = switch (n.mode()) {
            case NONE -> ContainerNetwork.Kind.NONE;
            case HOST -> ContainerNetwork.Kind.HOST;
            case BRIDGE -> ContainerNetwork.Kind.BRIDGE;
            case VETH -> ContainerNetwork.Kind.VETH;
            case PASTA -> ContainerNetwork.Kind.PASTA;
            case CONTAINER -> ContainerNetwork.Kind.CONTAINER;
        };
        ContainerNetwork.Joined joined = null;
        String host = hostname;
        if (n.mode() == Network.Mode.CONTAINER) { // the container named runs now: its pid 1's namespace, its /etc files
            String other = n.container().orElseThrow();
            if (ContainerRuntime.rootless()) {
                throw new IllegalArgumentException("network container:" + other + " needs root: a rootless container cannot "
                        + "enter another's network namespace (expected another network)");
            }
            io.mdocker.internal.state.ContainerRecord record = runtime.record(other); // read once
            int pid = record.running() ? record.containerPidOfRunning() : -1;
            if (pid <= 0) {
                throw new ContainerException("container " + other + " is not running: network container:" + other
                        + " needs it running");
            }
            joined = new ContainerNetwork.Joined(pid, record.dir());
            if (host == null) {
                host = record.hostname(); // Docker's: the hostname of the container whose network it is
            }
        }
        List<PortProxy.Spec> published = ports.stream()
                .map(p -> new PortProxy.Spec(p.bindAddress(), p.hostPort(), p.containerPort())).toList();
        ContainerNetwork.Plan plan = new ContainerNetwork.Plan(kind, n.bridgeNameOrNull(), n.gatewayIpv4(),
                n.fixedAddressValue(), n.hostIpv4(), n.containerIpv4(), published, n.isUserDefined(), networkAliases,
                hostsEntries(n), new ContainerNetwork.Dns(dns, dnsSearch, dnsOptions), joined);
        SecuritySpec security = new SecuritySpec(capabilities(), privileged, noNewPrivileges,
                privileged ? Optional.of(SeccompProfile.unconfined()) : Optional.ofNullable(seccomp), groups,
                readOnlyRootfs, withShm(tmpfs), ulimits, deviceRules, devices);
        List<Spec.Copy> staged = copies.stream().map(c -> new Spec.Copy(c.source().toFileSource(), c.target())).toList();
        return new Spec(layers, Optional.ofNullable(name), Optional.ofNullable(host), env, workdir, uid, gid,
                binds, staged, stdio.stdin().choice(), stdio.stdout().choice(), stdio.stderr().choice(),
                Optional.ofNullable(stdio.tty()), init, startTimeout, runtime.store(), security, resources.toSpec(),
                plan, n.toString(), labels,
                storageSize == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(storageSize.bytes()),
                userns, stopSignal, Optional.ofNullable(healthcheck).map(h -> new io.mdocker.internal.state.HealthRecord(h.test(),
                        h.interval().toNanos(), h.timeout().toNanos(), h.retries(), h.startPeriod().toNanos())),
                Optional.ofNullable(image));
    }

    List<String> commandOrDefault(String... given) {
        List<String> cmd = given.length > 0 ? List.of(given) : command;
        if (!entrypoint.isEmpty()) {
            List<String> full = new ArrayList<>(entrypoint);
            if (cmd != null) {
                full.addAll(cmd);
            }
            cmd = full;
        }
        if (cmd == null || cmd.isEmpty()) {
            throw new IllegalArgumentException("empty command: give the program to run in the container");
        }
        checkCommand(cmd);
        return cmd;
    }

    /** Overlay lower layers, top-most first. */
    public List<Path> layers() {
        return layers;
    }

    /** The container's name (unique on its runtime's roots while it exists); empty for none. */
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    /** The hostname; empty for the container's short id. */
    public Optional<String> hostname() {
        return Optional.ofNullable(hostname);
    }

    /** The environment the user set (defaults such as PATH are added at start where absent). */
    public Map<String, String> env() {
        return env;
    }

    public String workdir() {
        return workdir;
    }

    public int uid() {
        return uid;
    }

    public int gid() {
        return gid;
    }

    public List<BindMount> binds() {
        return binds;
    }

    /** What is copied into each container's writable layer before it starts, in order. */
    public List<FileCopy> copies() {
        return copies;
    }

    /** The labels (Docker's {@code --label}), in the order set; empty for none. */
    public Map<String, String> labels() {
        return labels;
    }

    public Stdio stdin() {
        return stdio.stdin();
    }

    public Stdio stdout() {
        return stdio.stdout();
    }

    public Stdio stderr() {
        return stdio.stderr();
    }

    /** The size of the command's pseudo-terminal as it starts; empty without one ({@link Builder#tty}). */
    public Optional<TtySize> tty() {
        return Optional.ofNullable(stdio.tty());
    }

    /** Whether mdocker-init is the container's pid 1 (reaping orphans, forwarding signals). */
    public boolean init() {
        return init;
    }

    /** The default command; empty for none. */
    public Optional<List<String>> command() {
        return Optional.ofNullable(command);
    }

    public Duration startTimeout() {
        return startTimeout;
    }

    public ContainerRuntime runtime() {
        return runtime;
    }

    /**
     * The capabilities the command gets (bounding, permitted and effective sets; a non-root user
     * keeps none across exec, as with Docker): all that mdocker itself holds when privileged
     * (ALL means the same), else Docker's
     * defaults with {@code capAdd} added and {@code capDrop} removed (Docker's order: a drop of
     * ALL empties the set before the adds).
     */
    public Set<Capability> capabilities() {
        if (privileged) {
            return SecurityPlan.held();
        }
        EnumSet<Capability> caps = capAddAll ? EnumSet.copyOf(SecurityPlan.held())
                : capDropAll ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(Capability.dockerDefaults());
        caps.removeAll(capDrop);
        caps.addAll(capAdd);
        return Collections.unmodifiableSet(caps);
    }

    /** Docker's --privileged: all capabilities, no seccomp, no masked or read-only paths, /sys writable, all devices. */
    public boolean privileged() {
        return privileged;
    }

    /** Whether a root JVM runs this container in a user namespace with the remap range (see {@link Builder#userns}). */
    public boolean userns() {
        return userns;
    }

    /** Whether no_new_privs is set: exec of a setuid or file-capability binary grants nothing. Default true. */
    public boolean noNewPrivileges() {
        return noNewPrivileges;
    }

    /** The seccomp profile the command runs under (unconfined when privileged). */
    public SeccompProfile seccomp() {
        return privileged ? SeccompProfile.unconfined() : seccomp == null ? SeccompProfile.dockerDefault() : seccomp;
    }

    /** Supplementary group ids of the command (besides its gid). */
    public List<Integer> groups() {
        return groups;
    }

    /** Whether the container's root filesystem is mounted read-only. */
    public boolean readOnlyRootfs() {
        return readOnlyRootfs;
    }

    /** tmpfs mounts: container path -> mount options (on top of noexec,nosuid,nodev). */
    public Map<String, String> tmpfs() {
        return tmpfs;
    }

    /** Resource limits set before the command starts, one per resource. */
    public List<Ulimit> ulimits() {
        return ulimits;
    }

    /** The resource limits (cgroups); {@link Resources#NONE} when none were set. */
    public Resources resources() {
        return resources;
    }

    /** The container's network (default {@link Network#none()}). */
    public Network network() {
        return network;
    }

    /** The names other containers on its user-defined network find it by, besides its name and hostname. */
    public List<String> networkAliases() {
        return networkAliases;
    }

    /**
     * The lines added to the container's {@code /etc/hosts} ({@link Builder#extraHost}), as
     * {@code NAME:ADDRESS} (Docker's {@code HostConfig.ExtraHosts}), in the order given; empty for none.
     */
    public List<String> extraHosts() {
        return extraHosts;
    }

    /** The name servers of the container's {@code /etc/resolv.conf} ({@link Builder#dns}); empty: the host's. */
    public List<String> dns() {
        return dns;
    }

    /** The search domains of the container's {@code /etc/resolv.conf} ({@link Builder#dnsSearch}); empty: the host's. */
    public List<String> dnsSearch() {
        return dnsSearch;
    }

    /** The resolver options of the container's {@code /etc/resolv.conf} ({@link Builder#dnsOption}); empty: the host's. */
    public List<String> dnsOptions() {
        return dnsOptions;
    }

    /** The published ports as asked for (host port 0: any free port). */
    public List<PortMapping> ports() {
        return ports;
    }

    /**
     * The bound on the writable layer ({@link Builder#storageSize}); empty when it is unbounded
     * (the default).
     */
    public Optional<DataSize> storageSize() {
        return Optional.ofNullable(storageSize);
    }

    /** The size of the container's {@code /dev/shm} ({@link Builder#shmSize}); empty for {@link #DEFAULT_SHM_SIZE}. */
    public Optional<DataSize> shmSize() {
        return Optional.ofNullable(shmSize);
    }

    /** Checks the host side again: the rootfs layers and bind sources must exist. */
    private void checkHost() {
        for (Path layer : layers) {
            checkLayer(layer);
        }
        for (BindMount b : binds) {
            if (!Files.exists(b.source())) {
                throw new IllegalArgumentException("bind source " + b.source() + " does not exist");
            }
        }
    }

    private static void checkLayer(Path layer) {
        if (!Files.exists(layer)) {
            throw new IllegalArgumentException("rootfs " + layer + " does not exist: expected a directory holding the container's root filesystem");
        }
        if (!Files.isDirectory(layer)) {
            throw new IllegalArgumentException("rootfs " + layer + " is not a directory");
        }
    }

    /** A command of at least one word, the first non-empty, none holding NUL. */
    static List<String> checkCommand(String... cmd) {
        if (cmd.length == 0) {
            throw new IllegalArgumentException("empty command: give the program to run in the container");
        }
        List<String> c = List.of(cmd);
        checkCommand(c);
        return c;
    }

    private static void checkCommand(List<String> cmd) {
        if (cmd.get(0).isEmpty()) {
            throw new IllegalArgumentException("empty command: the program name is an empty string");
        }
        for (String arg : cmd) {
            noNul("command argument", arg);
        }
    }

    /** An environment variable as the container's (and an exec's) environment takes it. */
    static void checkEnv(String key, String value) {
        Objects.requireNonNull(key, "env key");
        Objects.requireNonNull(value, "env value");
        if (key.isEmpty() || key.indexOf('=') >= 0
                || key.chars().anyMatch(ch -> Character.isWhitespace(ch) || Character.isISOControl(ch))) {
            throw new IllegalArgumentException("invalid environment variable name '" + key
                    + "': expected a non-empty name without '=', spaces or control characters");
        }
        noNul("environment variable " + key, key + value);
    }

    /** {@code KEY=VALUE} split at its first '='. */
    static String[] splitEnv(String keyEqualsValue) {
        int eq = keyEqualsValue.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("invalid environment variable '" + keyEqualsValue + "': expected KEY=VALUE");
        }
        return new String[] {keyEqualsValue.substring(0, eq), keyEqualsValue.substring(eq + 1)};
    }

    /** A working directory: an absolute path without NUL. */
    static String checkWorkdir(String dir) {
        Objects.requireNonNull(dir, "workdir");
        if (!dir.startsWith("/")) {
            throw new IllegalArgumentException("invalid working directory '" + dir + "': expected an absolute path");
        }
        noNul("working directory", dir);
        return dir;
    }

    /** {@code UID[:GID]} with numeric ids (GID defaults to UID), as {uid, gid}. */
    static int[] parseUser(String spec) {
        String[] parts = spec.split(":", -1);
        try {
            if (parts.length > 2) {
                throw new NumberFormatException();
            }
            int u = Integer.parseInt(parts[0]);
            int g = parts.length == 2 ? Integer.parseInt(parts[1]) : u;
            return checkUser(u, g);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid user '" + spec + "': expected UID[:GID] with numeric ids");
        }
    }

    static int[] checkUser(int uid, int gid) {
        if (uid < 0 || gid < 0) {
            throw new IllegalArgumentException("invalid user " + uid + ":" + gid + ": expected non-negative ids");
        }
        return new int[] {uid, gid};
    }

    /**
     * A mount over /proc (or /dev) would replace the container's own, which its masked and
     * read-only paths, device nodes and ptys are: refused as runc refuses anything but proc on
     * /proc. {@code target} is compared in its normal form ("/proc/", "//proc/." are /proc).
     */
    private static void refuseSystemMount(String what, String target, String... refused) {
        String normal = java.nio.file.Path.of(target).normalize().toString();
        for (String r : refused) {
            if (normal.equals(r)) {
                throw new IllegalArgumentException("invalid " + what + " target '" + target + "': " + r
                        + " is the container's own " + (r.equals("/proc") ? "proc file system" : "device directory")
                        + " and cannot be replaced");
            }
        }
    }

    private static void noNul(String what, String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " '" + value.replace("\0", "\\0") + "' contains a NUL byte");
        }
    }

    private static final String SHM = "/dev/shm";

    /** Builds a {@link Container}; every setter checks its value at once. Not thread-safe. */
    public static final class Builder {
        private final List<Path> layers = new ArrayList<>();
        private String name;
        private String hostname;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String workdir = "/";
        private int uid;
        private int gid;
        private final List<BindMount> binds = new ArrayList<>();
        private StdioStreams stdio = StdioStreams.PIPES;
        private boolean init = true;
        private List<String> command;
        private Duration startTimeout = Duration.ofSeconds(30);
        private ContainerRuntime runtime = ContainerRuntime.defaults();
        private final Set<Capability> capAdd = EnumSet.noneOf(Capability.class);
        private final Set<Capability> capDrop = EnumSet.noneOf(Capability.class);
        private boolean capAddAll;
        private boolean capDropAll;
        private boolean privileged;
        private boolean userns;
        private boolean noNewPrivileges = true;
        /** Null: Docker's default (see the container's field). */
        private SeccompProfile seccomp;
        private final List<Integer> groups = new ArrayList<>();
        private boolean readOnlyRootfs;
        private final Map<String, String> tmpfs = new LinkedHashMap<>();
        private final Map<String, Ulimit> ulimits = new LinkedHashMap<>();
        private Resources resources = Resources.NONE;
        private Network network = Network.none();
        private final List<String> networkAliases = new ArrayList<>();
        private final List<String> extraHosts = new ArrayList<>();
        private final List<String> dns = new ArrayList<>();
        private final List<String> dnsSearch = new ArrayList<>();
        private final List<String> dnsOptions = new ArrayList<>();
        private final List<PortMapping> ports = new ArrayList<>();
        private final List<FileCopy> copies = new ArrayList<>();
        private final Map<String, String> labels = new LinkedHashMap<>();
        private DataSize storageSize;
        private DataSize shmSize;
        private String image;
        private PullPolicy pullPolicy = PullPolicy.MISSING;
        private PullOptions pullOptions = PullOptions.defaults();
        private List<String> entrypoint;
        private boolean workdirSet;
        private boolean userSet;
        private String userSpec;
        /** The number of the signal given, 0 for the image's (SIGTERM without one). */
        private int stopSignal;
        private Healthcheck healthcheck;
        private boolean publishAllExposed;
        private final List<DeviceNode> devices = new ArrayList<>();
        private final List<DeviceRules.Rule> deviceCgroupRules = new ArrayList<>();

        private Builder() {}

        private Builder(Container c) {
            layers.addAll(c.layers);
            name = c.name;
            hostname = c.hostname;
            env.putAll(c.env);
            workdir = c.workdir;
            uid = c.uid;
            gid = c.gid;
            binds.addAll(c.binds);
            copies.addAll(c.copies);
            labels.putAll(c.labels);
            stdio = c.stdio;
            init = c.init;
            command = c.command;
            startTimeout = c.startTimeout;
            runtime = c.runtime;
            capAdd.addAll(c.capAdd);
            capDrop.addAll(c.capDrop);
            capAddAll = c.capAddAll;
            capDropAll = c.capDropAll;
            privileged = c.privileged;
            userns = c.userns;
            noNewPrivileges = c.noNewPrivileges;
            seccomp = c.seccomp;
            groups.addAll(c.groups);
            readOnlyRootfs = c.readOnlyRootfs;
            tmpfs.putAll(c.tmpfs);
            c.ulimits.forEach(u -> ulimits.put(u.name(), u));
            resources = c.resources;
            network = c.network;
            networkAliases.addAll(c.networkAliases);
            extraHosts.addAll(c.extraHosts);
            dns.addAll(c.dns);
            dnsSearch.addAll(c.dnsSearch);
            dnsOptions.addAll(c.dnsOptions);
            ports.addAll(c.ports); // an image's exposed ports included: this builder has the layers, not the image
            storageSize = c.storageSize;
            shmSize = c.shmSize;
            entrypoint = c.entrypoint.isEmpty() ? null : c.entrypoint;
            pullPolicy = c.pullPolicy;
            pullOptions = c.pullOptions;
            stopSignal = c.stopSignal; // the image's included, as for its other settings
            healthcheck = c.healthcheck;
            devices.addAll(c.devices);
            deviceCgroupRules.addAll(c.deviceCgroupRules);
            workdirSet = true;
            userSet = true;
        }

        /** The root filesystem: one directory, the overlay's only lower layer. It is never written. */
        public Builder rootfs(Path rootfs) {
            return layers(List.of(rootfs));
        }

        /** Several read-only layers, top-most first (as overlayfs' lowerdir lists them). */
        public Builder layers(List<Path> topFirst) {
            image = null;
            if (topFirst.isEmpty()) {
                throw new IllegalArgumentException("rootfs: at least one layer is needed");
            }
            List<Path> checked = new ArrayList<>();
            for (Path p : topFirst) {
                Path abs = Objects.requireNonNull(p, "layer").toAbsolutePath().normalize();
                String s = abs.toString();
                for (char bad : new char[] {':', ',', '\\', '\0'}) {
                    if (s.indexOf(bad) >= 0) {
                        throw new IllegalArgumentException("rootfs " + s + " contains '" + (bad == 0 ? "\\0" : bad)
                                + "', which an overlayfs layer path cannot");
                    }
                }
                checkLayer(abs);
                checked.add(abs);
            }
            layers.clear();
            layers.addAll(checked);
            return this;
        }

        /**
         * A name for the container, as Docker's {@code --name}: while the container exists no other
         * container on the same state roots (of any process) can have it, and {@link
         * ContainerRuntime#attach}, {@link ContainerRuntime#inspect}, {@link ContainerRuntime#exec}
         * and the CLI accept it where they take an id. A letter or digit, then letters, digits,
         * '_', '.' or '-'. Default: none. Starting a container whose name is held fails with
         * {@link ContainerException} before anything is created.
         */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (!io.mdocker.internal.state.StateStore.validName(name)) {
                throw new IllegalArgumentException("invalid container name '" + name + "': expected a letter or digit, "
                        + "then letters, digits, '_', '.' or '-' (2 to 255 characters)");
            }
            this.name = name;
            return this;
        }

        /** The hostname: RFC 1123 labels, at most 64 characters. Default: the container's short id. */
        public Builder hostname(String name) {
            Objects.requireNonNull(name, "hostname");
            if (name.length() > 64 || !HOSTNAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid hostname '" + name
                        + "': expected letters, digits, '-' and '.', at most 64 characters, not starting or ending with '-'");
            }
            hostname = name;
            return this;
        }

        /** Sets one environment variable, replacing an earlier value. */
        public Builder env(String key, String value) {
            checkEnv(key, value);
            env.put(key, value);
            return this;
        }

        /** Parses {@code KEY=VALUE} (the CLI's {@code -e}). */
        public Builder env(String keyEqualsValue) {
            String[] kv = splitEnv(keyEqualsValue);
            return env(kv[0], kv[1]);
        }

        /** The working directory inside the container, an absolute path; created if missing. */
        public Builder workdir(String dir) {
            workdir = checkWorkdir(dir);
            workdirSet = true;
            return this;
        }

        /** The numeric user and group the command runs as (default 0:0). */
        public Builder user(int uid, int gid) {
            checkUser(uid, gid);
            this.uid = uid;
            this.gid = gid;
            userSet = true;
            userSpec = null;
            return this;
        }

        /**
         * Parses {@code UID[:GID]} with numeric ids (GID defaults to UID); after
         * {@link #image(String)} also {@code NAME[:GROUP]}, resolved from the image's /etc/passwd
         * and /etc/group as Docker does (when the container is built).
         */
        public Builder user(String spec) {
            Objects.requireNonNull(spec, "user");
            if (image != null && spec.matches("[A-Za-z_][A-Za-z0-9_.-]*(:[A-Za-z0-9_.-]+)?|\\d+:[A-Za-z_][A-Za-z0-9_.-]*")) {
                userSpec = spec;
                userSet = true;
                return this;
            }
            int[] ids = parseUser(spec);
            return user(ids[0], ids[1]);
        }

        /**
         * The root filesystem and defaults of a stored image ({@link ImageStore}): its layers, and
         * its Entrypoint, Cmd, Env, WorkingDir, User and Labels, each overridden by this builder's
         * own {@link #entrypoint}, {@link #command}, {@link #env}, {@link #workdir}, {@link #user}
         * and {@link #label} as Docker's flags override them. The image is looked up when the
         * container is built ({@link #pullPolicy}): one not in the store is an
         * {@link IllegalArgumentException} naming it. Replaces {@link #rootfs}/{@link #layers}.
         */
        public Builder image(String reference) {
            io.mdocker.internal.image.ImageReference.parse(Objects.requireNonNull(reference, "image"));
            image = reference;
            layers.clear();
            return this;
        }

        /**
         * How {@link #image(String)} pulls its image when the policy has it pulled: credentials,
         * insecure registries, a progress listener ({@link ImageStore#pull(String, PullOptions)});
         * default {@link PullOptions#defaults()}.
         */
        public Builder pullOptions(PullOptions options) {
            pullOptions = Objects.requireNonNull(options, "pullOptions");
            return this;
        }

        /** When {@link #image(String)} pulls its image (default {@link PullPolicy#MISSING}). */
        public Builder pullPolicy(PullPolicy policy) {
            pullPolicy = Objects.requireNonNull(policy, "pullPolicy");
            return this;
        }

        /**
         * Docker's {@code --health-cmd} and its companions: the healthcheck that
         * {@link Wait#forHealthcheck()} and {@link ContainerHandle#runHealthchecks()} run, replacing
         * the image's; a test of {@code ["NONE"]} turns the image's off ({@code --no-healthcheck}).
         *
         * @throws IllegalArgumentException a test that is not {@code CMD} with a program,
         *         {@code CMD-SHELL} with a command or {@code NONE}; an interval or timeout not
         *         positive, a start period negative, retries below 1
         */
        public Builder healthcheck(Healthcheck check) {
            Objects.requireNonNull(check, "healthcheck");
            if (!check.disabled()) {
                check.command(); // refuses a test of another shape, naming it
                if (check.interval().isNegative() || check.interval().isZero() || check.timeout().isNegative()
                        || check.timeout().isZero() || check.startPeriod().isNegative() || check.retries() < 1) {
                    throw new IllegalArgumentException("healthcheck " + check.test() + ": interval " + check.interval()
                            + ", timeout " + check.timeout() + ", retries " + check.retries() + ", start period "
                            + check.startPeriod() + ": expected interval and timeout above 0, retries 1 or more, a start period 0 or more");
                }
            }
            healthcheck = check;
            return this;
        }

        /**
         * Docker's {@code --stop-signal}: the signal {@code stop} sends first, before SIGKILL at
         * the end of its grace period. Without it, the image's StopSignal, else SIGTERM.
         */
        public Builder stopSignal(Signal signal) {
            stopSignal = Objects.requireNonNull(signal, "stopSignal").number();
            return this;
        }

        /**
         * Docker's {@code --entrypoint}: run before the command, replacing the image's
         * Entrypoint; with none given, the image's Cmd is not used either. No arguments: none.
         */
        public Builder entrypoint(String... program) {
            entrypoint = program.length == 0 ? List.of() : checkCommand(program);
            return this;
        }

        /** Binds a host path (which must exist) read-write at {@code target} in the container. */
        public Builder bind(Path source, String target) {
            return bind(new BindMount(source, target, false));
        }

        /**
         * Binds a host path (which must exist) read-only at {@code target} in the container, with
         * every mount below it read-only too ({@link BindMount.Access#READ_ONLY}).
         */
        public Builder bindReadOnly(Path source, String target) {
            return bind(new BindMount(source, target, true));
        }

        public Builder bind(BindMount mount) {
            Path src = mount.source().toAbsolutePath().normalize();
            if (!Files.exists(src)) {
                throw new IllegalArgumentException("bind source " + src + " does not exist");
            }
            String t = mount.target();
            if (!t.startsWith("/") || t.equals("/") || t.replace("/", "").isEmpty()) {
                throw new IllegalArgumentException("invalid bind target '" + t + "': expected an absolute path below /");
            }
            noNul("bind target", t);
            noNul("bind source", src.toString());
            refuseSystemMount("bind", t, "/proc");
            binds.add(new BindMount(src, t, mount.access()));
            return this;
        }

        /**
         * Copies the host file, directory tree or symbolic link {@code source} (which must exist)
         * to {@code target} in each container before its command starts: into the container's
         * own writable layer, so the image is never changed. Mode bits are kept; missing parent
         * directories get the image's mode for them (0755 where the image has none).
         */
        public Builder copyIn(Path source, String target) {
            copies.add(new FileCopy(source, target));
            return this;
        }

        /**
         * Copies {@code source} (a host path, or one file's content from bytes, a string or a
         * classpath resource with its mode: {@link CopySource}) to {@code target} in each container
         * before its command starts, into its writable layer as {@link #copyIn(Path, String)} does.
         * Copies are made in the order given; a later one replaces what an earlier one wrote.
         */
        public Builder copyIn(CopySource source, String target) {
            copies.add(new FileCopy(source, target));
            return this;
        }

        /**
         * Sets label {@code key} to {@code value}, replacing an earlier value (Docker's {@code --label}).
         * Labels are recorded with the container's state: {@link ContainerHandle#labels()},
         * {@link ContainerInfo#labels()} and {@link ContainerRuntime#list(ContainerFilter...)} show
         * them to any process on the same roots. The key must be non-empty, without '=', NUL or
         * line breaks; the value may be any text.
         */
        public Builder label(String key, String value) {
            Labels.check(key, value);
            labels.put(key, value);
            return this;
        }

        /** Parses {@code KEY=VALUE}, or {@code KEY} alone for an empty value (the CLI's {@code -l}, as Docker's). */
        public Builder label(String keyEqualsValue) {
            String[] kv = Labels.parse(keyEqualsValue);
            return label(kv[0], kv[1]);
        }

        /** Sets every label of {@code labels} as {@link #label(String, String)} does, each checked first. */
        public Builder labels(Map<String, String> labels) {
            Objects.requireNonNull(labels, "labels");
            labels.forEach(Labels::check);
            this.labels.putAll(labels);
            return this;
        }

        /** stdin, as {@link Stdio} describes (default {@link Stdio#pipe()}; anything but a sink). */
        public Builder stdin(Stdio s) {
            stdio = stdio.withStdin(s);
            return this;
        }

        /** stdout, as {@link Stdio} describes (default {@link Stdio#pipe()}). */
        public Builder stdout(Stdio s) {
            stdio = stdio.withStdout(s);
            return this;
        }

        /** stderr, as {@link Stdio} describes (default {@link Stdio#pipe()}). */
        public Builder stderr(Stdio s) {
            stdio = stdio.withStderr(s);
            return this;
        }

        /** All three streams from this JVM's own descriptors (a CLI's terminal). */
        public Builder inheritIO() {
            stdio = stdio.inherited();
            return this;
        }

        /**
         * Whether the command gets a pseudo-terminal (Docker's {@code -t}; default false): opened in
         * the container's own devpts, it is the command's stdin, stdout and stderr and the
         * controlling terminal of its session, so {@code tty} prints {@code /dev/pts/0}, {@code ^C}
         * written to it interrupts the foreground process group, and programs see a terminal.
         * Java holds the master: {@code stdin()} writes to it, {@code stdout()} reads what it shows
         * (stderr included; {@code stderr()} has nothing); neither stream may be
         * {@link Stdio#inherit()}. Its size is {@link TtySize#DEFAULT} unless {@link #ttySize} says
         * otherwise. Not for a detached container ({@link Container#startDetached}
         * refuses it).
         */
        public Builder tty(boolean enabled) {
            stdio = stdio.withTty(enabled);
            return this;
        }

        /** A pseudo-terminal ({@link #tty}) of {@code rows} x {@code columns}, 1 to 65535 each. */
        public Builder ttySize(int rows, int columns) {
            stdio = stdio.withTtySize(rows, columns);
            return this;
        }

        /** Whether mdocker-init stays as pid 1 to reap orphans and forward signals (default true). */
        public Builder init(boolean enabled) {
            init = enabled;
            return this;
        }

        /** The command {@code start()} and {@code run()} use when called without one. */
        public Builder command(String... cmd) {
            command = checkCommand(cmd);
            return this;
        }

        /** How long the container's setup may take before start fails (default 30 s). */
        public Builder startTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("invalid start timeout " + timeout + ": expected a positive duration");
            }
            startTimeout = timeout;
            return this;
        }

        /** Adds capabilities to Docker's default set (a later {@link #capDrop} of one removes it again). */
        public Builder capAdd(Capability... caps) {
            for (Capability c : caps) {
                capAdd.add(Objects.requireNonNull(c, "capability"));
                capDrop.remove(c);
            }
            return this;
        }

        /** Adds capabilities by name ({@code NET_ADMIN}, {@code CAP_SYS_TIME}, or {@code ALL}), as --cap-add. */
        public Builder capAdd(String... names) {
            for (String n : names) {
                if (n.trim().equalsIgnoreCase("ALL")) {
                    capAddAll = true;
                } else {
                    capAdd(Capability.parse(n));
                }
            }
            return this;
        }

        /** Removes capabilities from the set (a later {@link #capAdd} of one adds it again). */
        public Builder capDrop(Capability... caps) {
            for (Capability c : caps) {
                capDrop.add(Objects.requireNonNull(c, "capability"));
                capAdd.remove(c);
            }
            return this;
        }

        /** Removes capabilities by name, or {@code ALL}, as --cap-drop. */
        public Builder capDrop(String... names) {
            for (String n : names) {
                if (n.trim().equalsIgnoreCase("ALL")) {
                    capDropAll = true;
                } else {
                    capDrop(Capability.parse(n));
                }
            }
            return this;
        }

        /**
         * Docker's --privileged: every capability, no seccomp filter, no masked or read-only
         * /proc paths, a writable /sys, no device restriction. For containers that must manage the
         * host; never for code you do not trust.
         */
        public Builder privileged(boolean enabled) {
            privileged = enabled;
            return this;
        }

        /**
         * Docker's {@code --device HOST[:CONTAINER][:PERMISSIONS]}: the host's device node
         * {@code HOST} (a character or block device; a symbolic link is followed) made in the
         * container at {@code CONTAINER} (default: the same path, which must lie under /dev), with the
         * host node's permission bits and owner, and the container's device cgroup allowing it
         * {@code PERMISSIONS}, some of r (read), w (write), m (mknod), default {@code rwm}. The node's
         * numbers are read now. The container needs root without a user namespace (mknod); with
         * {@link #privileged} every device is allowed anyway.
         *
         * @throws IllegalArgumentException when HOST is not a device node, CONTAINER is not a path
         *                                  under /dev, or PERMISSIONS is not letters of rwm
         */
        public Builder device(String spec) {
            String[] parts = spec.split(":", -1);
            String host = parts[0];
            String target = host;
            String permissions = "rwm";
            if (parts.length == 3) {
                target = parts[1];
                permissions = parts[2];
            } else if (parts.length == 2) {
                if (parts[1].matches("[rwm]+")) {
                    permissions = parts[1];
                } else {
                    target = parts[1];
                }
            } else if (parts.length != 1) {
                throw new IllegalArgumentException("device '" + spec + "': expected HOST[:CONTAINER][:PERMISSIONS], "
                        + "e.g. /dev/fuse or /dev/fuse:/dev/fuse:rw");
            }
            if (host.isEmpty()) {
                throw new IllegalArgumentException("device '" + spec + "': the host path is empty (expected HOST[:CONTAINER][:PERMISSIONS])");
            }
            return device(Path.of(host), target.isEmpty() ? host : target, permissions);
        }

        /**
         * {@link #device(String)} with its parts apart: the host's device node {@code hostDevice} made at
         * {@code containerPath} (under /dev), allowed {@code permissions} (some of r, w, m).
         *
         * @throws IllegalArgumentException when a value is not what {@link #device(String)} says
         */
        public Builder device(Path hostDevice, String containerPath, String permissions) {
            Objects.requireNonNull(hostDevice, "hostDevice");
            Map<String, Object> a;
            try {
                a = Files.readAttributes(hostDevice, "unix:mode,rdev,uid,gid");
            } catch (java.io.IOException | UnsupportedOperationException e) {
                throw new IllegalArgumentException("device " + hostDevice + ": cannot read it (" + e.getMessage()
                        + "): expected a device node of this host");
            }
            int mode = (Integer) a.get("mode");
            int type = mode & 0170000;
            if (type != DeviceNode.S_IFCHR && type != DeviceNode.S_IFBLK) {
                throw new IllegalArgumentException("device " + hostDevice + " is not a character or block device");
            }
            Path target = Path.of(containerPath).normalize();
            if (!containerPath.startsWith("/dev/") || !target.toString().equals(containerPath) || target.getNameCount() < 2) {
                throw new IllegalArgumentException("device " + hostDevice + ": container path '" + containerPath
                        + "' (expected an absolute, normalized path under /dev)");
            }
            if (!permissions.matches("[rwm]+")) {
                throw new IllegalArgumentException("device " + hostDevice + ": permissions '" + permissions
                        + "' (expected one or more of r, w, m)");
            }
            long rdev = (Long) a.get("rdev");
            int major = (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
            int minor = (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
            devices.add(new DeviceNode(type, major, minor, mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"),
                    containerPath));
            deviceCgroupRules.add(new DeviceRules.Rule(true, type == DeviceNode.S_IFCHR ? 'c' : 'b', major, minor, permissions));
            return this;
        }

        /**
         * Docker's {@code --device-cgroup-rule}: the container's device cgroup allows {@code rule}
         * too, written as the cgroup v1 devices.allow file takes it: {@code TYPE MAJOR:MINOR ACCESS},
         * type a (all), b or c, {@code *} for any number, access some of r, w, m; e.g.
         * {@code c 10:229 rwm}. It applies to a node the container has or makes (see
         * {@link #device} for one of the host's); the same rules on cgroup v1 and v2.
         *
         * @throws IllegalArgumentException naming the rule and what was expected
         */
        public Builder deviceCgroupRule(String rule) {
            deviceCgroupRules.add(DeviceRules.Rule.parse(true, rule));
            return this;
        }

        /**
         * Runs the container in a user namespace of its own even when this JVM is root, as Docker's
         * userns-remap does: root inside is the first id of a subordinate range outside, an
         * unprivileged nobody on the host. The range is that of the user named by the system property
         * {@code mdocker.userns.user} (default {@code dockremap}) in /etc/subuid and /etc/subgid;
         * without one the start is refused in one line naming what to add. Files of host root (the
         * image's layers among them) show as 65534 (nobody) inside and are read-only to the
         * container. Rootless (a JVM that is not root) every container has a user namespace anyway.
         * Default false.
         */
        public Builder userns(boolean enabled) {
            userns = enabled;
            return this;
        }

        /** Sets no_new_privs (default true; Docker's default is false, --security-opt no-new-privileges). */
        public Builder noNewPrivileges(boolean enabled) {
            noNewPrivileges = enabled;
            return this;
        }

        /** The seccomp profile (default {@link SeccompProfile#dockerDefault()}; {@link SeccompProfile#unconfined()} for none). */
        public Builder seccomp(SeccompProfile profile) {
            seccomp = Objects.requireNonNull(profile, "seccomp profile");
            return this;
        }

        /** Adds supplementary groups for the command (Docker's --group-add, numeric). */
        public Builder groupAdd(int... gids) {
            for (int g : gids) {
                if (g < 0) {
                    throw new IllegalArgumentException("invalid supplementary group " + g + ": expected a non-negative id");
                }
                if (!groups.contains(g)) {
                    groups.add(g);
                }
            }
            if (groups.size() > 65536) {
                throw new IllegalArgumentException(groups.size() + " supplementary groups: at most 65536 (NGROUPS_MAX)");
            }
            return this;
        }

        /** Mounts the root filesystem read-only (Docker's --read-only); pair with {@link #tmpfs} for scratch space. */
        public Builder readOnlyRootfs(boolean enabled) {
            readOnlyRootfs = enabled;
            return this;
        }

        /** A tmpfs at {@code target} with Docker's default options (noexec, nosuid, nodev). */
        public Builder tmpfs(String target) {
            return tmpfs(target, "");
        }

        /** A tmpfs at {@code target} with mount options, as {@code --tmpfs /run:rw,size=64m,exec}. */
        public Builder tmpfs(String target, String options) {
            Objects.requireNonNull(target, "tmpfs target");
            Objects.requireNonNull(options, "tmpfs options");
            if (!target.startsWith("/") || target.replace("/", "").isEmpty()) {
                throw new IllegalArgumentException("invalid tmpfs target '" + target + "': expected an absolute path below /");
            }
            noNul("tmpfs target", target);
            noNul("tmpfs options", options);
            refuseSystemMount("tmpfs", target, "/proc", "/dev");
            io.mdocker.internal.security.MountOptions.tmpfs(target, options); // checks every word now
            String normal = java.nio.file.Path.of(target).normalize().toString();
            tmpfs.put(normal.equals(SHM) ? SHM : target, options); // /dev/shm's in the form pid 1 knows it by
            return this;
        }

        /** Sets a resource limit, replacing an earlier one for the same resource. */
        public Builder ulimit(Ulimit limit) {
            ulimits.put(limit.name(), limit);
            return this;
        }

        /** Parses {@code name=soft[:hard]}, as --ulimit nofile=1024:2048. */
        public Builder ulimit(String spec) {
            return ulimit(Ulimit.parse(spec));
        }

        /** The state roots to use (default {@link ContainerRuntime#defaults()}). */
        public Builder runtime(ContainerRuntime rt) {
            runtime = Objects.requireNonNull(rt, "runtime");
            return this;
        }

        /**
         * Bounds the container's writable layer (what it writes to its root filesystem) to
         * {@code size}, from {@link #MIN_STORAGE_SIZE} to
         * {@link #MAX_STORAGE_SIZE} (Docker's {@code --storage-opt size=}): a write beyond it fails
         * with ENOSPC. Where the state root's filesystem has project quotas (XFS mounted with
         * {@code pquota}, ext4 with the {@code project} feature mounted with {@code prjquota}),
         * the layer stays on it under a quota of its own; elsewhere it is a tmpfs of that size,
         * which holds its files in memory (charged to the container's memory limit, and gone once
         * the container exits, also for a detached one; files copied in before the start stay on
         * disk and do not count). Which of the two a start uses, and why, is in the failure message
         * of a refused start, the state record's {@code storage} key and a DEBUG line of the logger
         * {@code io.mdocker.internal.run.ContainerStart}; docs/security.md explains both. Default:
         * unbounded.
         */
        public Builder storageSize(DataSize size) {
            Objects.requireNonNull(size, "storage size");
            if (size.bytes() < MIN_STORAGE_SIZE.bytes() || size.bytes() > MAX_STORAGE_SIZE.bytes()) {
                throw new IllegalArgumentException("invalid storage size " + size + " (" + size.bytes()
                        + " bytes): expected " + MIN_STORAGE_SIZE + " to " + MAX_STORAGE_SIZE);
            }
            storageSize = size;
            return this;
        }

        /**
         * The size of the container's {@code /dev/shm} (Docker's {@code --shm-size}, Testcontainers'
         * {@code withSharedMemorySize}; default {@link Container#DEFAULT_SHM_SIZE}), a tmpfs whose
         * pages count against the container's memory limit as they are used. {@link #build()}
         * refuses it together with a {@link #tmpfs} on {@code /dev/shm}, which sets it too.
         *
         * @throws IllegalArgumentException when {@code size} is less than 4 KiB
         */
        public Builder shmSize(DataSize size) {
            Objects.requireNonNull(size, "shm size");
            if (size.bytes() < 4096) {
                throw new IllegalArgumentException("invalid shm size " + size + " (" + size.bytes()
                        + " bytes): expected at least 4k");
            }
            shmSize = size;
            return this;
        }

        /** The memory limit, at least 6 MiB; swap is limited so that it holds (see {@link #memorySwap}). */
        public Builder memory(DataSize limit) {
            return memory(limit.bytes());
        }

        /** The memory limit in bytes, at least 6 MiB. */
        public Builder memory(long bytes) {
            resources = resources.withMemory(bytes);
            return this;
        }

        /**
         * Memory plus swap, at least the memory limit (Docker's --memory-swap). Default: equal to
         * the memory limit, so the container gets no swap and its memory limit really holds.
         */
        public Builder memorySwap(DataSize limit) {
            return memorySwap(limit.bytes());
        }

        /** Memory plus swap in bytes; -1 for unlimited swap. */
        public Builder memorySwap(long bytes) {
            resources = resources.withMemorySwap(bytes);
            return this;
        }

        /** CPU time as a number of cores, 0.01 up to this host's CPU count (0.5: half of one core). */
        public Builder cpus(double cores) {
            resources = resources.withCpus(cores);
            return this;
        }

        /** Relative CPU weight on cgroup v1's scale, 2..262144 (default 1024); converted on v2. */
        public Builder cpuShares(long shares) {
            resources = resources.withCpuShares(shares);
            return this;
        }

        /** Relative CPU weight on cgroup v2's scale, 1..10000 (default 100); converted on v1. */
        public Builder cpuWeight(long weight) {
            resources = resources.withCpuWeight(weight);
            return this;
        }

        /** The CPUs the container may run on, such as "0" or "0-2,4". */
        public Builder cpusetCpus(String cpus) {
            resources = resources.withCpusetCpus(cpus);
            return this;
        }

        /** The memory nodes (NUMA) the container may allocate on, such as "0" or "0-1". */
        public Builder cpusetMems(String nodes) {
            resources = resources.withCpusetMems(nodes);
            return this;
        }

        /** The most processes (threads included) the container may have, its init among them. */
        public Builder pidsLimit(long max) {
            resources = resources.withPidsLimit(max);
            return this;
        }

        /**
         * Where the container's cgroup is made: an absolute path ("/batch") from each hierarchy's
         * root, a relative one ("batch") below the JVM's own cgroup. The directories of it that
         * are missing are created, and removed again, when empty, once the container is gone (an
         * existing one is never removed). Default: {@code mdocker} below the JVM's cgroup on v1, {@code /mdocker}
         * on v2.
         */
        public Builder cgroupParent(String parent) {
            resources = resources.withCgroupParent(parent);
            return this;
        }

        /** All resource limits at once, replacing those set so far. */
        public Builder resources(Resources r) {
            resources = Objects.requireNonNull(r, "resources");
            return this;
        }

        /** The container's network: {@link Network#none()} (default), host, bridge or veth. */
        public Builder network(Network n) {
            network = Objects.requireNonNull(n, "network");
            return this;
        }

        /**
         * Adds a name the other containers on its user-defined bridge network find this one by
         * (Docker's {@code --network-alias}), besides its name and hostname; repeatable. A hostname:
         * RFC 1123 labels, at most 64 characters. {@link #build()} refuses it without such a network.
         */
        public Builder networkAlias(String alias) {
            Objects.requireNonNull(alias, "alias");
            if (alias.length() > 64 || !HOSTNAME.matcher(alias).matches()) {
                throw new IllegalArgumentException("invalid network alias '" + alias
                        + "': expected a hostname (letters, digits and '-' in dot-separated labels, at most 64 characters)");
            }
            if (!networkAliases.contains(alias)) {
                networkAliases.add(alias);
            }
            return this;
        }

        /**
         * Adds a line to the container's {@code /etc/hosts} (Docker's {@code --add-host NAME:ADDRESS},
         * Testcontainers' {@code withExtraHost}): {@code address} is an IPv4 or IPv6 literal, or
         * {@value Container#HOST_GATEWAY} for the host's address on the container's network (the bridge's
         * gateway, the veth pair's host end). The lines come after the localhost lines and before
         * the container's own, in the order given; repeatable, also for one name. On a
         * user-defined bridge the container gets a hosts file of its own that still lists the
         * network's members. {@link #build()} refuses {@value Container#HOST_GATEWAY} on a network without
         * a host address (none, host, pasta).
         *
         * @throws IllegalArgumentException a name that is not a hostname, or an address that is
         *                                  neither a literal nor {@value Container#HOST_GATEWAY}
         */
        public Builder extraHost(String name, String address) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(address, "address");
            if (name.length() > 253 || !HOSTS_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid extra host name '" + name + "': expected a hostname (letters, "
                        + "digits, '-' and '_' in dot-separated labels, at most 253 characters)");
            }
            if (!address.equals(HOST_GATEWAY) && !isAddressLiteral(address)) {
                throw new IllegalArgumentException("invalid address '" + address + "' for extra host " + name
                        + ": expected an IPv4 or IPv6 address or " + HOST_GATEWAY);
            }
            String entry = name + ":" + address;
            if (!extraHosts.contains(entry)) {
                extraHosts.add(entry);
            }
            return this;
        }

        /**
         * Adds a name server to the container's {@code /etc/resolv.conf} (Docker's {@code --dns});
         * repeatable, in order. Once one is given, the host's name servers are left out. The file
         * keeps the host's other lines (search domains, options) unless {@link #dnsSearch} or
         * {@link #dnsOption} replace them; on network none the container gets such a file too.
         * Nothing is sent to the server by mdocker.
         *
         * @throws IllegalArgumentException when {@code server} is not an IPv4 or IPv6 address
         */
        public Builder dns(String server) {
            Objects.requireNonNull(server, "server");
            if (!isAddressLiteral(server)) {
                throw new IllegalArgumentException("invalid DNS server '" + server + "': expected an IPv4 or IPv6 address");
            }
            if (!dns.contains(server)) {
                dns.add(server);
            }
            return this;
        }

        /**
         * Adds a search domain to the container's {@code /etc/resolv.conf} (Docker's
         * {@code --dns-search}); repeatable, in order, replacing the host's. {@code "."} alone
         * means none: the file has no search line.
         *
         * @throws IllegalArgumentException when {@code domain} is neither a domain name nor {@code "."}
         */
        public Builder dnsSearch(String domain) {
            Objects.requireNonNull(domain, "domain");
            String d = domain.length() > 1 && domain.endsWith(".") ? domain.substring(0, domain.length() - 1) : domain;
            if (!d.equals(".") && (d.length() > 253 || !HOSTNAME.matcher(d).matches())) {
                throw new IllegalArgumentException("invalid DNS search domain '" + domain + "': expected a domain name "
                        + "(letters, digits and '-' in dot-separated labels) or '.' for none");
            }
            if (!dnsSearch.contains(d)) {
                dnsSearch.add(d);
            }
            return this;
        }

        /**
         * Adds a resolver option to the container's {@code /etc/resolv.conf} (Docker's
         * {@code --dns-option}, such as {@code ndots:2}); repeatable, in order, replacing the host's.
         *
         * @throws IllegalArgumentException when {@code option} is empty or holds a space or control character
         */
        public Builder dnsOption(String option) {
            Objects.requireNonNull(option, "option");
            if (!option.matches("[!-~]+")) {
                throw new IllegalArgumentException("invalid DNS option '" + option + "': expected a resolver option "
                        + "such as ndots:2 (printable, without spaces)");
            }
            if (!dnsOptions.contains(option)) {
                dnsOptions.add(option);
            }
            return this;
        }

        /**
         * Docker's {@code -P}: publishes each TCP port the image exposes (its ExposedPorts) on a
         * free port of 127.0.0.1, after the ports {@link #publish}ed (which win for their container
         * port); {@link #ports()} and {@code mappedPort(port)} tell them. Needs {@link #image} and
         * a network with an address (bridge, veth) or pasta.
         */
        public Builder publishAllExposed() {
            publishAllExposed = true;
            return this;
        }

        /** Publishes {@code containerPort} on {@code hostPort} (0: any free port) of every host address. */
        public Builder publish(int hostPort, int containerPort) {
            return publish(new PortMapping(PortMapping.ANY_ADDRESS, hostPort, containerPort));
        }

        /** Publishes {@code containerPort} on {@code hostPort} (0: any free port) of the host address {@code hostIp}. */
        public Builder publish(String hostIp, int hostPort, int containerPort) {
            return publish(new PortMapping(Objects.requireNonNull(hostIp, "hostIp"), hostPort, containerPort));
        }

        /** Parses Docker's {@code -p}: {@code 8080:80}, {@code 127.0.0.1:0:80}, {@code 80} ... */
        public Builder publish(String spec) {
            return publish(PortMapping.parse(spec));
        }

        public Builder publish(PortMapping mapping) {
            Objects.requireNonNull(mapping, "mapping");
            for (PortMapping p : ports) {
                if (p.hostPort() != 0 && p.hostPort() == mapping.hostPort()
                        && (p.bindAddress() == null || mapping.bindAddress() == null || p.hostIp().equals(mapping.hostIp()))) {
                    throw new IllegalArgumentException("host port " + mapping.hostPort() + " is published twice ("
                            + p + " and " + mapping + "): expected each host port once");
                }
            }
            ports.add(mapping);
            return this;
        }

        public Container build() {
            if (layers.isEmpty() && image == null) {
                throw new IllegalArgumentException("no rootfs: call rootfs(dir) with the container's root filesystem");
            }
            resources.checkCombination();
            if (!ports.isEmpty() && !network.hasAddress() && network.mode() != Network.Mode.PASTA) {
                throw new IllegalArgumentException("published port " + ports.get(0) + " needs a bridge, veth or pasta network, "
                        + "but the network is " + network + ": expected network(Network.bridge()) or no published ports");
            }
            if (!networkAliases.isEmpty() && !network.isUserDefined()) {
                throw new IllegalArgumentException("network alias " + networkAliases.get(0) + " needs a user-defined bridge "
                        + "network, but the network is " + network + ": expected network(Network.bridge(NAME, CIDR)) or no alias");
            }
            if (network.mode() == Network.Mode.CONTAINER) {
                String refused = hostname != null ? "a hostname (" + hostname + ")"
                        : !extraHosts.isEmpty() ? "extra hosts" : !dns.isEmpty() || !dnsSearch.isEmpty() || !dnsOptions.isEmpty()
                        ? "DNS settings" : userns ? "a user namespace" : null;
                if (refused != null) {
                    throw new IllegalArgumentException(refused + " with network " + network + ": a container on another's "
                            + "network has that container's (as in Docker); expected one of them");
                }
            }
            if (shmSize != null && tmpfs.containsKey(SHM)) {
                throw new IllegalArgumentException("shm size " + shmSize + " and a tmpfs on " + SHM + ": expected one of them "
                        + "(both set /dev/shm)");
            }
            if (!network.hasAddress()) {
                for (String h : extraHosts) {
                    if (h.endsWith(":" + HOST_GATEWAY)) {
                        throw new IllegalArgumentException("extra host " + h + " needs a network with a host address (bridge "
                                + "or veth), but the network is " + network + ": expected an address instead of " + HOST_GATEWAY);
                    }
                }
            }
            return new Container(this);
        }

        /** {@code build().run(command)}. */
        public ExecResult run(String... command) {
            return build().run(command);
        }

        /** {@code build().start(command)}. */
        public RunningContainer start(String... command) {
            return build().start(command);
        }

        /** {@code build().startDetached(command)}. */
        public DetachedContainer startDetached(String... command) {
            return build().startDetached(command);
        }
    }
}
