package io.mdocker.internal.run;

import io.mdocker.BindMount;
import io.mdocker.ContainerException;
import io.mdocker.PortMapping;
import io.mdocker.internal.HostResource;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.cgroup.Delegation;
import io.mdocker.internal.cgroup.MonitorCgroups;
import io.mdocker.internal.fs.ContainerDirs;
import io.mdocker.internal.fs.ContainerFiles;
import io.mdocker.internal.fs.LayerLimit;
import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.MonitorPool;
import io.mdocker.internal.process.OutputLog;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.process.UserNamespace;
import io.mdocker.internal.security.DeviceNode;
import io.mdocker.internal.security.DevicesCgroupV1;
import io.mdocker.internal.security.SecurityPlan;
import io.mdocker.internal.state.ContainerRecord;
import io.mdocker.internal.state.ExecRecord;
import io.mdocker.internal.state.StateStore;
import io.mdocker.internal.sys.Namespaces;
import io.mdocker.internal.sys.RandomBytes;
import io.mdocker.internal.sys.SelfIds;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The start sequence of a container (sync numbers as in protocol.h): validate against the host;
 * take a monitor (mdocker-init), whose pid 1 already exists in its new namespaces (sync 1 PID,
 * read as it was spawned); record the state, create the directories, stage the definition's
 * copies into the writable layer; sync 2 CONFIG, with which pid 1 builds its filesystem while
 * this JVM does the host-side setup (cgroups, network); sync 3 GO; sync 4 STARTED or ERROR.
 * Every failure leaves nothing behind: what was made is closed in reverse order.
 *
 * <p>One instance per start, used by one thread.
 */
public final class ContainerStart {
    /** Bytes of recent output lines a started container's log keeps. */
    public static final int LOG_CAPACITY = 256 * 1024;
    /** How long a failed host-side setup waits for an ERROR pid 1 may have sent about its own. */
    private static final long SETUP_ERROR_WAIT_MILLIS = 200;

    /** How the container is used once started. */
    public enum Mode {
        /** run(): output captured, the caller waits for the end. */
        RUN,
        /** start(): a handle of this JVM, piped output kept in a log. */
        START,
        /** startDetached(): output to log files, the container outlives this JVM. */
        DETACHED,
        /**
         * A warm pool's sandbox ({@link SandboxPool}): set up to the command, which CLAIM brings
         * later; its monitor is spawned for it with its three streams on unbound pipes.
         */
        PARK
    }

    private final Spec spec;
    /** A root JVM's remapped container: its range, read in run(); null otherwise. */
    private UserNamespace.Remap remap;
    private final List<String> command;
    private final Mode mode;
    /** Rootless with limits: the cgroup delegated to the user, where the container's cgroup goes. */
    private Path delegated;

    private ContainerStart(Spec spec, List<String> command, Mode mode) {
        this.spec = spec;
        this.command = List.copyOf(command);
        this.mode = mode;
    }

    /**
     * Throws unless this process can create containers: as root, or rootless (any other user) where
     * the host allows unprivileged user namespaces and overlay in them (one line naming the setting).
     */
    public static void requireRoot() {
        int euid = SelfIds.euid();
        if (euid != 0) {
            UserNamespace.unavailable().ifPresent(why -> {
                throw new ContainerException("mdocker runs rootless here (uid " + euid + "), but " + why);
            });
        }
    }

    /**
     * Rootless: what a user namespace without root on the host cannot give, refused before anything
     * exists; the id maps are read (and newuidmap looked for) here too.
     */
    private void checkRootless() {
        ContainerNetwork.Kind kind = spec.network().kind();
        boolean named = kind == ContainerNetwork.Kind.BRIDGE && spec.network().userDefined();
        if (kind == ContainerNetwork.Kind.VETH || (kind == ContainerNetwork.Kind.BRIDGE && !named)) {
            throw new IllegalArgumentException("network " + spec.networkText() + " needs root (its veth pairs and bridge "
                    + "live in the host's network namespace): a rootless container has network none, host, pasta or a "
                    + "named network, Network.bridge(NAME, CIDR)");
        }
        if (named && detached()) {
            throw new IllegalArgumentException("rootless network " + spec.network().bridge() + " lives as long as this JVM "
                    + "holds it open: a detached container, which outlives the JVM, cannot join it (run it attached, or "
                    + "on network none, host or pasta)");
        }
        if (spec.cgroups().parent() != null) {
            throw new IllegalArgumentException("cgroup parent " + spec.cgroups().parent() + " is for root: a rootless "
                    + "container's cgroup goes below the cgroup delegated to its user (drop cgroupParent)");
        }
        if (!spec.cgroups().required().isEmpty()) { // one line naming the missing delegation or controller
            delegated = Delegation.check(CgroupLayout.host(), CgroupFs.REAL, SelfIds.euid(), spec.cgroups().required());
        }
        UserNamespace.IdMaps maps = UserNamespace.maps();
        if (spec.uid() > maps.maxUid() || spec.gid() > maps.maxGid()) {
            throw new IllegalArgumentException("user " + spec.uid() + ":" + spec.gid() + " does not exist in a rootless "
                    + "container here, whose user namespace maps " + maps.describe() + ": "
                    + (maps.single() ? "add subordinate ids for this user to /etc/subuid and /etc/subgid, or "
                    : "") + "run as a mapped id");
        }
    }

    /**
     * Starts {@code command} as {@code spec} says and returns once it runs (sync 4): in a parked
     * sandbox of a {@link SandboxPool} that serves {@code spec} when one is ready, else from the start.
     *
     * @throws IllegalArgumentException when the definition does not fit the host (before anything exists)
     * @throws ContainerException       when a step fails (everything made is removed first)
     */
    public static Session start(Spec spec, List<String> command, Mode mode) {
        Optional<Session> pooled = SandboxPool.claimMatching(spec, command, mode); // a warm pool's sandbox, when one serves spec
        if (pooled.isPresent()) {
            return pooled.get();
        }
        return new ContainerStart(spec, command, mode).run();
    }

    /**
     * Sets up a sandbox of {@code spec} up to its command (PARKED instead of STARTED) for the warm
     * pool; {@link SandboxPool#claim} gives it its command. Its stdio is bound then too.
     */
    static Session park(Spec spec) {
        return new ContainerStart(spec, List.of(), Mode.PARK).run();
    }

    /**
     * Starts a detached container and hands it over (see {@link Session#handOver}); returns its id.
     * {@code release} runs when its monitor exits while this JVM lives.
     */
    public static String startDetached(Spec spec, List<String> command, Runnable release) {
        Session s = start(spec, command, Mode.DETACHED);
        s.handOver(release);
        return s.id();
    }

    private boolean detached() {
        return mode == Mode.DETACHED;
    }

    private Session run() {
        long t0 = System.nanoTime();
        if ((detached() || mode == Mode.PARK) && spec.tty().isPresent()) {
            throw new IllegalArgumentException("a detached container cannot have a tty (" + spec.tty().get()
                    + "): nothing would hold its terminal; drop tty() or run it attached");
        }
        requireRoot();
        boolean rootless = UserNamespace.rootless();
        if (!spec.security().devices().isEmpty() && (rootless || spec.userns())) { // mknod needs the host's root
            throw new IllegalArgumentException("device " + spec.security().devices().get(0).path() + " needs a container "
                    + "of root without a user namespace (mknod is refused in one): drop device(...) or run as root without userns");
        }
        if (rootless) {
            checkRootless();
        } else if (spec.userns()) { // root remapped: the range, and the user inside it, before anything exists
            remap = UserNamespace.remap();
            if (spec.uid() >= remap.uids().count() || spec.gid() >= remap.gids().count()) {
                throw new IllegalArgumentException("user " + spec.uid() + ":" + spec.gid()
                        + " does not exist in the container's user namespace (" + remap.describe()
                        + "): expected a uid and gid below the range's size");
            }
        }
        // Inherited streams: passed only as pipes, sockets, terminals or /dev/null (a regular
        // file as stdout or stderr is relayed, anything else refused), before anything exists.
        StreamChoice stdinChoice = detached() ? spec.stdin() : InheritedStdio.resolve(spec.stdin(), 0);
        StreamChoice stdoutChoice = detached() ? spec.stdout() : InheritedStdio.resolve(spec.stdout(), 1);
        StreamChoice stderrChoice = detached() ? spec.stderr() : InheritedStdio.resolve(spec.stderr(), 2);
        if (spec.name().isPresent()) { // the usual conflict, before anything exists; recording the state claims it
            String holder = spec.store().nameHolder(spec.name().get());
            if (holder != null) {
                throw new ContainerException(StateStore.NameInUseException.message(spec.name().get(), holder));
            }
        }
        // capabilities, no_new_privs, seccomp, rlimits, groups: the command's and every exec's
        Protocol.ConfigWriter identity = new Protocol.ConfigWriter();
        SecurityPlan.writeIdentity(spec.security(), identity, spec.store().libRoot());
        // The writable layer's bound: a project quota or a tmpfs, decided before anything exists.
        LayerLimit layerLimit = planLayerLimit();
        // Checks the network plan against the host and binds published ports (an attached container's;
        // a detached one's monitor binds them, below): before anything exists.
        ContainerNetwork network = prepareNetwork();
        String id = HexFormat.of().formatHex(randomBytes());
        // Checked against the host's cgroup layout before anything exists; recorded with the state.
        ContainerCgroups cgroups;
        try {
            if (rootless && delegated != null) { // the JVM leaves the delegated cgroup before any monitor is forked
                Delegation.enterLeaf(CgroupFs.REAL, delegated, ProcessHandle.current().pid());
                cgroups = ContainerCgroups.planDelegated(CgroupLayout.host(), delegated, spec.cgroups(), id, CgroupFs.REAL);
            } else {
                cgroups = rootless ? ContainerCgroups.none(CgroupLayout.host(), CgroupFs.REAL) // no limits: no cgroup
                        : ContainerCgroups.plan(CgroupLayout.host(), spec.cgroups(), id, CgroupFs.REAL);
            }
        } catch (UncheckedIOException e) {
            network.close();
            throw new ContainerException("detecting the cgroup layout: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            network.close();
            throw e;
        }
        // Host-side resources, made before anything runs and closed in reverse order.
        List<HostResource> resources = new ArrayList<>();
        resources.add(network);
        boolean forRun = mode == Mode.RUN;
        ByteArrayOutputStream out = forRun && stdoutChoice.kind() == StreamChoice.Kind.PIPE
                ? new ByteArrayOutputStream() : null;
        // With a tty, stdout and stderr are one stream: the terminal's, read as stdout.
        ByteArrayOutputStream err = forRun && stderrChoice.kind() == StreamChoice.Kind.PIPE && spec.tty().isEmpty()
                ? new ByteArrayOutputStream() : null;
        // A started (attached) container's piped output is drained into a bounded log, which
        // stdout()/stderr() read from.
        OutputLog log = mode == Mode.START && (stdoutChoice.kind() == StreamChoice.Kind.PIPE
                || stderrChoice.kind() == StreamChoice.Kind.PIPE) ? new OutputLog(LOG_CAPACITY) : null;
        // Detached: the monitor replaces the three streams with /dev/null and the log files.
        InitProcess.StdioPlan stdio = detached()
                ? new InitProcess.StdioPlan(Redirect.DISCARD, Redirect.DISCARD, null, Redirect.DISCARD, null)
                : new InitProcess.StdioPlan(stdinChoice.stdinRedirect(forRun),
                        stdoutChoice.redirect(out), stdoutChoice.sinkOr(out),
                        stderrChoice.redirect(err), stderrChoice.sinkOr(err), log, spec.tty().isPresent());
        // The monitor comes first (usually ready-made, from the pool) so that the state record
        // names it in one write. It has made nothing yet, and exits by itself should this JVM die
        // before the record exists.
        InitProcess init;
        try {
            long nsflags = Namespaces.container(network.ownNamespace(), remap != null);
            if (network.holder().isPresent()) { // a rootless named network: pid 1 in its holder's user namespace
                init = mode == Mode.PARK ? InitProcess.spawnUnboundInHolder(nsflags, network.holder().get())
                        : InitProcess.spawnInHolder(stdio, nsflags, network.holder().get());
            } else {
                init = mode == Mode.PARK ? InitProcess.spawnUnbound(nsflags) : MonitorPool.take(stdio, nsflags);
            }
        } catch (RuntimeException e) {
            network.close();
            throw SetupErrors.wrap("starting mdocker-init", e);
        }
        // A detached container's published ports: bound by its monitor, which outlives this JVM (and
        // a rootless named network's: its monitor, in the holder's network namespace, reaches the bridge).
        if (!network.monitorPorts().isEmpty()) {
            try {
                network.boundByMonitor(MonitorPorts.bind(init, network.monitorPorts(), spec.startTimeout().toMillis()));
            } catch (RuntimeException e) {
                discardMonitor(init, network);
                throw e instanceof IllegalArgumentException || e instanceof ContainerException ? e
                        : SetupErrors.wrap("publishing the ports of a detached container", e);
            }
        }
        // What exec needs, recorded with the state so that other processes can exec in too.
        List<Path> execCgroups = new ArrayList<>(cgroups.dirs());
        if (!rootless) {
            DevicesCgroupV1.plannedPath(id, spec.security().deviceRules()).ifPresent(execCgroups::add);
        }
        ExecRecord execBasis = ExecRecord.basis(execCgroups, spec.uid(), spec.gid(), spec.workdir(),
                environment(id.substring(0, 12)), identity.records());
        StateStore.Entry entry;
        try {
            entry = spec.store().create(id, stateInfo(network, cgroups, execBasis, layerLimit), init.pid());
        } catch (StateStore.NameInUseException e) { // claimed by another process since the check above
            discardMonitor(init, network);
            throw new ContainerException(e.getMessage(), e);
        } catch (RuntimeException e) {
            discardMonitor(init, network);
            throw SetupErrors.wrap("recording container " + id.substring(0, 12), e);
        }
        Session s = new Session(new Session.Parts(id, spec.name(), spec.labels(), command, entry, resources, network, init, t0,
                out, err, log, spec.tty().isPresent(), cgroups.dirs(), execBasis, spec.stopSignal()));
        try {
            setUp(s, cgroups, layerLimit);
            if (mode != Mode.RUN && mode != Mode.PARK) { // run() replenishes after its teardown, on the cleanup thread
                MonitorPool.replenish(init.nsflags());
            }
            return s;
        } catch (RuntimeException | Error e) {
            if (mode != Mode.PARK) { // a sandbox's monitor was not the monitor pool's
                MonitorPool.replenish(init.nsflags());
            }
            s.close();
            if (e instanceof ContainerException || e instanceof IllegalArgumentException) {
                throw e;
            }
            throw SetupErrors.wrap("starting container " + s.shortId(), e);
        }
    }

    /** Once the state entry exists: the network, the writable layer's copies, CONFIG, cgroups, GO. */
    private void setUp(Session s, ContainerCgroups cgroups, LayerLimit layerLimit) {
        ContainerNetwork network = s.network();
        try {
            network.create(s.id(), s.entry().dir(), spec.name(), hostname(s), spec.layers());
        } catch (RuntimeException e) {
            throw SetupErrors.wrap("setting up the network of container " + s.shortId(), e);
        }
        // Where there is no v1 devices controller, the monitor attaches a device BPF program to
        // the container's v2 cgroup instead, as GO arrives (CONFIG record DEVCGROUP).
        // Rootless, the devices are the host's nodes bound in, which the user's rights already cover.
        boolean rootless = UserNamespace.rootless();
        // Nor does a rootless container mount a cgroup file system of its own (its delegated cgroup
        // is written from outside, by this JVM).
        Path deviceCgroupV2 = !spec.security().deviceRules().allowsAll() && !rootless && DevicesCgroupV1.mountPoint().isEmpty()
                ? cgroups.v2Dir().orElse(null) : null;
        List<ContainerCgroups.Mount> cgroupMounts = rootless ? new ArrayList<>()
                : new ArrayList<>(cgroups.containerMounts());
        if (!spec.security().deviceRules().allowsAll() && !rootless) { // the v1 devices cgroup made below, when this host has one
            DevicesCgroupV1.containerMount().ifPresent(cgroupMounts::add);
        }
        // Before CONFIG: pid 1 mounts the overlay as soon as it has it, and the upper dir must
        // not change under a mounted overlay.
        boundLayer(s, layerLimit);
        stageCopies(s);
        if (rootless) { // from outside, before pid 1 does anything with its ids (a pooled pid 1's are)
            try {
                if (!s.init().idMapped()) {
                    UserNamespace.maps().write(s.pid());
                }
            } catch (RuntimeException e) {
                throw SetupErrors.wrap("writing the id maps of container " + s.shortId(), e);
            }
        } else if (remap != null) { // root remapped: the writable layer is root's inside, and the maps
            try {
                // pid 1 mounts the overlay and the network's /etc files as the range's root: it
                // must reach them (the directories on the way 0710 with the range's group, as
                // Docker's remapped root reaches /var/lib/docker) and own the writable layer
                ContainerDirs dirs = s.entry().dirs();
                // (the image store's too: its layers are the overlay's lower directories)
                for (Path dir : List.of(dirs.root().getParent(), spec.store().libRoot().resolve("net"),
                        spec.store().runRoot().resolve("net"), s.entry().dir().getParent(), s.entry().dir(),
                        spec.store().libRoot().resolve("images"))) {
                    if (Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                        Files.setAttribute(dir, "unix:gid", (int) remap.gids().start(), LinkOption.NOFOLLOW_LINKS);
                        Files.setAttribute(dir, "unix:mode", 0710, LinkOption.NOFOLLOW_LINKS);
                    }
                }
                for (Path dir : List.of(dirs.root(), dirs.upper(), dirs.work())) {
                    Files.setAttribute(dir, "unix:uid", (int) remap.uids().start(), LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(dir, "unix:gid", (int) remap.gids().start(), LinkOption.NOFOLLOW_LINKS);
                }
                remap.write(s.pid());
            } catch (IOException e) {
                throw new ContainerException("handing the writable layer of container " + s.shortId()
                        + " to the remapped root: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw SetupErrors.wrap("writing the id maps of container " + s.shortId(), e);
            }
        }
        send(s, config(s, deviceCgroupV2, cgroupMounts, layerLimit)); // sync 2: pid 1 builds its filesystem meanwhile
        try {
            cgroups.create(); // removes what it made when it fails
        } catch (RuntimeException e) {
            throw SetupErrors.wrap("creating the cgroups of container " + s.shortId(), e);
        }
        s.resources().add(cgroups);
        if (!rootless) { // the devices cgroup, joined by pid 1 before GO
            DevicesCgroupV1.create(s.id(), spec.security().deviceRules()).ifPresent(s.resources()::add);
        }
        if (detached() && !rootless) { // out of this process's cgroup: its service's end must not end the container
            s.resources().add(MonitorCgroups.forDetached(CgroupLayout.host(), CgroupFs.REAL, s.init().pid(),
                    cgroups.dirs()));
        }
        enterAndGo(s);
    }

    private ContainerNetwork prepareNetwork() {
        try {
            return ContainerNetwork.prepare(spec.network(), spec.store().runRoot(), spec.store().libRoot(), !detached());
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ContainerException("checking the network " + spec.networkText() + ": " + e.getMessage(), e);
        }
    }

    /** The bound on the writable layer, or null for none; refused in one line where it cannot hold. */
    private LayerLimit planLayerLimit() {
        if (spec.storageBytes().isEmpty()) {
            return null;
        }
        try {
            return LayerLimit.plan(spec.store().libRoot(), spec.storageBytes().getAsLong());
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ContainerException("checking how to bound the writable layer to " + spec.storageBytes().getAsLong()
                    + " bytes under " + spec.store().libRoot() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Bounds the writable layer before anything is written to it: a project quota is set now
     * (and removed with the container, or from its record by whoever removes it); a tmpfs layer
     * gets the empty directory pid 1 mounts it on.
     */
    private static void boundLayer(Session s, LayerLimit limit) {
        if (limit == null) {
            return;
        }
        ContainerDirs dirs = s.entry().dirs();
        System.getLogger(ContainerStart.class.getName()).log(System.Logger.Level.DEBUG,
                "container " + s.shortId() + ": writable layer bounded to " + limit.bytes() + " bytes by " + limit.why());
        try {
            if (limit.kind() == LayerLimit.Kind.PROJECT_QUOTA) {
                Path libRoot = dirs.root().getParent();
                s.resources().add(new HostResource() { // a detached container's stays until rm
                    @Override
                    public void attach(int pid) {
                    }

                    @Override
                    public void close() {
                        LayerLimit.release(libRoot, limit.projectId());
                    }
                });
                limit.apply(dirs);
            } else {
                Files.createDirectory(dirs.layer());
            }
        } catch (IOException | RuntimeException e) {
            throw new ContainerException("bounding the writable layer of container " + s.shortId() + " by "
                    + limit.why() + ": " + e.getMessage(), e);
        }
    }

    private Map<String, String> stateInfo(ContainerNetwork network, ContainerCgroups cgroups, ExecRecord execBasis,
                                          LayerLimit layerLimit) {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("command", String.join(" ", command));
        info.put("rootfs", spec.layers().toString());
        spec.image().ifPresent(i -> info.put(ContainerRecord.IMAGE, i));
        spec.hostname().ifPresent(h -> info.put(ContainerRecord.HOSTNAME, h));
        info.put(ContainerRecord.NETWORK, network.mode());
        spec.name().ifPresent(n -> info.put(ContainerRecord.NAME, n));
        spec.labels().forEach((k, v) -> info.put(ContainerRecord.LABEL_PREFIX + k, v)); // Properties escapes any text
        info.putAll(cgroups.stateInfo());
        info.putAll(execBasis.stateInfo(spec.store().runRoot()));
        spec.healthcheck().ifPresent(h -> info.putAll(h.stateInfo()));
        if (spec.stopSignal() != Signalling.SIGTERM) {
            info.put(ContainerRecord.STOP_SIGNAL, Integer.toString(spec.stopSignal()));
        }
        if (detached()) {
            info.put("detached", "true");
        }
        if (layerLimit != null) {
            info.put(LayerLimit.RECORD_KEY, layerLimit.recordValue());
        }
        if (!network.ports().isEmpty()) {
            info.put(ContainerRecord.PORTS, String.join(",", network.ports().stream()
                    .map(p -> new PortMapping(p.hostIp() == null ? PortMapping.ANY_ADDRESS : p.hostIp(), p.hostPort(), p.containerPort()).toString()).toList()));
        }
        return info;
    }

    /** Before the state record exists: the monitor (which has made nothing) and the network plan go. */
    private static void discardMonitor(InitProcess init, ContainerNetwork network) {
        MonitorPool.replenish(init.nsflags());
        init.killMonitor();
        init.monitorStatus().join();
        init.close();
        network.close();
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[32];
        RandomBytes.fill(b);
        return b;
    }

    /**
     * Copies the definition's files into the writable layer, before pid 1 mounts the overlay;
     * parent directories the copy makes take the mode the image gives them.
     */
    private void stageCopies(Session s) {
        if (spec.copies().isEmpty()) {
            return;
        }
        try (ContainerFiles upper = ContainerFiles.open(s.entry().dirs().upper(), s.shortId(), this::imageDirectory)) {
            for (Spec.Copy copy : spec.copies()) {
                upper.copyIn(copy.source(), copy.target());
            }
        }
    }

    /** The directory {@code path} in the topmost image layer that has it; a symbolic link there is refused. */
    private Optional<ContainerFiles.FileMeta> imageDirectory(String path) {
        for (Path layer : spec.layers()) {
            Path p = layer.resolve(path.substring(1));
            try {
                ContainerFiles.FileMeta meta = ContainerFiles.FileMeta.of(p, LinkOption.NOFOLLOW_LINKS);
                if (meta.isSymbolicLink()) {
                    throw new IllegalArgumentException("cannot copy below " + path + ": it is a symbolic link in the image; "
                            + "copy to the path it points to");
                }
                return meta.isDirectory() ? Optional.of(meta) : Optional.empty();
            } catch (NoSuchFileException e) {
                // not in this layer
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Optional.empty();
    }

    /** sync 2: CONFIG, which pid 1 (cloned with the monitor, sync 1) builds its filesystem with. */
    private java.nio.ByteBuffer config(Session s, Path deviceCgroupV2, List<ContainerCgroups.Mount> cgroupMounts,
                                       LayerLimit layerLimit) {
        ContainerDirs dirs = s.entry().dirs();
        ContainerNetwork network = s.network();
        ExecRecord exec = s.execRecordUnchecked();
        Protocol.ConfigWriter config = new Protocol.ConfigWriter();
        for (String arg : command) {
            config.string(Protocol.T_ARG, arg);
        }
        for (Map.Entry<String, String> e : exec.env().entrySet()) {
            config.string(Protocol.T_ENV, e.getKey() + "=" + e.getValue());
        }
        boolean tmpfsLayer = layerLimit != null && layerLimit.kind() == LayerLimit.Kind.TMPFS;
        if (tmpfsLayer && !spec.copies().isEmpty()) { // the files copied in before the start, on disk
            config.string(Protocol.T_LOWER, dirs.upper().toString());
        }
        for (Path layer : network.layers()) { // the binds' mount points, above the image
            config.string(Protocol.T_LOWER, layer.toString());
        }
        for (Path layer : spec.layers()) {
            config.string(Protocol.T_LOWER, layer.toString());
        }
        if (tmpfsLayer) { // pid 1 mounts the tmpfs and makes upper and work in it
            config.layerfs(dirs.layer().toString(), 0, layerLimit.tmpfsData());
        }
        config.string(Protocol.T_UPPER, (tmpfsLayer ? dirs.layer().resolve("upper") : dirs.upper()).toString())
                .string(Protocol.T_WORK, (tmpfsLayer ? dirs.layer().resolve("work") : dirs.work()).toString())
                .string(Protocol.T_MERGED, dirs.merged().toString())
                .string(Protocol.T_HOSTNAME, hostname(s))
                .string(Protocol.T_CWD, spec.workdir())
                .u32(Protocol.T_UID, spec.uid())
                .u32(Protocol.T_GID, spec.gid())
                .u64(Protocol.T_NSFLAGS, s.init().nsflags())
                .u32(Protocol.T_INIT, spec.init() ? 1 : 0);
        // another container's network namespace: pid 1 enters it before its mounts (sysfs then shows its interfaces)
        network.joined().ifPresent(j -> config.joinNamespace(j.type(), j.netns()));
        for (ContainerNetwork.Bind b : network.binds()) { // /etc/hosts etc.: the user's binds may cover them
            config.bind(b.source().toString(), b.target(), Protocol.BIND_READONLY); // single files
        }
        for (BindMount b : spec.binds()) {
            config.bind(b.source().toString(), b.target(), switch (b.access()) {
                case READ_WRITE -> 0;
                case READ_ONLY -> Protocol.BIND_READONLY | Protocol.BIND_RECURSIVE;
                case READ_ONLY_NON_RECURSIVE -> Protocol.BIND_READONLY;
            });
        }
        if (deviceCgroupV2 != null) {
            config.string(Protocol.T_DEVCGROUP, deviceCgroupV2.toString());
            if (!spec.security().deviceRules().isDefault()) { // else the monitor's own program, the same rules
                config.bytes(Protocol.T_DEVPROG, spec.security().deviceRules().bpfProgram());
            }
        }
        for (DeviceNode d : spec.security().devices()) {
            config.device(d.type(), d.major(), d.minor(), d.mode(), d.uid(), d.gid(), d.path());
        }
        if (!network.monitorPorts().isEmpty()) { // where the monitor's published ports lead
            config.bytes(Protocol.T_FORWARD, network.addressBytes());
        }
        spec.tty().ifPresent(t -> config.tty(t.rows(), t.columns()));
        if (mode == Mode.PARK) { // pid 1 stops after GO; CLAIM brings the command
            config.u32(Protocol.T_PARK, 1);
        }
        if (detached()) {
            config.string(Protocol.T_DETACH, s.entry().exitFile().toString())
                    .string(Protocol.T_STDOUT, s.entry().stdoutLog().toString())
                    .string(Protocol.T_STDERR, s.entry().stderrLog().toString());
        }
        config.records(exec.identity()); // capabilities, no_new_privs, seccomp, rlimits, groups
        SecurityPlan.writeMounts(spec.security(), config); // masked and read-only paths, tmpfs
        SecurityPlan.writeCgroupMounts(spec.security(), cgroupMounts, config); // mounted in the cgroup namespace
        return config.message();
    }

    /** Host-side setup (pid 1 into its cgroups, its network), then sync 3 GO and sync 4 STARTED. */
    private void enterAndGo(Session s) {
        // Nothing the user asked for runs before GO.
        try {
            for (HostResource r : s.resources()) {
                r.attach(s.pid());
            }
        } catch (RuntimeException e) {
            throw setupFailure(s, e);
        }
        send(s, Protocol.go()); // sync 3
        if (mode == Mode.RUN && spec.tty().isEmpty() && s.init().hasExitChannel()) {
            // run() waits for the EXIT on the exit channel, and reads sync 4 only when that ends
            // without one (Session.awaitResult): the wake-up for STARTED is not on its path.
            // Not with a tty, whose master comes through the sync socket before STARTED.
            s.awaitStartWithExit(spec.startTimeout().toMillis());
            return;
        }
        // sync 4: the command runs (a sandbox: it is parked), or ERROR
        expect(s, spec.startTimeout().toMillis(), mode == Mode.PARK ? Protocol.MSG_PARKED : Protocol.MSG_STARTED);
        if (mode != Mode.PARK) { // a parked sandbox's is PARKED's, which its claim may wait on
            s.init().dropExitChannel();
        }
    }

    /**
     * A host-side setup failure, or what pid 1 reported when it failed its own setup first and
     * exited (which is why its pid could not join a cgroup): its ERROR then says what happened.
     */
    private static RuntimeException setupFailure(Session s, RuntimeException e) {
        try {
            Protocol.Message m = s.init().receive(SETUP_ERROR_WAIT_MILLIS);
            if (m != null && m.type() == Protocol.MSG_ERROR) {
                ContainerException reported = SetupErrors.of(m.int32(0), m.int32(1), m.text(2));
                reported.addSuppressed(e);
                return reported;
            }
        } catch (InitProcess.ProtocolTimeoutException | ContainerException ignored) {
            // pid 1 reported nothing: the host-side failure is the story
        }
        return e;
    }

    static void send(Session s, java.nio.ByteBuffer message) {
        if (!s.init().send(message)) {
            throw new ContainerException("mdocker-init of container " + s.shortId() + " exited during setup"
                    + MonitorStatus.text(s.init()));
        }
    }

    static void expect(Session s, long timeoutMillis, int type) {
        expect(s, timeoutMillis, timeoutMillis, type);
    }

    /** {@link #expect}, once {@code waitedMillis} have passed already: a message not queued now is a timeout. */
    static void expectQueued(Session s, long waitedMillis, int type) {
        expect(s, 0, waitedMillis, type);
    }

    private static void expect(Session s, long timeoutMillis, long reportedMillis, int type) {
        Protocol.Message m;
        try {
            m = s.init().receive(timeoutMillis);
        } catch (InitProcess.ProtocolTimeoutException e) {
            throw new ContainerException("container " + s.shortId() + " did not finish its setup within "
                    + reportedMillis + " ms");
        }
        if (m == null) {
            throw new ContainerException("mdocker-init of container " + s.shortId() + " exited during setup"
                    + MonitorStatus.text(s.init()));
        }
        if (m.type() == Protocol.MSG_ERROR) {
            throw SetupErrors.of(m.int32(0), m.int32(1), m.text(2));
        }
        if (m.type() != type) {
            throw new ContainerException("mdocker-init sent message " + m.type() + " where " + type + " was expected");
        }
    }

    /** The environment: PATH, HOSTNAME and HOME where the definition does not set them. */
    private Map<String, String> environment(String shortId) {
        return environment(spec, shortId);
    }

    /** {@code spec}'s environment for the container {@code shortId}: PATH, HOSTNAME and HOME where it does not set them. */
    static Map<String, String> environment(Spec spec, String shortId) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", Spec.DEFAULT_PATH);
        env.put("HOSTNAME", spec.hostname().orElse(shortId));
        env.put("HOME", Spec.defaultHome(spec.uid()));
        env.putAll(spec.env());
        return env;
    }

    private String hostname(Session s) {
        return spec.hostname().orElse(s.shortId());
    }
}
