package io.mdocker.cli;

import io.mdocker.BindMount;
import io.mdocker.Container;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Docker's {@code --mount KEY=VALUE,...}: {@code type=bind} (source, target, readonly) or
 * {@code type=tmpfs} (target, tmpfs-size, tmpfs-mode), as {@code -v} and {@code --tmpfs} make
 * them. Any other type or key is a one-line error naming it (mdocker has no volumes).
 */
final class MountOption {
    private static final Set<String> BIND_KEYS = Set.of("type", "source", "src", "target", "destination", "dst",
            "readonly", "ro", "consistency");
    private static final Set<String> TMPFS_KEYS = Set.of("type", "target", "destination", "dst", "tmpfs-size", "tmpfs-mode");
    /** Docker accepts these and ignores them on Linux (a macOS file-sharing hint). */
    private static final Set<String> CONSISTENCY = Set.of("default", "consistent", "cached", "delegated");

    private MountOption() {}

    /** Adds the mount {@code spec} describes to {@code b}. */
    static void apply(String spec, Container.Builder b) {
        Map<String, String> keys = new LinkedHashMap<>();
        for (String field : spec.split(",", -1)) {
            int eq = field.indexOf('=');
            String key = (eq < 0 ? field : field.substring(0, eq)).strip().toLowerCase(java.util.Locale.ROOT);
            if (key.isEmpty()) {
                throw invalid(spec, "an empty field: expected KEY=VALUE,... (type=bind,source=/a,target=/b)");
            }
            if (keys.containsKey(key)) {
                throw invalid(spec, "'" + key + "' given twice");
            }
            keys.put(key, eq < 0 ? null : field.substring(eq + 1));
        }
        String type = keys.getOrDefault("type", "volume");
        switch (type == null ? "" : type) {
            case "bind" -> bind(spec, keys, b);
            case "tmpfs" -> tmpfs(spec, keys, b);
            case "volume" -> throw invalid(spec, "type volume: mdocker has no volumes (expected type=bind with a host "
                    + "directory, or type=tmpfs)");
            default -> throw invalid(spec, "type '" + type + "': expected bind or tmpfs");
        }
    }

    private static void bind(String spec, Map<String, String> keys, Container.Builder b) {
        check(spec, keys, BIND_KEYS, "bind");
        String source = one(spec, keys, "source", "src");
        if (source == null) {
            throw invalid(spec, "no source: a bind mount needs source=HOST_PATH");
        }
        String consistency = keys.get("consistency");
        if (keys.containsKey("consistency") && (consistency == null || !CONSISTENCY.contains(consistency))) {
            throw invalid(spec, "consistency '" + consistency + "': expected default, consistent, cached or delegated");
        }
        boolean readOnly = flag(spec, keys, "readonly") | flag(spec, keys, "ro");
        b.bind(new BindMount(Path.of(source), target(spec, keys), readOnly));
    }

    private static void tmpfs(String spec, Map<String, String> keys, Container.Builder b) {
        check(spec, keys, TMPFS_KEYS, "tmpfs");
        StringBuilder options = new StringBuilder();
        String size = keys.get("tmpfs-size");
        if (keys.containsKey("tmpfs-size")) {
            if (size == null || !size.matches("[0-9]+[kKmMgG]?")) {
                throw invalid(spec, "tmpfs-size '" + size + "': expected bytes, or a number with k, m or g");
            }
            options.append("size=").append(size);
        }
        String mode = keys.get("tmpfs-mode");
        if (keys.containsKey("tmpfs-mode")) {
            if (mode == null || !mode.matches("[0-7]{3,4}")) {
                throw invalid(spec, "tmpfs-mode '" + mode + "': expected an octal mode, like 1777");
            }
            options.append(options.isEmpty() ? "" : ",").append("mode=").append(mode);
        }
        b.tmpfs(target(spec, keys), options.toString());
    }

    private static void check(String spec, Map<String, String> keys, Set<String> known, String type) {
        for (String k : keys.keySet()) {
            if (!known.contains(k)) {
                throw invalid(spec, "'" + k + "' is not a key of a " + type + " mount here (expected "
                        + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
    }

    private static String target(String spec, Map<String, String> keys) {
        String target = one(spec, keys, "target", "destination", "dst");
        if (target == null) {
            throw invalid(spec, "no target: expected target=PATH in the container");
        }
        return target;
    }

    /** The value of the one of {@code names} that is given; null when none is; two of them an error. */
    private static String one(String spec, Map<String, String> keys, String... names) {
        String found = null;
        String value = null;
        for (String n : names) {
            if (keys.containsKey(n)) {
                if (found != null) {
                    throw invalid(spec, "'" + found + "' and '" + n + "' both given: they are one key");
                }
                found = n;
                value = keys.get(n);
                if (value == null || value.isEmpty()) {
                    throw invalid(spec, "'" + n + "' without a value");
                }
            }
        }
        return value;
    }

    /** {@code readonly}, {@code readonly=true|1}: true; {@code =false|0}: false. */
    private static boolean flag(String spec, Map<String, String> keys, String name) {
        if (!keys.containsKey(name)) {
            return false;
        }
        String v = keys.get(name);
        if (v == null || v.equals("true") || v.equals("1")) {
            return true;
        }
        if (v.equals("false") || v.equals("0")) {
            return false;
        }
        throw invalid(spec, name + " '" + v + "': expected true or false");
    }

    private static IllegalArgumentException invalid(String spec, String why) {
        return new IllegalArgumentException("invalid --mount '" + spec + "': " + why);
    }
}
