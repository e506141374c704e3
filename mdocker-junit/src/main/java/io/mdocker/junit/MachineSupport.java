package io.mdocker.junit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;

/**
 * Whether this machine can run mdocker containers: root, or (rootless) user namespaces the
 * kernel lets an unprivileged user make; the namespaces a container is made of, and OverlayFS. Read from {@code /proc} (and the kernel's module directory for an overlay module
 * not loaded yet); the roots are parameters so that the decision can be tested on fake trees.
 */
final class MachineSupport {
    private MachineSupport() {}

    /** The namespaces every container gets. */
    private static final List<String> NAMESPACES = List.of("user", "pid", "mnt", "uts", "ipc", "net", "cgroup");

    /** What is missing on the machine whose /proc is {@code proc}; empty when containers can run. */
    static List<String> missing(Path proc, Path modules) {
        List<String> missing = new ArrayList<>();
        int euid = effectiveUid(proc);
        if (euid < 0) {
            missing.add("cannot tell the effective user (no Uid: line in " + proc.resolve("self/status") + ")");
        } else if (euid != 0) { // rootless: a user namespace per container, where the kernel allows one
            io.mdocker.internal.RootlessSupport.unavailable(proc.resolve("sys"))
                    .ifPresent(why -> missing.add("not root (euid " + euid + ") and " + why));
        }
        for (String ns : NAMESPACES) {
            if (!Files.exists(proc.resolve("self/ns").resolve(ns))) {
                missing.add("no " + ns + " namespaces (" + proc.resolve("self/ns").resolve(ns) + " missing)");
            }
        }
        if (!overlay(proc, modules)) {
            missing.add("no OverlayFS (not in " + proc.resolve("filesystems") + ", no overlay module under " + modules + ")");
        }
        return missing;
    }

    /**
     * The verdict for JUnit: enabled where nothing is missing; under {@code CI=true} enabled
     * always (the project's own tests never skip: a machine that cannot run them must fail them);
     * otherwise disabled, naming what is missing.
     */
    static ConditionEvaluationResult decide(Map<String, String> env, List<String> missing) {
        if (missing.isEmpty()) {
            return ConditionEvaluationResult.enabled("this machine can run mdocker containers");
        }
        if ("true".equals(env.get("CI"))) {
            return ConditionEvaluationResult.enabled("CI=true: never skipped, although " + String.join("; ", missing));
        }
        return ConditionEvaluationResult.disabled("mdocker cannot run containers on this machine: "
                + String.join("; ", missing));
    }

    private static int effectiveUid(Path proc) {
        try {
            for (String line : Files.readAllLines(proc.resolve("self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[1]); // real, effective, saved, fs
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static boolean overlay(Path proc, Path modules) {
        try {
            if (Files.readAllLines(proc.resolve("filesystems")).stream().anyMatch(l -> l.trim().endsWith("overlay"))) {
                return true;
            }
            String release = Files.readString(proc.resolve("sys/kernel/osrelease")).trim();
            return Files.isDirectory(modules.resolve(release).resolve("kernel/fs/overlayfs"));
        } catch (IOException e) {
            return false;
        }
    }
}
