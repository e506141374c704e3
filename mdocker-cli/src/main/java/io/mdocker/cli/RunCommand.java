package io.mdocker.cli;

import io.mdocker.BindMount;
import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.ContainerException;
import io.mdocker.ContainerRuntime;
import io.mdocker.DataSize;
import io.mdocker.DetachedContainer;
import io.mdocker.Network;
import io.mdocker.PortMapping;
import io.mdocker.RunningContainer;
import io.mdocker.SeccompProfile;
import io.mdocker.Signal;
import io.mdocker.Stdio;
import io.mdocker.TtySize;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;

/** {@code mdocker run}: one container in the foreground, its stdio on this terminal; or detached ({@code -d}). */
final class RunCommand implements Callable<Integer> {
    /** The model, built by {@link #commandLine}; read by {@link #read} when the command runs. */
    private CommandSpec spec;

    Path rootfs;
    String entrypoint;
    String pull;
    String stopSignal;
    String name;
    String hostname;
    ProcessOptions process = new ProcessOptions();
    HealthOptions health = new HealthOptions();
    List<String> labels = new ArrayList<>();
    List<Path> labelFiles = new ArrayList<>();
    List<String> volumes = new ArrayList<>();
    List<String> mounts = new ArrayList<>();
    boolean detach;
    boolean remove;
    boolean noInit;
    boolean init;
    Path cidfile;
    boolean interactive;
    boolean tty;
    // security: Docker's flags, Docker's defaults except no-new-privileges (on)
    List<String> capAdd = new ArrayList<>();
    List<String> capDrop = new ArrayList<>();
    boolean privileged;
    List<String> devices = new ArrayList<>();
    List<String> deviceCgroupRules = new ArrayList<>();
    String userns = "host";
    List<String> securityOpts = new ArrayList<>();
    List<String> storageOpts = new ArrayList<>();
    List<Integer> groupAdd = new ArrayList<>();
    boolean readOnly;
    List<String> tmpfs = new ArrayList<>();
    List<String> ulimits = new ArrayList<>();
    String memory;
    String shmSize;
    String memorySwap;
    Double cpus;
    Long cpuShares;
    String cpusetCpus;
    String cpusetMems;
    Long pidsLimit;
    String cgroupParent;
    String network;
    List<String> networkAliases = new ArrayList<>();
    List<String> addHosts = new ArrayList<>();
    List<String> dns = new ArrayList<>();
    List<String> dnsSearch = new ArrayList<>();
    List<String> dnsOptions = new ArrayList<>();
    List<String> publish = new ArrayList<>();
    boolean publishAll;
    String bridge;
    String bridgeAddress;
    String ip;
    StateRootOption state = new StateRootOption();
    List<String> command = new ArrayList<>();

    /**
     * {@code run}'s command line, its model built with picocli's programmatic API (no annotations:
     * {@link Model}); help lists the options in this order.
     */
    static CommandLine commandLine() {
        RunCommand run = new RunCommand();
        CommandSpec s = CommandSpec.wrapWithoutInspection(run);
        s.name("run");
        s.usageMessage().sortOptions(false).description("Run a command in a new container.");
        s.addOption(OptionSpec.builder("--help").usageHelp(true).type(boolean.class).description("Show this help and exit.").build());
        s.addOption(Model.option("DIR", Path.class, "Root filesystem directory (default, when the first argument is not an image in the store: "
                + "./rootfs, assembled from the host's busybox-static when missing).", "--rootfs"));
        s.addOption(Model.option("PROGRAM", String.class,
                "Run PROGRAM (with the arguments after IMAGE) instead of the image's Entrypoint and Cmd.", "--entrypoint"));
        s.addOption(OptionSpec.builder("--pull").paramLabel("POLICY").type(String.class).defaultValue("missing")
                .description("When to pull the image: missing (default), always, never.").build());
        s.addOption(Model.option("SIGNAL", String.class,
                "The signal stop sends first (TERM, SIGINT, 2...; default: the image's StopSignal, else SIGTERM).", "--stop-signal"));
        s.addOption(Model.option("NAME", String.class,
                "A name for the container, unique on the state root: the other commands take it for its id.", "--name"));
        s.addOption(Model.option("NAME", String.class, "Container hostname (default: its short id).", "-h", "--hostname"));
        ProcessOptions.addTo(s);
        HealthOptions.addTo(s);
        s.addOption(Model.list("KEY[=VALUE]", String.class,
                "Set a label on the container (ps --filter label=KEY[=VALUE] and inspect show it).", "-l", "--label"));
        s.addOption(Model.list("FILE", Path.class, "Read labels from FILE: KEY=VALUE or KEY lines, # comments (before -l).",
                "--label-file"));
        s.addOption(Model.list("HOST:CTR[:MODE]", String.class, "Bind-mount a host path (recursively, as rbind); MODE rw (default), ro "
                + "or rro (read-only with every mount below it), ro-non-recursive.", "-v", "--volume"));
        s.addOption(Model.list("KEY=VALUE,...", String.class, "Docker's long form of -v and --tmpfs: type=bind,source=HOST,"
                + "target=CTR[,readonly] or type=tmpfs,target=CTR[,tmpfs-size=BYTES][,tmpfs-mode=OCTAL].", "--mount"));
        s.addOption(Model.flag("Run in the background, beyond this process: print the container's id and exit; its output goes to "
                + "log files (mdocker logs), its stdin is /dev/null. Its published ports (-p) are served by its monitor "
                + "for as long as it runs.", "-d", "--detach"));
        s.addOption(Model.flag("Accepted as Docker's: a container run in the foreground is always removed "
                + "when it exits. Not with -d (remove a detached container with mdocker rm).", "--rm"));
        s.addOption(Model.flag("Run the command as pid 1 instead of under mdocker-init.", "--no-init"));
        s.addOption(Model.flag("Run the command under mdocker-init, which forwards signals and reaps zombies (the default; "
                + "Docker's --init).", "--init"));
        s.addOption(Model.option("FILE", Path.class, "Write the container's id to FILE, which must not exist.", "--cidfile"));
        s.addOption(Model.flag("Keep stdin open: with -t, this terminal's input goes to the container's terminal (without -t, "
                + "the container's stdin is this process's stdin either way).", "-i", "--interactive"));
        s.addOption(Model.flag("Give the command a pseudo-terminal (the container's /dev/pts/0) as its stdin, stdout and stderr and "
                + "controlling terminal, sized and resized as this terminal; with -i this terminal is in raw mode meanwhile.",
                "-t", "--tty"));
        s.addOption(Model.listBuilder("CAP", String.class, "Add a capability (NET_ADMIN, CAP_SYS_TIME, ALL).", "--cap-add")
                .splitRegex(",").build());
        s.addOption(Model.listBuilder("CAP", String.class, "Drop a capability (or ALL).", "--cap-drop").splitRegex(",").build());
        s.addOption(Model.flag("Every capability, no seccomp, no masked or read-only paths, no device rules.", "--privileged"));
        s.addOption(Model.list("HOST[:CONTAINER][:PERMS]", String.class, "Make the host's device node HOST at CONTAINER (default "
                + "the same path, under /dev) and allow it PERMS (some of r, w, m; default rwm) in the device cgroup.", "--device"));
        s.addOption(Model.list("RULE", String.class, "Also allow devices matching RULE ('c 10:229 rwm': type a, b or c, * for any "
                + "number, access of rwm).", "--device-cgroup-rule"));
        s.addOption(OptionSpec.builder("--userns").paramLabel("MODE").type(String.class).arity("0..1")
                .parameterConsumer(new UsernsConsumer()).initialValue("host")
                .description("remap (a bare --userns): as root, a user namespace with the subordinate range of user "
                        + "dockremap (-Dmdocker.userns.user) in /etc/subuid and /etc/subgid; host: none (the default).").build());
        s.addOption(Model.list("OPT", String.class,
                "no-new-privileges[=true|false] (default true), seccomp=FILE (Docker's JSON format) or seccomp=unconfined.",
                "--security-opt"));
        s.addOption(Model.list("size=SIZE", String.class,
                "size=SIZE (such as 64m, 1 MiB to 16 TiB): bound the container's writable layer; writes beyond "
                + "it fail with ENOSPC. A project quota where the state root's filesystem has them (XFS pquota, ext4 "
                + "prjquota), else a tmpfs of that size (held in memory).", "--storage-opt"));
        s.addOption(Model.list("GID", Integer.class, "Add a supplementary group (numeric).", "--group-add"));
        s.addOption(Model.flag("Mount the container's root filesystem read-only.", "--read-only"));
        s.addOption(Model.list("PATH[:OPTS]", String.class, "Mount a tmpfs (default options noexec,nosuid,nodev).", "--tmpfs"));
        s.addOption(Model.list("NAME=SOFT[:HARD]", String.class, "Set a resource limit (nofile=1024:2048).", "--ulimit"));
        s.addOption(Model.option("SIZE", String.class,
                "Memory limit, such as 64m (b, k, m, g; at least 6m). Swap is limited so that it holds.", "-m", "--memory"));
        s.addOption(Model.option("SIZE", String.class, "The size of /dev/shm, such as 1g (default 64m).", "--shm-size"));
        s.addOption(Model.option("SIZE", String.class,
                "Memory plus swap, at least --memory; -1 for unlimited swap (default: equal to --memory, no swap).", "--memory-swap"));
        s.addOption(Model.option("N", Double.class, "CPU time as a number of cores, such as 0.5.", "--cpus"));
        s.addOption(Model.option("N", Long.class, "Relative CPU weight, 2 to 262144 (default 1024).", "--cpu-shares"));
        s.addOption(Model.option("LIST", String.class, "CPUs the container may run on, such as 0 or 0-2,4.", "--cpuset-cpus"));
        s.addOption(Model.option("LIST", String.class, "Memory nodes (NUMA) the container may allocate on, such as 0 or 0-1.",
                "--cpuset-mems"));
        s.addOption(Model.option("N", Long.class, "Most processes the container may have (its init counts).", "--pids-limit"));
        s.addOption(Model.option("PATH", String.class,
                "Cgroup to make the container's cgroup in: /abs from each hierarchy's root, rel below the CLI's own "
                + "cgroup (default: mdocker below the CLI's cgroup on v1, /mdocker on v2).", "--cgroup-parent"));
        s.addOption(Model.option("MODE", String.class, "none (loopback only; the default when not root), host (the host's network), "
                + "bridge (the default as root: a veth on the bridge, NAT outbound), pasta (user-mode, also rootless) "
                + "or NAME: the user-defined bridge network NAME (its containers find each other by name), as it exists, "
                + "or made with --bip CIDR; container:NAME shares the network of the running container NAME.", "--network"));
        s.addOption(Model.list("ALIAS", String.class,
                "Another name the containers on the user-defined network find this one by (repeatable).", "--network-alias"));
        s.addOption(Model.list("HOST:IP", String.class, "Add a line to the container's /etc/hosts (repeatable); IP an IPv4 or "
                + "IPv6 address, or host-gateway for the host's address on the bridge.", "--add-host"));
        s.addOption(Model.list("IP", String.class, "A name server for the container's /etc/resolv.conf, instead of the host's "
                + "(repeatable).", "--dns"));
        s.addOption(Model.list("DOMAIN", String.class, "A search domain for the container's /etc/resolv.conf, instead of the "
                + "host's (repeatable; '.' for none).", "--dns-search"));
        s.addOption(Model.list("OPTION", String.class, "A resolver option for the container's /etc/resolv.conf (ndots:2), "
                + "instead of the host's (repeatable).", "--dns-option", "--dns-opt"));
        s.addOption(Model.list("[IP:][HOSTPORT:]PORT", String.class,
                "Publish a container TCP port on the host (bridge): 8080:80, 127.0.0.1:0:80 (0: a free port, printed).",
                "-p", "--publish"));
        s.addOption(Model.flag("Publish each TCP port the image exposes on a free port of 127.0.0.1 (bridge; printed).",
                "-P", "--publish-all"));
        s.addOption(Model.option("NAME", String.class,
                "The bridge to attach to, created when missing (default: " + Network.DEFAULT_BRIDGE + ").", "--bridge"));
        s.addOption(Model.option("CIDR", String.class,
                "The bridge's address and subnet (default: " + Network.DEFAULT_BRIDGE_ADDRESS + ").", "--bip"));
        s.addOption(Model.option("ADDRESS", String.class, "A fixed container address in the bridge's subnet.", "--ip"));
        s.addOption(StateRootOption.option());
        s.addPositional(PositionalParamSpec.builder().index("0..*").arity("1..*").required(true).paramLabel("CMD")
                .type(List.class).auxiliaryTypes(String.class)
                .description("An image in the store (mdocker images), then the command and arguments (default: the image's); "
                        + "without an image, the command run in --rootfs.").build());
        run.spec = s;
        return new CommandLine(s);
    }

    /** Takes the values parsed into the model. */
    void read() {
        CommandSpec s = spec;
        rootfs = Model.value(s, "--rootfs");
        entrypoint = Model.value(s, "--entrypoint");
        pull = Model.value(s, "--pull");
        stopSignal = Model.value(s, "--stop-signal");
        name = Model.value(s, "--name");
        hostname = Model.value(s, "--hostname");
        process = ProcessOptions.read(s);
        health = HealthOptions.read(s);
        labels = Model.values(s, "--label");
        labelFiles = Model.values(s, "--label-file");
        volumes = Model.values(s, "--volume");
        mounts = Model.values(s, "--mount");
        detach = Model.flag(s, "--detach");
        remove = Model.flag(s, "--rm");
        noInit = Model.flag(s, "--no-init");
        init = Model.flag(s, "--init");
        cidfile = Model.value(s, "--cidfile");
        interactive = Model.flag(s, "--interactive");
        tty = Model.flag(s, "--tty");
        capAdd = Model.values(s, "--cap-add");
        capDrop = Model.values(s, "--cap-drop");
        privileged = Model.flag(s, "--privileged");
        devices = Model.values(s, "--device");
        deviceCgroupRules = Model.values(s, "--device-cgroup-rule");
        userns = Model.value(s, "--userns");
        securityOpts = Model.values(s, "--security-opt");
        storageOpts = Model.values(s, "--storage-opt");
        groupAdd = Model.values(s, "--group-add");
        readOnly = Model.flag(s, "--read-only");
        tmpfs = Model.values(s, "--tmpfs");
        ulimits = Model.values(s, "--ulimit");
        memory = Model.value(s, "--memory");
        shmSize = Model.value(s, "--shm-size");
        memorySwap = Model.value(s, "--memory-swap");
        cpus = Model.value(s, "--cpus");
        cpuShares = Model.value(s, "--cpu-shares");
        cpusetCpus = Model.value(s, "--cpuset-cpus");
        cpusetMems = Model.value(s, "--cpuset-mems");
        pidsLimit = Model.value(s, "--pids-limit");
        cgroupParent = Model.value(s, "--cgroup-parent");
        network = Model.value(s, "--network");
        networkAliases = Model.values(s, "--network-alias");
        addHosts = Model.values(s, "--add-host");
        dns = Model.values(s, "--dns");
        dnsSearch = Model.values(s, "--dns-search");
        dnsOptions = Model.values(s, "--dns-option");
        publish = Model.values(s, "--publish");
        publishAll = Model.flag(s, "--publish-all");
        bridge = Model.value(s, "--bridge");
        bridgeAddress = Model.value(s, "--bip");
        ip = Model.value(s, "--ip");
        state = StateRootOption.read(s);
        command = s.positionalParameters().get(0).getValue();
    }

    /**
     * A bare --userns is remap, and the word after it is left alone unless it is remap or host
     * (so that {@code --userns IMAGE} runs IMAGE remapped); any other value given with = is refused.
     */
    static final class UsernsConsumer implements picocli.CommandLine.IParameterConsumer {
        @Override
        public void consumeParameters(java.util.Stack<String> args, picocli.CommandLine.Model.ArgSpec spec,
                                      picocli.CommandLine.Model.CommandSpec command) {
            String value = "remap";
            if (!args.isEmpty() && (args.peek().equals("remap") || args.peek().equals("host"))) {
                value = args.pop();
            }
            spec.setValue(value);
        }
    }

    RunCommand() {}

    /**
     * Docker's {@code --add-host}: {@code HOST:IP} or {@code HOST=IP}, split at the first {@code =}
     * when there is one, else at the first colon (so that {@code HOST:2001:db8::1} is an IPv6
     * address); an address in brackets ({@code HOST:[2001:db8::1]}) loses them.
     */
    static void addHost(Container.Builder b, String spec) {
        int at = spec.indexOf('=') >= 0 ? spec.indexOf('=') : spec.indexOf(':');
        if (at <= 0 || at == spec.length() - 1) {
            throw new IllegalArgumentException("invalid --add-host '" + spec + "': expected HOST:IP (IP an IPv4 or IPv6 "
                    + "address, or " + Container.HOST_GATEWAY + ")");
        }
        String address = spec.substring(at + 1);
        if (address.length() > 2 && address.startsWith("[") && address.endsWith("]")) {
            address = address.substring(1, address.length() - 1);
        }
        b.extraHost(spec.substring(0, at), address);
    }

    static ContainerRuntime runtime(Path stateRoot) {
        return stateRoot == null ? ContainerRuntime.defaults()
                : ContainerRuntime.at(stateRoot.resolve("lib"), stateRoot.resolve("run"));
    }

    @Override
    public Integer call() {
        read();
        // Every value is checked before anything is created.
        if (remove && detach) {
            System.err.println("mdocker: --rm with -d: not supported: a detached container stays until 'mdocker rm' "
                    + "(a container run in the foreground is always removed)");
            return Main.RUNTIME_ERROR;
        }
        if (init && noInit) {
            throw new IllegalArgumentException("--init and --no-init: give one of them");
        }
        if (cidfile != null && Files.exists(cidfile, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("container ID file " + cidfile + " exists: remove it, or name another "
                    + "(another container may still be running with it)");
        }
        if (tty && TerminalAttach.refused(interactive)) {
            return 1;
        }
        Container.Builder b = Container.builder().runtime(state.runtime()).init(!noInit);
        if (tty) { // the streams go through this process, which copies its own terminal
            b.stdin(interactive ? Stdio.pipe() : Stdio.discard()).stdout(Stdio.pipe()).stderr(Stdio.pipe());
            TtySize size = TerminalAttach.initialSize();
            b.ttySize(size.rows(), size.columns());
        } else {
            b.inheritIO();
        }
        if (name != null) {
            b.name(name);
            String note = PsCommand.shadowNote(name, "", state.runtime().list());
            if (!note.isEmpty()) { // Docker's resolution: the name wins; say so once, where it is given
                System.err.println("mdocker: " + Main.oneLine("warning: name " + name + note.replace(" (shadows", ":")
                        .replace(")", "") + ", which the other commands now resolve to this container"));
            }
        }
        if (hostname != null) {
            b.hostname(hostname);
        }
        if (stopSignal != null) {
            b.stopSignal(io.mdocker.Signal.parse(stopSignal));
        }
        health.apply(b);
        io.mdocker.PullPolicy policy = switch (pull) {
            case "missing" -> io.mdocker.PullPolicy.MISSING;
            case "always" -> io.mdocker.PullPolicy.ALWAYS;
            case "never" -> io.mdocker.PullPolicy.NEVER;
            default -> throw new IllegalArgumentException("invalid --pull '" + pull + "': expected missing, always or never");
        };
        String image = rootfs == null ? ImagesCommand.imageNamed(state.runtime(), command.get(0)) : null;
        if (image == null && rootfs == null && command.get(0).contains(":") && !command.get(0).startsWith("/")) {
            image = command.get(0); // NAME:TAG is an image, not a program: the build says it is not in the store
        }
        if (image != null) {
            b.image(image).pullPolicy(policy); // first: -u NAME is resolved in the image
        } else if (entrypoint != null) {
            throw new IllegalArgumentException("--entrypoint needs an image: '" + command.get(0)
                    + "' is not an image in the store (mdocker images)");
        }
        process.applyTo(b::env, b::workdir, b::user);
        labels(b);
        for (String v : volumes) {
            b.bind(BindMount.parse(v));
        }
        for (String m : mounts) {
            MountOption.apply(m, b);
        }
        applySecurity(b);
        limits(b);
        b.network(network());
        networkAliases.forEach(b::networkAlias);
        for (String h : addHosts) {
            addHost(b, h);
        }
        dns.forEach(b::dns);
        dnsSearch.forEach(b::dnsSearch);
        dnsOptions.forEach(b::dnsOption);
        for (String p : publish) {
            b.publish(PortMapping.parse(p));
        }
        if (publishAll) {
            b.publishAllExposed();
        }
        ContainerRuntime.requireRoot();
        if (image != null) {
            List<String> args = command.subList(1, command.size());
            if (entrypoint != null) {
                b.entrypoint(entrypoint);
            }
            if (!args.isEmpty()) {
                b.command(args.toArray(String[]::new));
            }
        } else {
            b.command(command.toArray(String[]::new));
            Path dir = rootfs == null ? Path.of("rootfs") : rootfs;
            if (!Files.exists(dir) && dir.equals(Path.of("rootfs"))) {
                if (BusyboxRootfs.ensure(dir)) {
                    System.err.println("mdocker: ./rootfs was missing; assembled a busybox rootfs there from "
                            + BusyboxRootfs.findStaticBusybox().orElseThrow());
                }
            }
            b.rootfs(dir);
        }
        Container spec = health.amend(b.build());

        try {
            if (detach) {
                DetachedContainer c = spec.startDetached();
                try {
                    writeCidfile(c.id());
                } catch (RuntimeException e) {
                    c.remove(true);
                    throw e;
                }
                if (c.healthcheck().filter(h -> !h.disabled()).isPresent()) {
                    HealthOptions.startMonitor(state.stateRoot, c.id());
                }
                printFreePorts(spec, c.ports());
                System.out.println(c.id());
                return 0;
            }
            return runInForeground(spec);
        } catch (ContainerException e) {
            return Main.failed(e);
        }
    }

    private int runInForeground(Container spec) {
        try (RunningContainer c = spec.start()) {
            writeCidfile(c.id());
            printFreePorts(spec, c.ports());
            forwardSignals(c::kill);
            int code = tty ? TerminalAttach.attach(interactive ? c.stdin() : null, c.stdout(), c::resizeTty, c::waitFor) : c.waitFor();
            if (c.oomKilled()) {
                OptionalLong limit = spec.resources().memory();
                System.err.println("mdocker: container " + c.shortId() + " was OOM-killed: " + (limit.isPresent()
                        ? "it hit its memory limit (" + DataSize.ofBytes(limit.getAsLong()) + ")" : "it ran out of memory"));
            }
            return code;
        }
    }

    /** {@code --cidfile}: the id, in a file made now (one made meanwhile by another process is an error). */
    private void writeCidfile(String id) {
        if (cidfile == null) {
            return;
        }
        try {
            Files.writeString(cidfile, id, java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
        } catch (java.io.IOException e) {
            throw new ContainerException("writing the container ID file " + cidfile + ": " + e.getMessage(), e);
        }
    }

    /** The ports bound for host port 0 (the user cannot know them otherwise), to stderr; {@code bound} in the order asked for. */
    private static void printFreePorts(Container spec, List<PortMapping> bound) {
        for (int i = 0; i < bound.size(); i++) {
            if (spec.ports().get(i).hostPort() == 0) {
                System.err.println("mdocker: published " + bound.get(i));
            }
        }
    }

    /** The security flags, each checked before anything is created. */
    private void applySecurity(Container.Builder b) {
        b.capAdd(capAdd.toArray(String[]::new)).capDrop(capDrop.toArray(String[]::new)).privileged(privileged)
                .readOnlyRootfs(readOnly);
        if (!userns.equals("remap") && !userns.equals("host")) {
            throw new IllegalArgumentException("--userns=" + userns + ": expected remap or host");
        }
        b.userns(userns.equals("remap"));
        devices.forEach(b::device);
        deviceCgroupRules.forEach(b::deviceCgroupRule);
        for (int g : groupAdd) {
            b.groupAdd(g);
        }
        for (String t : tmpfs) {
            int colon = t.indexOf(':');
            if (colon < 0) {
                b.tmpfs(t);
            } else {
                b.tmpfs(t.substring(0, colon), t.substring(colon + 1));
            }
        }
        for (String u : ulimits) {
            b.ulimit(u);
        }
        for (String opt : securityOpts) {
            // Docker accepts both KEY=VALUE and the older KEY:VALUE
            int sep = opt.indexOf('=') >= 0 ? opt.indexOf('=') : opt.indexOf(':');
            String key = sep < 0 ? opt : opt.substring(0, sep);
            String value = sep < 0 ? null : opt.substring(sep + 1);
            switch (key) {
                case "no-new-privileges" -> {
                    if (value != null && !value.equals("true") && !value.equals("false")) {
                        throw new IllegalArgumentException("invalid --security-opt " + opt + ": expected no-new-privileges[=true|false]");
                    }
                    b.noNewPrivileges(value == null || value.equals("true"));
                }
                case "seccomp" -> {
                    if (value == null || value.isEmpty()) {
                        throw new IllegalArgumentException("invalid --security-opt " + opt + ": expected seccomp=FILE or seccomp=unconfined");
                    }
                    b.seccomp(value.equals("unconfined") ? SeccompProfile.unconfined() : SeccompJson.load(Path.of(value)));
                }
                default -> throw new IllegalArgumentException("unsupported --security-opt " + opt
                        + ": mdocker knows no-new-privileges and seccomp (no AppArmor or SELinux)");
            }
        }
    }

    /** The label files' labels in order, then each -l: a later one wins, as Docker's. */
    private void labels(Container.Builder b) {
        for (Path file : labelFiles) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, java.nio.charset.StandardCharsets.UTF_8);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new IllegalArgumentException("--label-file " + file + ": no such file");
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--label-file " + file + ": " + e.getMessage());
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                try {
                    b.label(line);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--label-file " + file + " line " + (i + 1) + ": " + e.getMessage());
                }
            }
        }
        for (String l : labels) {
            b.label(l);
        }
    }

    private void limits(Container.Builder b) {
        if (shmSize != null) {
            b.shmSize(DataSize.parse(shmSize));
        }
        if (memory != null) {
            b.memory(DataSize.parse(memory));
        }
        if (memorySwap != null) {
            b.memorySwap(memorySwap.strip().equals("-1") ? -1 : DataSize.parse(memorySwap).bytes());
        }
        if (cpus != null) {
            b.cpus(cpus);
        }
        if (cpuShares != null) {
            b.cpuShares(cpuShares);
        }
        if (cpusetCpus != null) {
            b.cpusetCpus(cpusetCpus);
        }
        if (cpusetMems != null) {
            b.cpusetMems(cpusetMems);
        }
        if (pidsLimit != null) {
            b.pidsLimit(pidsLimit);
        }
        for (String opt : storageOpts) {
            int eq = opt.indexOf('=');
            if (eq < 0 || !opt.substring(0, eq).strip().equals("size")) {
                throw new IllegalArgumentException("unsupported --storage-opt " + opt + ": mdocker knows size=SIZE only");
            }
            String size = opt.substring(eq + 1);
            try {
                b.storageSize(DataSize.parse(size));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid --storage-opt " + opt + ": " + e.getMessage());
            }
        }
        if (cgroupParent != null) {
            b.cgroupParent(cgroupParent);
        }
    }

    private Network network() {
        if (network == null) { // rootless, bridges are root's: Docker's default only as root
            network = io.mdocker.ContainerRuntime.rootless() ? "none" : "bridge";
        }
        if (!List.of("none", "host", "bridge", "pasta").contains(network) && !network.startsWith("container:")) {
            // a user-defined network's name
            if (bridge != null) {
                throw new IllegalArgumentException("--bridge needs --network bridge, not " + network
                        + ": the network's name is its bridge's");
            }
            Network n = bridgeAddress != null ? Network.bridge(network, bridgeAddress)
                    : Network.existingBridge(network).orElseThrow(() -> new IllegalArgumentException("network " + network
                            + " not found: expected none, host, bridge, the name of an existing bridge, or --bip CIDR to make it"));
            return ip == null ? n : n.withAddress(ip);
        }
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
     * ending the JVM; the container's exit then ends the CLI. {@code mdocker exec} does the same.
     */
    static void forwardSignals(java.util.function.Consumer<Signal> kill) {
        for (Signal s : List.of(Signal.INT, Signal.TERM, Signal.HUP)) {
            sun.misc.Signal.handle(new sun.misc.Signal(s.name()), sig -> kill.accept(s));
        }
    }
}
