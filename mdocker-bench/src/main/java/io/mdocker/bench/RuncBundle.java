package io.mdocker.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.Capability;
import io.mdocker.Container;
import io.mdocker.internal.security.SecurityPlan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * An OCI bundle for {@code runc run} that does what an mdocker container with default settings
 * does: the same namespaces (pid, mount, uts, ipc, network, cgroup), the same busybox rootfs, the
 * same mounts (/proc, a tmpfs /dev with the safe devices, devpts, /dev/shm, /dev/mqueue, /sys
 * read-only; no cgroupfs), Docker's 14 capabilities, no_new_privs, Docker's masked and read-only
 * paths, its seccomp profile resolved as Docker resolves it, the default device rules, and
 * optionally the same cgroup limits. The rootfs is given read-only (runc has no overlay of its
 * own; Docker mounts one for it, which this bundle spares runc).
 */
final class RuncBundle {
    private RuncBundle() {}

    /** Writes {@code dir}/config.json for {@code command} and returns {@code dir}. */
    static Path write(Path dir, Path rootfs, Container spec, Limits limits, List<String> command) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.put("ociVersion", "1.0.2");
        ObjectNode process = c.putObject("process");
        process.put("terminal", false);
        process.putObject("user").put("uid", 0).put("gid", 0);
        strings(process.putArray("args"), command);
        process.putArray("env").add("PATH=" + Container.DEFAULT_PATH);
        process.put("cwd", "/");
        Set<Capability> caps = spec.capabilities();
        List<String> capNames = caps.stream().map(k -> "CAP_" + k.name()).sorted().toList();
        ObjectNode capabilities = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            strings(capabilities.putArray(set), capNames);
        }
        process.put("noNewPrivileges", spec.noNewPrivileges());
        c.putObject("root").put("path", rootfs.toString()).put("readonly", true);
        c.put("hostname", "bench");
        ArrayNode mounts = c.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        ObjectNode linux = c.putObject("linux");
        ObjectNode resources = linux.putObject("resources");
        resources.putArray("devices").addObject().put("allow", false).put("access", "rwm");
        if (limits != null) {
            resources.putObject("memory").put("limit", limits.memoryBytes()).put("swap", limits.memoryBytes());
            resources.putObject("cpu").put("quota", limits.cpuQuotaUs()).put("period", Limits.CFS_PERIOD_US);
            resources.putObject("pids").put("limit", limits.pids());
        }
        ArrayNode namespaces = linux.putArray("namespaces");
        for (String ns : List.of("pid", "network", "ipc", "uts", "mount", "cgroup")) {
            namespaces.addObject().put("type", ns);
        }
        strings(linux.putArray("maskedPaths"), SecurityPlan.MASKED_PATHS);
        strings(linux.putArray("readonlyPaths"), SecurityPlan.READONLY_PATHS);
        if (!spec.seccomp().isUnconfined()) {
            linux.set("seccomp", OciSeccomp.of(spec.seccomp(), caps, kernel()));
        }
        Files.createDirectories(dir);
        json.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), c);
        return dir;
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject().put("destination", destination).put("type", type).put("source", source);
        if (options.length > 0) {
            strings(m.putArray("options"), List.of(options));
        }
    }

    private static int[] kernel() {
        String[] v = System.getProperty("os.version").split("[.-]");
        return new int[] {Integer.parseInt(v[0]), Integer.parseInt(v[1])};
    }

}
