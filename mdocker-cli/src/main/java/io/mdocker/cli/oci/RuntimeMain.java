package io.mdocker.cli.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.Capability;
import io.mdocker.internal.json.Json;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.cgroup.Freezer;
import io.mdocker.internal.process.Prestart;
import io.mdocker.internal.run.OciCreate;
import io.mdocker.internal.run.OciExec;
import io.mdocker.internal.security.DevicesCgroupV1;
import io.mdocker.internal.state.ProcStat;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code mdocker-runtime}: the OCI runtime command line (runc's grammar: global flags, a verb,
 * its flags, the container id), for Podman (conmon), containerd (the runc shim v2) and Kubernetes
 * (containerd's CRI with a runtime handler). docs/oci-runtime.md says what each verb does and
 * what is not supported. This JVM runs the verbs that build or enter a container or read its
 * config: create, run (without --detach), exec, ps, pause, resume, update, features, --version.
 * The launcher execs the front end first (src/main/c/oci-front/), which answers state, kill,
 * start, delete, list and run --detach's start itself, from the state file create writes
 * ({@link OciState}), and execs this JVM with the same arguments for the rest. Errors: one line
 * on stderr and, with {@code --log}, in the log file ({@code --log-format json}:
 * {@code {"level":"error","msg":...,"time":...}}, what the shim reads); exit status 1.
 */
public final class RuntimeMain {
    static final String VERSION = "0.1.0";

    private Path root = Path.of("/run/mdocker-runtime");
    private Optional<Path> log = Optional.empty();
    private boolean jsonLog;
    private boolean debug;
    private boolean systemdCgroup;
    private final PrintStream out;
    private final PrintStream err;

    RuntimeMain(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** The entry point of the mdocker-runtime launcher. */
    public static void main(String[] args) {
        System.exit(new RuntimeMain(System.out, System.err).run(args));
    }

    /** Runs one command line; returns the exit status. */
    int run(String[] argv) {
        Deque<String> args = new ArrayDeque<>(List.of(argv));
        try {
            String verb = globals(args);
            if (verb == null) {
                throw new IllegalArgumentException("no command given (expected one of create, start, state, kill, delete, "
                        + "exec, ps, pause, resume, update, list, run, features, --version)");
            }
            debug("mdocker-runtime " + String.join(" ", argv));
            if (verb.equals("create") || verb.equals("run") || verb.equals("exec")) {
                // The native layer's first costs beside the parse of config.json (docs/bench/cli.md).
                Prestart.inBackground(Prestart.Needs.CONTAINER);
            }
            return switch (verb) {
                case "create" -> create(args);
                case "run" -> runVerb(args);
                case "ps" -> ps(args);
                case "exec" -> exec(args);
                case "pause" -> pause(args, true);
                case "resume" -> pause(args, false);
                case "update" -> update(args);
                case "features" -> features(args);
                case "--version", "-v", "version" -> version();
                case "help" -> {
                    out.println(usage());
                    yield 0;
                }
                case "start", "state", "kill", "delete", "list" -> throw new IllegalArgumentException(verb
                        + " is answered by the mdocker-runtime front end (oci-front), not by this JVM");
                default -> throw new IllegalArgumentException("unknown command '" + verb + "'");
            };
        } catch (IllegalArgumentException | IllegalStateException | io.mdocker.ContainerException | UncheckedIOException e) {
            error(e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            error(e.toString());
            return 1;
        }
    }

    /** Global flags up to the verb, which is returned (null when there is none). */
    private String globals(Deque<String> args) {
        while (!args.isEmpty()) {
            String a = args.poll();
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--root" -> root = Path.of(value != null ? value : need(args, a));
                case "--log" -> log = Optional.of(Path.of(value != null ? value : need(args, a)));
                case "--log-format" -> {
                    String f = value != null ? value : need(args, a);
                    if (!f.equals("text") && !f.equals("json")) {
                        throw new IllegalArgumentException("--log-format: '" + f + "' (expected text or json)");
                    }
                    jsonLog = f.equals("json");
                }
                case "--debug" -> debug = true;
                case "--systemd-cgroup" -> systemdCgroup = true;
                case "--rootless" -> {
                    String v = value != null ? value : "true";
                    if (!v.equals("false") && !v.equals("auto")) {
                        throw new IllegalArgumentException("--rootless=" + v + ": mdocker-runtime runs as root only");
                    }
                }
                case "--version", "-v", "version" -> {
                    return "--version";
                }
                case "--help", "-h" -> {
                    return "help";
                }
                default -> {
                    if (a.startsWith("-")) {
                        throw new IllegalArgumentException("unknown global flag '" + a + "'");
                    }
                    return a;
                }
            }
        }
        return null;
    }

    private static String usage() {
        return """
                mdocker-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] [--systemd-cgroup] COMMAND
                  create --bundle DIR [--pid-file FILE] [--console-socket SOCKET] [--no-new-keyring] ID
                  start ID | state ID | kill [--all] ID [SIGNAL] | delete [--force] ID
                  ps [--format table|json] ID | pause ID | resume ID | update --resources FILE|- ID
                  list [--format table|json] [-q] | features | --version""";
    }

    private static String need(Deque<String> args, String flag) {
        String v = args.poll();
        if (v == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return v;
    }

    /** A verb's own flags: those in {@code withValue} take one, those in {@code bool} none; the rest are positional. */
    private record Parsed(Map<String, String> flags, List<String> positional) {
        String get(String... names) {
            for (String n : names) {
                if (flags.containsKey(n)) {
                    return flags.get(n);
                }
            }
            return null;
        }

        boolean has(String... names) {
            for (String n : names) {
                if (flags.containsKey(n)) {
                    return true;
                }
            }
            return false;
        }

        String id(String verb) {
            if (positional.isEmpty()) {
                throw new IllegalArgumentException(verb + ": no container id given");
            }
            String id = positional.get(0);
            OciState.checkId(id);
            return id;
        }
    }

    private static Parsed parse(String verb, Deque<String> args, Set<String> withValue, Set<String> bool) {
        Map<String, String> flags = new java.util.LinkedHashMap<>();
        List<String> positional = new ArrayList<>();
        while (!args.isEmpty()) {
            String a = args.poll();
            if (a.equals("--")) {
                positional.addAll(args);
                break;
            }
            if (!a.startsWith("-") || a.equals("-")) {
                positional.add(a);
                continue;
            }
            String name = a.replaceFirst("^--?", "");
            String value = null;
            int eq = name.indexOf('=');
            if (eq > 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (withValue.contains(name)) {
                flags.put(name, value != null ? value : need(args, a));
            } else if (bool.contains(name)) {
                flags.put(name, value != null ? value : "true");
            } else {
                throw new IllegalArgumentException(verb + ": unknown flag '" + a + "'");
            }
        }
        return new Parsed(flags, positional);
    }

    // ---------------------------------------------------------------------------------------
    // create / start

    private int create(Deque<String> args) {
        Parsed p = parse("create", args, Set.of("bundle", "b", "pid-file", "console-socket", "preserve-fds"),
                Set.of("no-pivot", "no-new-keyring"));
        String id = p.id("create");
        Path bundle = Path.of(Optional.ofNullable(p.get("bundle", "b")).orElse(".")).toAbsolutePath().normalize();
        if (p.has("no-pivot") && !"false".equals(p.get("no-pivot"))) {
            throw new IllegalArgumentException("create: --no-pivot is not supported (mdocker-runtime always uses pivot_root)");
        }
        String preserve = p.get("preserve-fds");
        if (preserve != null && !preserve.equals("0")) {
            throw new IllegalArgumentException("create: --preserve-fds " + preserve + " is not supported (no descriptors "
                    + "beyond stdio are passed to the container)");
        }
        OciConfig config = OciConfigReader.read(bundle);
        Path dir = OciState.dir(root, id);
        Path execFifo = dir.resolve("exec.fifo");
        OciCreate.Plan plan = OciPlanner.plan(id, bundle, config,
                Optional.ofNullable(p.get("console-socket")).map(s -> Path.of(s).toAbsolutePath()), execFifo,
                systemdCgroup, root);
        makeStateDir(root, dir, id);
        String created = Instant.now().toString();
        OciCreate.Created c;
        try {
            c = OciCreate.create(plan, pid -> {
                OciState pending = new OciState(id, dir, pid, ProcStat.startTimeOrMinus1(pid), bundle, created,
                        config.annotations(), Map.of(), OciConfig.Hooks.NONE);
                byte[] state = Json.bytes(pending.stateJson(OciState.Status.CREATED));
                List<OciConfig.Hook> hooks = new ArrayList<>(config.hooks().prestart());
                hooks.addAll(config.hooks().createRuntime());
                hooks.addAll(config.hooks().createContainer());
                runHooks("createRuntime", hooks, state, true);
            });
        } catch (RuntimeException e) {
            deleteTree(dir);
            throw e;
        }
        OciState st = new OciState(id, dir, c.pid(), c.startTime(), bundle, created, config.annotations(), c.cgroupInfo(),
                config.hooks());
        try {
            st.write();
            if (p.get("pid-file") != null) {
                writeAtomically(Path.of(p.get("pid-file")).toAbsolutePath(), Integer.toString(c.pid()));
            }
        } catch (RuntimeException e) {
            destroy(st);
            deleteTree(dir);
            throw e;
        }
        debug("created " + id + " pid " + c.pid());
        return 0;
    }

    /**
     * run without --detach: the container's monitor stays, this JVM waits for the process, removes
     * the container and exits with its status. ({@code run --detach} is create and start: the front
     * end runs this JVM's create and then starts the container itself.)
     */
    private int runVerb(Deque<String> args) {
        Parsed p = parse("run", args, Set.of("bundle", "b", "pid-file", "console-socket", "preserve-fds"),
                Set.of("no-pivot", "no-new-keyring", "detach", "d", "keep"));
        String id = p.id("run");
        if (p.has("detach", "d")) {
            throw new IllegalArgumentException("run --detach is create then start, run by the mdocker-runtime front end "
                    + "(oci-front), not by this JVM");
        }
        if (p.has("console-socket") || p.has("keep")) {
            throw new IllegalArgumentException("run: --console-socket and --keep are supported with --detach only");
        }
        Path bundle = Path.of(Optional.ofNullable(p.get("bundle", "b")).orElse(".")).toAbsolutePath().normalize();
        OciConfig config = OciConfigReader.read(bundle);
        if (config.process().terminal()) {
            throw new IllegalArgumentException("run: process.terminal needs --detach and --console-socket");
        }
        Path dir = OciState.dir(root, id);
        OciCreate.Plan plan = OciPlanner.plan(id, bundle, config, Optional.empty(), Path.of(""), systemdCgroup, root);
        makeStateDir(root, dir, id);
        String created = Instant.now().toString();
        OciState[] st = new OciState[1];
        try {
            int code = OciCreate.run(plan, pid -> runHooks("createRuntime", config.hooks().createRuntime(),
                    new byte[0], true), c -> {
                st[0] = new OciState(id, dir, c.pid(), c.startTime(), bundle, created, config.annotations(), c.cgroupInfo(),
                        config.hooks());
                st[0].write();
                if (p.get("pid-file") != null) {
                    writeAtomically(Path.of(p.get("pid-file")).toAbsolutePath(), Integer.toString(c.pid()));
                }
                runHooks("poststart", config.hooks().poststart(),
                        Json.bytes(st[0].stateJson(OciState.Status.RUNNING)), false);
            });
            return code;
        } finally {
            if (st[0] != null) {
                destroy(st[0]);
                runHooks("poststop", st[0].hooks().poststop(),
                        Json.bytes(st[0].stateJson(OciState.Status.STOPPED)), false);
            }
            deleteTree(dir);
        }
    }

    private static OciConfig configOrNull(OciState st) {
        try {
            return OciConfigReader.read(st.bundle());
        } catch (IllegalArgumentException e) {
            return null; // the bundle went: no hooks to run
        }
    }

    private int exec(Deque<String> args) {
        Parsed p = parse("exec", args, Set.of("process", "p", "pid-file", "console-socket", "cwd", "env", "e", "user", "u",
                "preserve-fds", "process-label", "apparmor", "cap", "c"), Set.of("detach", "d", "tty", "t", "no-new-privs"));
        String id = p.id("exec");
        OciState st = OciState.read(root, id);
        OciState.Status s = st.status();
        if (s != OciState.Status.RUNNING && s != OciState.Status.CREATED) {
            throw new IllegalStateException("cannot exec in container " + id + ": it is " + s.text());
        }
        for (String f : List.of("cwd", "env", "e", "user", "u", "process-label", "apparmor", "cap", "c")) {
            if (p.has(f)) {
                throw new IllegalArgumentException("exec: --" + f + " is not supported: give the process as --process FILE");
            }
        }
        String preserve = p.get("preserve-fds");
        if (preserve != null && !preserve.equals("0")) {
            throw new IllegalArgumentException("exec: --preserve-fds " + preserve + " is not supported");
        }
        String file = p.get("process", "p");
        if (file == null) {
            throw new IllegalArgumentException("exec: --process FILE is required (a command line alone is not supported)");
        }
        OciConfig.Process proc;
        try {
            proc = OciConfigReader.parseProcess(Files.readAllBytes(Path.of(file)));
        } catch (IOException e) {
            throw new IllegalArgumentException("exec: cannot read " + file + ": " + e.getMessage());
        }
        boolean tty = proc.terminal() || p.has("tty", "t");
        Optional<Path> console = Optional.ofNullable(p.get("console-socket")).map(x -> Path.of(x).toAbsolutePath());
        if (tty && console.isEmpty()) {
            throw new IllegalArgumentException("exec: a terminal needs --console-socket");
        }
        long[] caps = new long[5];
        proc.capabilities().ifPresent(cs -> {
            List<List<String>> sets = List.of(cs.bounding(), cs.effective(), cs.permitted(), cs.inheritable(), cs.ambient());
            for (int i = 0; i < 5; i++) {
                for (String name : sets.get(i)) {
                    caps[i] |= 1L << Capability.parse(name).number();
                }
            }
        });
        caps[4] &= caps[2] & caps[3];
        List<io.mdocker.Ulimit> rlimits = new ArrayList<>();
        for (OciConfig.Rlimit r : proc.rlimits()) {
            rlimits.add(new io.mdocker.Ulimit(r.type().substring("RLIMIT_".length()).toLowerCase(Locale.ROOT), r.soft(), r.hard()));
        }
        OciConfig config = configOrNull(st);
        List<Path> cgroups = new ArrayList<>(st.cgroupDirs());
        Optional.ofNullable(st.cgroupInfo().get("devices")).map(Path::of).ifPresent(cgroups::add);
        OciExec.Started started = OciExec.start(new OciExec.Plan(st.pid(), st.startTime(), cgroups, proc.args(), proc.env(),
                proc.cwd(), proc.user().uid(), proc.user().gid(), proc.user().additionalGids(), caps,
                proc.noNewPrivileges() || p.has("no-new-privs"), config == null ? Optional.empty() : config.linux().seccomp(),
                rlimits, tty ? Optional.of(proc.consoleSize().map(c -> new io.mdocker.TtySize(c.height(), c.width()))
                        .orElse(io.mdocker.TtySize.DEFAULT)) : Optional.empty(), tty ? console : Optional.empty(),
                p.has("detach", "d"), root));
        if (p.get("pid-file") != null) {
            writeAtomically(Path.of(p.get("pid-file")).toAbsolutePath(), Integer.toString(started.pid()));
        }
        return p.has("detach", "d") ? 0 : started.waitFor();
    }

    // ---------------------------------------------------------------------------------------
    // state, list, ps

    private int ps(Deque<String> args) {
        Parsed p = parse("ps", args, Set.of("format", "f"), Set.of());
        OciState st = OciState.read(root, p.id("ps"));
        List<Integer> pids = pids(st);
        String format = Optional.ofNullable(p.get("format", "f")).orElse("table");
        if (format.equals("json")) {
            out.println(pids);
        } else if (format.equals("table")) {
            out.println("PID");
            pids.forEach(out::println);
        } else {
            throw new IllegalArgumentException("ps: --format '" + format + "' (expected table or json)");
        }
        return 0;
    }

    /** Every process in the container's cgroups (host pids, ascending). */
    private static List<Integer> pids(OciState st) {
        Set<Integer> pids = new java.util.TreeSet<>();
        for (Path d : st.cgroupDirs()) {
            try {
                for (String line : Files.readAllLines(d.resolve("cgroup.procs"))) {
                    if (!line.isBlank()) {
                        pids.add(Integer.parseInt(line.trim()));
                    }
                }
            } catch (java.nio.file.NoSuchFileException e) {
                // that hierarchy's directory went with the container
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + d.resolve("cgroup.procs"), e);
            }
        }
        return new ArrayList<>(pids);
    }

    // ---------------------------------------------------------------------------------------
    // kill, delete, pause, update

    /** Kills whatever of the container still runs, waits for its process to end, and removes its cgroups. */
    private void destroy(OciState st) {
        List<Path> dirs = st.cgroupDirs();
        if (ProcStat.isRunning(st.pid(), st.startTime())) {
            Freezer.set(CgroupFs.REAL, dirs, false);
            for (int pid : pids(st)) {
                Posix.kill(pid, 9);
            }
            Posix.kill(st.pid(), 9);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ProcStat.isRunning(st.pid(), st.startTime()) && System.nanoTime() < deadline) {
                sleep(5);
            }
        }
        ContainerCgroups.removeRecorded(st.cgroupInfo(), CgroupFs.REAL);
        String devices = st.cgroupInfo().get("devices");
        if (devices != null) {
            try {
                Files.deleteIfExists(Path.of(devices));
            } catch (IOException e) {
                throw new UncheckedIOException("removing " + devices, e);
            }
            Path parent = Path.of(devices).getParent();
            if (parent.getFileName().toString().equals(DevicesCgroupV1.CUSTOM_PARENT)) {
                try {
                    Files.deleteIfExists(parent); // the parent of containers with their own device rules, if it was the last
                } catch (IOException e) {
                    // another container's devices cgroup is in it
                }
            }
        }
    }

    private int pause(Deque<String> args, boolean freeze) {
        String verb = freeze ? "pause" : "resume";
        Parsed p = parse(verb, args, Set.of(), Set.of());
        OciState st = OciState.read(root, p.id(verb));
        OciState.Status s = st.status();
        if (freeze ? s != OciState.Status.RUNNING : s != OciState.Status.PAUSED) {
            throw new IllegalStateException("cannot " + verb + " container " + st.id() + ": it is " + s.text());
        }
        if (!Freezer.set(CgroupFs.REAL, st.cgroupDirs(), freeze)) {
            throw new IllegalStateException("cannot " + verb + " container " + st.id() + ": no freezer cgroup");
        }
        return 0;
    }

    private int update(Deque<String> args) {
        Parsed p = parse("update", args, Set.of("resources", "r"), Set.of());
        OciState st = OciState.read(root, p.id("update"));
        String file = p.get("resources", "r");
        if (file == null) {
            throw new IllegalArgumentException("update: --resources FILE|- is required (flags per limit are not supported)");
        }
        byte[] json;
        try {
            json = file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
        CgroupUpdate.apply(st.cgroupDirs(), json);
        return 0;
    }

    // ---------------------------------------------------------------------------------------
    // features, version

    private int features(Deque<String> args) {
        parse("features", args, Set.of(), Set.of());
        ObjectNode f = Json.NODES.objectNode();
        f.put("ociVersionMin", "1.0.0");
        f.put("ociVersionMax", "1.1.0");
        ArrayNode hooks = f.putArray("hooks");
        List.of("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop").forEach(hooks::add);
        ArrayNode mo = f.putArray("mountOptions");
        List.of("async", "atime", "bind", "dev", "diratime", "dirsync", "exec", "mand", "noatime", "nodev", "nodiratime",
                "noexec", "nomand", "norelatime", "nostrictatime", "nosuid", "private", "rbind", "relatime", "rprivate",
                "rshared", "rslave", "runbindable", "ro", "rw", "shared", "slave", "strictatime", "suid", "sync",
                "unbindable").forEach(mo::add);
        ObjectNode linux = f.putObject("linux");
        ArrayNode ns = linux.putArray("namespaces");
        List.of("cgroup", "ipc", "mount", "network", "pid", "uts").forEach(ns::add);
        ArrayNode caps = linux.putArray("capabilities");
        for (Capability c : Capability.values()) {
            caps.add("CAP_" + c.name());
        }
        ObjectNode cg = linux.putObject("cgroup");
        cg.put("v1", true).put("v2", true).put("systemd", false).put("systemdUser", false);
        ObjectNode sc = linux.putObject("seccomp");
        sc.put("enabled", true);
        ArrayNode actions = sc.putArray("actions");
        List.of("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP").forEach(actions::add);
        ArrayNode ops = sc.putArray("operators");
        List.of("SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
                "SCMP_CMP_NE").forEach(ops::add);
        ArrayNode archs = sc.putArray("archs");
        List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM").forEach(archs::add);
        linux.putObject("apparmor").put("enabled", false);
        linux.putObject("selinux").put("enabled", false);
        linux.putObject("intelRdt").put("enabled", false);
        linux.putObject("mountExtensions").putObject("idmap").put("enabled", false);
        f.putObject("annotations").put("io.mdocker.runtime.version", VERSION);
        out.println(f.toPrettyString());
        return 0;
    }

    private int version() {
        out.println("mdocker-runtime version " + VERSION);
        out.println("spec: " + OciState.OCI_VERSION);
        return 0;
    }

    // ---------------------------------------------------------------------------------------
    // hooks, files, logging

    /**
     * Runs hooks in order with the state JSON on their stdin; a failing one fails the call when
     * {@code fatal} (createRuntime, createContainer, startContainer), else it is logged as a
     * warning (poststart, poststop), as the spec says.
     */
    private void runHooks(String kind, List<OciConfig.Hook> hooks, byte[] state, boolean fatal) {
        for (OciConfig.Hook h : hooks) {
            List<String> cmd = new ArrayList<>();
            cmd.add(h.path());
            if (h.args().size() > 1) {
                cmd.addAll(h.args().subList(1, h.args().size()));
            }
            String failure = null;
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(false)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT);
                pb.environment().clear();
                for (String e : h.env()) {
                    int eq = e.indexOf('=');
                    pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
                }
                Process proc = pb.start();
                try (var in = proc.getOutputStream()) {
                    in.write(state);
                } catch (IOException ignored) {
                    // a hook that does not read its stdin
                }
                int timeout = h.timeout().orElse(0);
                if (timeout > 0 && !proc.waitFor(timeout, TimeUnit.SECONDS)) {
                    proc.destroyForcibly().waitFor();
                    failure = kind + " hook " + h.path() + " timed out after " + timeout + " s";
                } else if (proc.waitFor() != 0) {
                    failure = kind + " hook " + h.path() + " exited with " + proc.exitValue();
                }
            } catch (IOException e) {
                failure = kind + " hook " + h.path() + ": " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = kind + " hook " + h.path() + " interrupted";
            }
            if (failure != null) {
                if (fatal) {
                    throw new IllegalStateException(failure);
                }
                log("warning", failure);
            }
        }
    }

    private static void writeAtomically(Path file, String text) {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".mdocker-tmp");
        try {
            Files.writeString(tmp, text);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("removing " + dir, e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void debug(String msg) {
        if (debug) {
            log("debug", msg);
        }
    }

    private void error(String msg) {
        String line = msg == null ? "error" : msg.lines().findFirst().orElse("");
        err.println("mdocker-runtime: " + line);
        log("error", line);
    }

    /** One line into --log, as logrus writes it (text or JSON). */
    private void log(String level, String msg) {
        if (log.isEmpty()) {
            if (!level.equals("error")) {
                err.println("mdocker-runtime: " + level + ": " + msg);
            }
            return;
        }
        String time = Instant.now().toString();
        String line;
        if (jsonLog) {
            ObjectNode n = Json.NODES.objectNode();
            n.put("level", level).put("msg", msg).put("time", time);
            line = Json.text(n);
        } else {
            line = "time=\"" + time + "\" level=" + level + " msg=" + Json.text(Json.NODES.textNode(msg));
        }
        try {
            Files.writeString(log.get(), line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE);
        } catch (IOException e) {
            err.println("mdocker-runtime: writing the log " + log.get() + ": " + e.getMessage());
        }
    }

    /** Reads {@code --resources} JSON (linux.resources: memory, cpu, pids) into the cgroup files. */
    static final class CgroupUpdate {
        static void apply(List<Path> dirs, byte[] json) {
            JsonNode r;
            try {
                r = Json.read(json);
            } catch (IOException e) {
                throw new IllegalArgumentException("update --resources: not JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            Set<String> known = new LinkedHashSet<>(List.of("memory", "cpu", "pids", "devices", "blockIO", "hugepageLimits",
                    "network", "rdma", "unified"));
            r.fieldNames().forEachRemaining(f -> {
                if (!known.contains(f)) {
                    throw new IllegalArgumentException("update --resources: unsupported field " + f);
                }
            });
            for (String f : List.of("blockIO", "hugepageLimits", "network", "rdma", "unified")) {
                if (r.has(f) && !r.get(f).isNull() && !r.get(f).isEmpty()) {
                    throw new IllegalArgumentException("update --resources: unsupported field " + f);
                }
            }
            JsonNode mem = r.path("memory");
            if (mem.has("limit")) {
                long limit = mem.get("limit").asLong();
                long swap = mem.has("swap") ? mem.get("swap").asLong() : 0;
                for (Path d : dirs) {
                    if (Files.exists(d.resolve("memory.max"))) {
                        write(d.resolve("memory.max"), limit <= 0 ? "max" : Long.toString(limit));
                        if (Files.exists(d.resolve("memory.swap.max"))) {
                            write(d.resolve("memory.swap.max"), swap == -1 ? "max" : Long.toString(Math.max(0, swap - limit)));
                        }
                    } else if (Files.exists(d.resolve("memory.limit_in_bytes"))) {
                        if (Files.exists(d.resolve("memory.memsw.limit_in_bytes")) && swap != 0) {
                            write(d.resolve("memory.memsw.limit_in_bytes"), "-1");
                        }
                        write(d.resolve("memory.limit_in_bytes"), limit <= 0 ? "-1" : Long.toString(limit));
                        if (Files.exists(d.resolve("memory.memsw.limit_in_bytes")) && swap != 0) {
                            write(d.resolve("memory.memsw.limit_in_bytes"), swap == -1 ? "-1" : Long.toString(swap));
                        }
                    }
                }
            }
            JsonNode pids = r.path("pids");
            if (pids.has("limit")) {
                long limit = pids.get("limit").asLong();
                for (Path d : dirs) {
                    if (Files.exists(d.resolve("pids.max"))) {
                        write(d.resolve("pids.max"), limit <= 0 ? "max" : Long.toString(limit));
                    }
                }
            }
            JsonNode cpu = r.path("cpu");
            if (cpu.has("quota") || cpu.has("period")) {
                long quota = cpu.path("quota").asLong(-1);
                long period = cpu.path("period").asLong(100_000);
                for (Path d : dirs) {
                    if (Files.exists(d.resolve("cpu.max"))) {
                        write(d.resolve("cpu.max"), (quota <= 0 ? "max" : Long.toString(quota)) + " " + period);
                    } else if (Files.exists(d.resolve("cpu.cfs_quota_us"))) {
                        write(d.resolve("cpu.cfs_period_us"), Long.toString(period));
                        write(d.resolve("cpu.cfs_quota_us"), quota <= 0 ? "-1" : Long.toString(quota));
                    }
                }
            }
            if (cpu.has("shares")) {
                long shares = cpu.get("shares").asLong();
                for (Path d : dirs) {
                    if (Files.exists(d.resolve("cpu.weight"))) {
                        write(d.resolve("cpu.weight"), Long.toString(Math.max(1, Math.min(10000, 1 + ((shares - 2) * 9999) / 262142))));
                    } else if (Files.exists(d.resolve("cpu.shares"))) {
                        write(d.resolve("cpu.shares"), Long.toString(shares));
                    }
                }
            }
        }

        private static void write(Path file, String value) {
            try {
                Files.writeString(file, value);
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + value + " to " + file, e);
            }
        }
    }

    /** The container's state directory under {@code root}; an id that exists is refused in one line. */
    private static void makeStateDir(Path root, Path dir, String id) {
        try {
            Files.createDirectories(root);
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new IllegalArgumentException("container " + id + " already exists");
        } catch (IOException e) {
            throw new UncheckedIOException("mkdir " + dir, e);
        }
    }
}
