package io.mdocker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mdocker.Capability;
import io.mdocker.SeccompProfile;
import io.mdocker.SeccompProfile.Action;
import io.mdocker.SeccompProfile.Arg;
import io.mdocker.SeccompProfile.Op;
import io.mdocker.SeccompProfile.Rule;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a seccomp profile in Docker's JSON format (moby's profiles/seccomp/default.json; the
 * OCI runtime spec's {@code linux.seccomp} object is the same shape without {@code includes},
 * {@code excludes} and {@code archMap}) into a {@link SeccompProfile}, for
 * {@code --security-opt seccomp=FILE}. Every field mdocker does not know is an error, not
 * silently ignored: a profile that would be read differently from Docker must not load.
 *
 * <p>Why here and with Jackson: the JDK has no JSON parser, mdocker-core stays free of
 * dependencies, and the CLI already ships as one shaded jar; embedding programs build
 * {@link SeccompProfile}s in Java, or call this class.
 */
public final class SeccompJson {
    private SeccompJson() {}

    private static final Set<String> TOP = Set.of("defaultAction", "defaultErrnoRet", "architectures", "archMap",
            "syscalls", "flags", "listenerPath", "listenerMetadata");
    private static final Set<String> SYSCALL = Set.of("names", "name", "action", "errnoRet", "args", "includes",
            "excludes", "comment");
    private static final Set<String> ARG = Set.of("index", "value", "valueTwo", "op");
    private static final Set<String> FILTER = Set.of("caps", "arches", "minKernel");

    /** Loads {@code file}; IllegalArgumentException names the file and what is wrong. */
    public static SeccompProfile load(Path file) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("seccomp profile " + file + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        return parse(root, file.getFileName().toString(), "seccomp profile " + file);
    }

    /**
     * Reads a profile already parsed ({@code linux.seccomp} of an OCI {@code config.json});
     * {@code where} starts the error messages.
     */
    public static SeccompProfile parse(JsonNode root, String name, String where) {
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(where + ": expected a JSON object");
        }
        known(root, TOP, where);
        if (root.has("listenerPath") && !root.get("listenerPath").asText().isEmpty()) {
            throw new IllegalArgumentException(where + ": listenerPath (seccomp notify) is not supported");
        }
        Action defaultAction = action(text(root, "defaultAction", where), root.get("defaultErrnoRet"), where);
        Set<String> arches = new LinkedHashSet<>();
        root.path("architectures").forEach(a -> arches.add(a.asText()));
        String nativeArch = nativeScmpArch();
        for (JsonNode m : root.path("archMap")) {
            if (m.path("architecture").asText().equals(nativeArch)) {
                arches.add(nativeArch);
                m.path("subArchitectures").forEach(a -> arches.add(a.asText()));
            }
        }
        List<Rule> rules = new ArrayList<>();
        int i = 0;
        for (JsonNode s : root.path("syscalls")) {
            rules.add(rule(s, where + ": syscalls[" + i++ + "]"));
        }
        return new SeccompProfile(name, defaultAction, List.copyOf(arches), rules);
    }

    private static Rule rule(JsonNode s, String where) {
        known(s, SYSCALL, where);
        List<String> names = new ArrayList<>();
        s.path("names").forEach(n -> names.add(n.asText()));
        if (s.has("name")) {
            names.add(s.get("name").asText());
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException(where + ": no syscall names");
        }
        List<Arg> args = new ArrayList<>();
        for (JsonNode a : s.path("args")) {
            known(a, ARG, where + ".args");
            args.add(new Arg(a.path("index").asInt(), op(text(a, "op", where + ".args"), where),
                    a.path("value").bigIntegerValue().longValue(), a.path("valueTwo").bigIntegerValue().longValue()));
        }
        JsonNode inc = s.path("includes");
        JsonNode exc = s.path("excludes");
        known(inc, FILTER, where + ".includes");
        known(exc, FILTER, where + ".excludes");
        if (exc.has("minKernel")) {
            throw new IllegalArgumentException(where + ".excludes: minKernel is only allowed in includes");
        }
        String minKernel = inc.has("minKernel") ? inc.get("minKernel").asText() : null;
        if (minKernel != null && minKernel.matches("\\d+\\.\\d+\\..*")) {
            minKernel = minKernel.substring(0, minKernel.indexOf('.', minKernel.indexOf('.') + 1));
        }
        return new Rule(names, action(text(s, "action", where), s.get("errnoRet"), where), args,
                caps(inc.path("caps"), where), caps(exc.path("caps"), where),
                strings(inc.path("arches")), strings(exc.path("arches")), minKernel);
    }

    private static void known(JsonNode node, Set<String> fields, String where) {
        if (node.isMissingNode()) {
            return;
        }
        node.fieldNames().forEachRemaining(f -> {
            if (!fields.contains(f)) {
                throw new IllegalArgumentException(where + ": unknown field '" + f + "' (known: " + fields + ")");
            }
        });
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(where + ": '" + field + "' is missing or not a string");
        }
        return v.asText();
    }

    private static Action action(String name, JsonNode errnoRet, String where) {
        int errno = errnoRet == null || errnoRet.isNull() ? 1 : errnoRet.asInt(); // EPERM, as Docker
        return switch (name) {
            case "SCMP_ACT_ALLOW" -> Action.allow();
            case "SCMP_ACT_ERRNO" -> Action.errno(errno);
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> Action.killThread();
            case "SCMP_ACT_KILL_PROCESS" -> Action.killProcess();
            case "SCMP_ACT_TRAP" -> Action.trap();
            case "SCMP_ACT_TRACE" -> Action.trace(errnoRet == null ? 0 : errno);
            case "SCMP_ACT_LOG" -> Action.log();
            default -> throw new IllegalArgumentException(where + ": unknown action '" + name + "'");
        };
    }

    private static Op op(String name, String where) {
        return switch (name) {
            case "SCMP_CMP_NE" -> Op.NE;
            case "SCMP_CMP_LT" -> Op.LT;
            case "SCMP_CMP_LE" -> Op.LE;
            case "SCMP_CMP_EQ" -> Op.EQ;
            case "SCMP_CMP_GE" -> Op.GE;
            case "SCMP_CMP_GT" -> Op.GT;
            case "SCMP_CMP_MASKED_EQ" -> Op.MASKED_EQ;
            default -> throw new IllegalArgumentException(where + ": unknown comparison '" + name + "'");
        };
    }

    private static Set<Capability> caps(JsonNode list, String where) {
        Set<Capability> caps = new LinkedHashSet<>();
        for (JsonNode c : list) {
            try {
                caps.add(Capability.parse(c.asText()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        return caps;
    }

    private static Set<String> strings(JsonNode list) {
        Set<String> s = new LinkedHashSet<>();
        list.forEach(n -> s.add(n.asText().toLowerCase(java.util.Locale.ROOT)));
        return s;
    }

    private static String nativeScmpArch() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "SCMP_ARCH_X86_64";
            case "aarch64" -> "SCMP_ARCH_AARCH64";
            default -> "SCMP_ARCH_NATIVE";
        };
    }
}
