package io.mdocker.cli.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.SeccompProfile;
import io.mdocker.internal.json.Json;
import io.mdocker.cli.SeccompJson;
import io.mdocker.cli.oci.OciConfig.Capabilities;
import io.mdocker.cli.oci.OciConfig.ConsoleSize;
import io.mdocker.cli.oci.OciConfig.Device;
import io.mdocker.cli.oci.OciConfig.DeviceRule;
import io.mdocker.cli.oci.OciConfig.Hook;
import io.mdocker.cli.oci.OciConfig.Hooks;
import io.mdocker.cli.oci.OciConfig.IdMapping;
import io.mdocker.cli.oci.OciConfig.Linux;
import io.mdocker.cli.oci.OciConfig.Mount;
import io.mdocker.cli.oci.OciConfig.Namespace;
import io.mdocker.cli.oci.OciConfig.Resources;
import io.mdocker.cli.oci.OciConfig.Rlimit;
import io.mdocker.cli.oci.OciConfig.Root;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a bundle's {@code config.json} into an {@link OciConfig}. Each JSON object is read
 * through a cursor that remembers which fields were taken: a field left over is refused with
 * {@code unsupported field <path>} (never ignored), a field of the wrong type or value names its
 * path and what was expected. A few fields a runtime may leave unset on a host without the
 * feature (AppArmor profile, SELinux labels) are accepted when empty and refused otherwise.
 */
public final class OciConfigReader {
    private static final java.math.BigInteger UINT64_MAX = java.math.BigInteger.ONE.shiftLeft(64).subtract(java.math.BigInteger.ONE);

    /** Mount types mdocker-runtime mounts (a bind may also be written as type none or no type, with a bind option). */
    static final Set<String> MOUNT_TYPES = Set.of("bind", "tmpfs", "proc", "sysfs", "mqueue", "devpts", "cgroup",
            "cgroup2");
    /** Namespace types: new or joined by path. */
    static final Set<String> NAMESPACES = Set.of("pid", "network", "mount", "ipc", "uts", "user", "cgroup");

    private OciConfigReader() {}

    /** Reads {@code bundle/config.json}. */
    public static OciConfig read(Path bundle) {
        Path file = bundle.resolve("config.json");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        return parse(bytes);
    }

    /** Reads the text of a config.json. */
    public static OciConfig parse(byte[] json) {
        JsonNode root;
        try {
            root = Json.read(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("config.json is not valid JSON: "
                    + e.getMessage().lines().findFirst().orElse(""));
        }
        Obj top = Obj.of(root, "");
        String version = top.string("ociVersion").orElseThrow(() -> top.missing("ociVersion"));
        if (!version.startsWith("1.")) {
            throw new IllegalArgumentException("ociVersion: " + version + " is not supported (expected 1.x)");
        }
        OciConfig.Process process = process(top.obj("process").orElseThrow(() -> top.missing("process")));
        Root root1 = root(top.obj("root").orElseThrow(() -> top.missing("root")));
        List<Mount> mounts = top.list("mounts", OciConfigReader::mount);
        Optional<String> hostname = top.string("hostname");
        top.emptyString("domainname");
        Linux linux = top.obj("linux").map(OciConfigReader::linux).orElseThrow(() -> top.missing("linux"));
        Hooks hooks = top.obj("hooks").map(OciConfigReader::hooks).orElse(Hooks.NONE);
        Map<String, String> annotations = top.stringMap("annotations");
        top.done();
        return new OciConfig(version, process, root1, mounts, hostname, linux, hooks, annotations);
    }

    /** Reads a process.json (the {@code process} object alone, as exec takes it). */
    static OciConfig.Process parseProcess(byte[] json) {
        try {
            return process(Obj.of(Json.read(json), "process"));
        } catch (IOException e) {
            throw new IllegalArgumentException("process.json is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static OciConfig.Process process(Obj p) {
        boolean terminal = p.bool("terminal");
        Optional<ConsoleSize> size = p.obj("consoleSize").map(c -> {
            ConsoleSize s = new ConsoleSize(c.intRequired("height"), c.intRequired("width"));
            c.done();
            return s;
        });
        Obj u = p.obj("user").orElseThrow(() -> p.missing("user"));
        OciConfig.User user = new OciConfig.User(u.intRequired("uid"), u.intRequired("gid"), u.integer("umask"),
                u.list("additionalGids", n -> n.asInt()));
        u.emptyString("username"); // Windows only
        u.done();
        List<String> args = p.strings("args");
        if (args.isEmpty()) {
            throw new IllegalArgumentException("process.args: empty (expected the command to run)");
        }
        List<String> env = p.strings("env");
        for (String e : env) {
            if (!e.contains("=")) {
                throw new IllegalArgumentException("process.env: '" + e + "' is not KEY=VALUE");
            }
        }
        String cwd = p.string("cwd").orElseThrow(() -> p.missing("cwd"));
        if (!cwd.startsWith("/")) {
            throw new IllegalArgumentException("process.cwd: '" + cwd + "' is not an absolute path");
        }
        Optional<Capabilities> caps = p.obj("capabilities").map(c -> {
            Capabilities cs = new Capabilities(c.strings("bounding"), c.strings("effective"), c.strings("inheritable"),
                    c.strings("permitted"), c.strings("ambient"));
            c.done();
            return cs;
        });
        List<Rlimit> rlimits = p.list("rlimits", (n, where) -> {
            Obj r = Obj.of(n, where);
            String type = r.string("type").orElseThrow(() -> r.missing("type"));
            if (!type.startsWith("RLIMIT_")) {
                throw new IllegalArgumentException(where + ".type: '" + type + "' is not an RLIMIT_ name");
            }
            Rlimit rl = new Rlimit(type, r.longRequired("soft"), r.longRequired("hard"));
            r.done();
            return rl;
        });
        boolean nnp = p.bool("noNewPrivileges");
        OptionalInt oom = p.integer("oomScoreAdj");
        if (oom.isPresent() && (oom.getAsInt() < -1000 || oom.getAsInt() > 1000)) {
            throw new IllegalArgumentException("process.oomScoreAdj: " + oom.getAsInt() + " is outside -1000..1000");
        }
        p.emptyString("apparmorProfile");
        p.emptyString("selinuxLabel");
        p.done();
        return new OciConfig.Process(terminal, size, user, args, env, cwd, caps, rlimits, nnp, oom);
    }

    private static Root root(Obj r) {
        Root root = new Root(r.string("path").orElseThrow(() -> r.missing("path")), r.bool("readonly"));
        r.done();
        return root;
    }

    private static Mount mount(JsonNode n, String where) {
        Obj m = Obj.of(n, where);
        String dest = m.string("destination").orElseThrow(() -> m.missing("destination"));
        if (!dest.startsWith("/")) {
            throw new IllegalArgumentException(where + ".destination: '" + dest + "' is not an absolute path");
        }
        List<String> options = m.strings("options");
        String type = m.string("type").orElse("");
        boolean bindOption = options.contains("bind") || options.contains("rbind");
        if (type.isEmpty() || type.equals("none")) {
            if (!bindOption) {
                throw new IllegalArgumentException(where + ".type: '" + type + "' without a bind or rbind option "
                        + "(expected one of " + new java.util.TreeSet<>(MOUNT_TYPES) + ")");
            }
            type = "bind";
        }
        if (!MOUNT_TYPES.contains(type)) {
            throw new IllegalArgumentException(where + ".type: '" + type + "' is not supported (expected one of "
                    + new java.util.TreeSet<>(MOUNT_TYPES) + ")");
        }
        String source = m.string("source").orElse(type);
        m.list("uidMappings", (x, w) -> {
            throw new IllegalArgumentException("unsupported field " + w + " (idmapped mounts)");
        });
        m.list("gidMappings", (x, w) -> {
            throw new IllegalArgumentException("unsupported field " + w + " (idmapped mounts)");
        });
        m.done();
        return new Mount(dest, type, source, options);
    }

    private static Linux linux(Obj l) {
        List<Namespace> namespaces = l.list("namespaces", (n, where) -> {
            Obj ns = Obj.of(n, where);
            String type = ns.string("type").orElseThrow(() -> ns.missing("type"));
            if (!NAMESPACES.contains(type)) {
                throw new IllegalArgumentException(where + ".type: namespace '" + type + "' is not supported (expected one of "
                        + new java.util.TreeSet<>(NAMESPACES) + ")");
            }
            Namespace result = new Namespace(type, ns.string("path").filter(s -> !s.isEmpty()));
            ns.done();
            return result;
        });
        Set<String> seen = new HashSet<>();
        for (Namespace ns : namespaces) {
            if (!seen.add(ns.type())) {
                throw new IllegalArgumentException("linux.namespaces: '" + ns.type() + "' appears twice");
            }
        }
        List<IdMapping> uid = l.list("uidMappings", OciConfigReader::idMapping);
        List<IdMapping> gid = l.list("gidMappings", OciConfigReader::idMapping);
        Resources resources = l.obj("resources").map(OciConfigReader::resources).orElse(Resources.NONE);
        Optional<String> cgroupsPath = l.string("cgroupsPath").filter(s -> !s.isEmpty());
        List<Device> devices = l.list("devices", (n, where) -> {
            Obj d = Obj.of(n, where);
            String type = d.string("type").orElseThrow(() -> d.missing("type"));
            if (!Set.of("c", "b", "u", "p").contains(type)) {
                throw new IllegalArgumentException(where + ".type: '" + type + "' (expected c, b, u or p)");
            }
            Device dev = new Device(type, d.string("path").orElseThrow(() -> d.missing("path")),
                    d.longValue("major").orElse(0), d.longValue("minor").orElse(0),
                    d.integer("fileMode"), d.integer("uid"), d.integer("gid"));
            d.done();
            return dev;
        });
        List<String> masked = l.strings("maskedPaths");
        List<String> readonly = l.strings("readonlyPaths");
        Optional<SeccompProfile> seccomp = l.rawObj("seccomp")
                .map(s -> SeccompJson.parse(s, "config.json", "linux.seccomp"));
        Map<String, String> sysctl = l.stringMap("sysctl");
        Optional<String> propagation = l.string("rootfsPropagation").filter(s -> !s.isEmpty());
        if (propagation.isPresent() && !Set.of("private", "rprivate", "slave", "rslave", "shared", "rshared",
                "unbindable", "runbindable").contains(propagation.get())) {
            throw new IllegalArgumentException("linux.rootfsPropagation: '" + propagation.get()
                    + "' (expected [r]private, [r]slave, [r]shared or [r]unbindable)");
        }
        l.emptyString("mountLabel");
        l.done();
        return new Linux(namespaces, uid, gid, resources, cgroupsPath, devices, masked, readonly, seccomp, sysctl,
                propagation);
    }

    private static IdMapping idMapping(JsonNode n, String where) {
        Obj m = Obj.of(n, where);
        IdMapping r = new IdMapping(m.longRequired("containerID"), m.longRequired("hostID"), m.longRequired("size"));
        m.done();
        return r;
    }

    private static Resources resources(Obj r) {
        List<DeviceRule> devices = r.list("devices", (n, where) -> {
            Obj d = Obj.of(n, where);
            DeviceRule rule = new DeviceRule(d.boolRequired("allow"), d.string("type").orElse("a"),
                    d.longValue("major").orElse(-1), d.longValue("minor").orElse(-1), d.string("access").orElse("rwm"));
            if (!Set.of("a", "b", "c").contains(rule.type())) {
                throw new IllegalArgumentException(where + ".type: '" + rule.type() + "' (expected a, b or c)");
            }
            if (!rule.access().matches("[rwm]*")) {
                throw new IllegalArgumentException(where + ".access: '" + rule.access() + "' (expected letters of rwm)");
            }
            d.done();
            return rule;
        });
        OptionalLong limit = OptionalLong.empty(), reservation = OptionalLong.empty(), swap = OptionalLong.empty(),
                swappiness = OptionalLong.empty();
        Optional<Obj> memory = r.obj("memory");
        if (memory.isPresent()) {
            Obj m = memory.get();
            limit = m.longValue("limit");
            reservation = m.longValue("reservation");
            swap = m.longValue("swap");
            swappiness = m.longValue("swappiness");
            m.falseOnly("disableOOMKiller");
            m.done();
        }
        OptionalLong shares = OptionalLong.empty(), quota = OptionalLong.empty(), period = OptionalLong.empty();
        Optional<String> cpus = Optional.empty(), mems = Optional.empty();
        Optional<Obj> cpu = r.obj("cpu");
        if (cpu.isPresent()) {
            Obj c = cpu.get();
            shares = c.longValue("shares");
            quota = c.longValue("quota");
            period = c.longValue("period");
            cpus = c.string("cpus").filter(s -> !s.isEmpty());
            mems = c.string("mems").filter(s -> !s.isEmpty());
            c.done();
        }
        OptionalLong pids = OptionalLong.empty();
        Optional<Obj> p = r.obj("pids");
        if (p.isPresent()) {
            pids = p.get().longValue("limit");
            p.get().done();
        }
        r.done();
        return new Resources(limit, reservation, swap, swappiness, shares, quota, period, cpus, mems, pids, devices);
    }

    private static Hooks hooks(Obj h) {
        Hooks hooks = new Hooks(h.list("prestart", OciConfigReader::hook), h.list("createRuntime", OciConfigReader::hook),
                h.list("createContainer", OciConfigReader::hook), h.list("startContainer", OciConfigReader::hook),
                h.list("poststart", OciConfigReader::hook), h.list("poststop", OciConfigReader::hook));
        h.done();
        return hooks;
    }

    private static Hook hook(JsonNode n, String where) {
        Obj o = Obj.of(n, where);
        String path = o.string("path").orElseThrow(() -> o.missing("path"));
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException(where + ".path: '" + path + "' is not an absolute path");
        }
        OptionalInt timeout = o.integer("timeout");
        if (timeout.isPresent() && timeout.getAsInt() <= 0) {
            throw new IllegalArgumentException(where + ".timeout: " + timeout.getAsInt() + " (expected more than 0 seconds)");
        }
        Hook hook = new Hook(path, o.strings("args"), o.strings("env"), timeout);
        o.done();
        return hook;
    }

    /** A JSON object being read: fields taken are remembered, {@link #done()} refuses the rest. */
    private static final class Obj {
        private final ObjectNode node;
        private final String path;
        private final Set<String> taken = new HashSet<>();

        private Obj(ObjectNode node, String path) {
            this.node = node;
            this.path = path;
        }

        static Obj of(JsonNode n, String path) {
            if (!(n instanceof ObjectNode o)) {
                throw new IllegalArgumentException((path.isEmpty() ? "config.json" : path) + ": expected a JSON object");
            }
            return new Obj(o, path);
        }

        private String at(String field) {
            return path.isEmpty() ? field : path + "." + field;
        }

        IllegalArgumentException missing(String field) {
            return new IllegalArgumentException(at(field) + ": missing (required)");
        }

        private JsonNode take(String field) {
            taken.add(field);
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? null : v;
        }

        Optional<String> string(String field) {
            JsonNode v = take(field);
            if (v == null) {
                return Optional.empty();
            }
            if (!v.isTextual()) {
                throw new IllegalArgumentException(at(field) + ": expected a string, got " + v);
            }
            return Optional.of(v.asText());
        }

        /** A field mdocker-runtime has no use for unless it is set: absent or "" only. */
        void emptyString(String field) {
            Optional<String> v = string(field);
            if (v.isPresent() && !v.get().isEmpty()) {
                throw new IllegalArgumentException("unsupported field " + at(field) + " ('" + v.get() + "')");
            }
        }

        void falseOnly(String field) {
            if (bool(field)) {
                throw new IllegalArgumentException("unsupported field " + at(field) + " (true)");
            }
        }

        boolean bool(String field) {
            JsonNode v = take(field);
            if (v == null) {
                return false;
            }
            if (!v.isBoolean()) {
                throw new IllegalArgumentException(at(field) + ": expected true or false, got " + v);
            }
            return v.asBoolean();
        }

        boolean boolRequired(String field) {
            if (take(field) == null) {
                throw missing(field);
            }
            return bool(field);
        }

        OptionalLong longValue(String field) {
            JsonNode v = take(field);
            if (v == null) {
                return OptionalLong.empty();
            }
            if (v.isIntegralNumber() && v.bigIntegerValue().equals(UINT64_MAX)) {
                return OptionalLong.of(-1); // RLIM_INFINITY, as runc writes it
            }
            if (!v.isIntegralNumber() || !v.canConvertToLong()) {
                throw new IllegalArgumentException(at(field) + ": expected an integer, got " + v);
            }
            return OptionalLong.of(v.asLong());
        }

        long longRequired(String field) {
            return longValue(field).orElseThrow(() -> missing(field));
        }

        OptionalInt integer(String field) {
            JsonNode v = take(field);
            if (v == null) {
                return OptionalInt.empty();
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw new IllegalArgumentException(at(field) + ": expected a 32-bit integer, got " + v);
            }
            return OptionalInt.of(v.asInt());
        }

        int intRequired(String field) {
            return integer(field).orElseThrow(() -> missing(field));
        }

        Optional<Obj> obj(String field) {
            JsonNode v = take(field);
            return v == null ? Optional.empty() : Optional.of(of(v, at(field)));
        }

        Optional<JsonNode> rawObj(String field) {
            JsonNode v = take(field);
            if (v != null && !v.isObject()) {
                throw new IllegalArgumentException(at(field) + ": expected a JSON object");
            }
            return Optional.ofNullable(v);
        }

        <T> List<T> list(String field, Element<T> element) {
            JsonNode v = take(field);
            if (v == null) {
                return List.of();
            }
            if (!v.isArray()) {
                throw new IllegalArgumentException(at(field) + ": expected an array, got " + v);
            }
            List<T> out = new ArrayList<>();
            int i = 0;
            for (JsonNode e : v) {
                out.add(element.read(e, at(field) + "[" + i++ + "]"));
            }
            return List.copyOf(out);
        }

        <T> List<T> list(String field, Function<JsonNode, T> element) {
            return list(field, (e, where) -> {
                if (!e.isValueNode() || e.isNull()) {
                    throw new IllegalArgumentException(where + ": expected a scalar, got " + e);
                }
                if (e.isNumber() && !e.canConvertToInt()) {
                    throw new IllegalArgumentException(where + ": expected a 32-bit integer, got " + e);
                }
                return element.apply(e);
            });
        }

        List<String> strings(String field) {
            return list(field, (e, where) -> {
                if (!e.isTextual()) {
                    throw new IllegalArgumentException(where + ": expected a string, got " + e);
                }
                return e.asText();
            });
        }

        Map<String, String> stringMap(String field) {
            JsonNode v = take(field);
            Map<String, String> out = new LinkedHashMap<>();
            if (v == null) {
                return out;
            }
            if (!v.isObject()) {
                throw new IllegalArgumentException(at(field) + ": expected a JSON object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new IllegalArgumentException(at(field) + "." + e.getKey() + ": expected a string");
                }
                out.put(e.getKey(), e.getValue().asText());
            }
            return out;
        }

        /** Refuses every field nobody took. */
        void done() {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!taken.contains(f)) {
                    throw new IllegalArgumentException("unsupported field " + at(f));
                }
            }
        }
    }

    @FunctionalInterface
    private interface Element<T> {
        T read(JsonNode node, String where);
    }
}
