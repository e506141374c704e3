package io.mdocker.cli.oci;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.BusyboxRootfs;
import io.mdocker.ContainerRuntime;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The training run of mdocker-runtime's AOT cache (JDK 25+), made by the Maven build of this
 * module: {@code java -XX:AOTCacheOutput=target/mdocker-runtime.aot -cp target/mdocker-cli.jar
 * io.mdocker.cli.oci.OciAotTraining WORK FRONT}, with the launcher's JVM flags (a cache serves only
 * a JVM started like its training run). What the JVM's verbs do here, a later call finds loaded,
 * linked and profiled: {@code --version}, {@code features}, and, as root with a static busybox on
 * the host, a real {@code create} of a bundle under WORK whose config.json has what an engine's
 * has (namespaces, mounts, a seccomp filter, resources, hooks), started by the front end, then {@code ps}, {@code exec
 * --detach}, {@code pause} and {@code resume}; the front end FRONT ({@code target/oci-front})
 * deletes the container. Never fails the build: a missing or partial cache only makes calls slower.
 */
public final class OciAotTraining {
    private OciAotTraining() {}

    public static void main(String[] args) {
        Path work = Path.of(args.length > 0 ? args[0] : "target/oci-aot-training").toAbsolutePath();
        Path front = Path.of(args.length > 1 ? args[1] : "target/oci-front").toAbsolutePath();
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        RuntimeMain runtime = new RuntimeMain(quiet, quiet);
        runtime.run(new String[] {"--version"});
        runtime.run(new String[] {"features"});
        String what;
        try {
            what = createAndDelete(work, front, quiet);
        } catch (IOException | RuntimeException e) {
            what = "failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            what = "interrupted";
        }
        System.out.println("mdocker-runtime AOT training: --version, features; " + what);
        // Leave as RuntimeMain does: what Runtime.exit loads (its logger look-up) is then in the cache too.
        System.exit(0);
    }

    private static String createAndDelete(Path work, Path front, PrintStream quiet) throws IOException, InterruptedException {
        try {
            ContainerRuntime.requireRoot();
        } catch (RuntimeException e) {
            return "no create (not root: the cache covers the command line only)";
        }
        if (BusyboxRootfs.findStaticBusybox().isEmpty()) {
            return "no create (no static busybox on the host: the cache covers the command line only)";
        }
        Path bundle = work.resolve("bundle");
        Path root = work.resolve("root");
        Files.createDirectories(bundle);
        BusyboxRootfs.ensure(bundle.resolve("rootfs"));
        ObjectMapper json = new ObjectMapper();
        Files.write(bundle.resolve("config.json"), json.writeValueAsBytes(config(json)));
        ObjectNode process = json.createObjectNode();
        process.put("terminal", false).put("cwd", "/");
        process.putObject("user").put("uid", 0).put("gid", 0);
        process.putArray("args").add("true");
        process.putArray("env").add("PATH=/bin");
        Files.write(work.resolve("process.json"), json.writeValueAsBytes(process));
        String id = "aot-training-" + ProcessHandle.current().pid();
        String[] global = {"--root", root.toString()};
        RuntimeMain runtime = new RuntimeMain(quiet, quiet);
        int created = runtime.run(concat(global, "create", "--bundle", bundle.toString(), "--pid-file",
                work.resolve("pid").toString(), id));
        if (created != 0) {
            return "create exited " + created;
        }
        try {
            Process start = new ProcessBuilder(front.toString(), "1", "/nonexistent/java", "--root", root.toString(), "start", id)
                    .inheritIO().start();
            if (!start.waitFor(30, TimeUnit.SECONDS)) {
                start.destroyForcibly();
            }
            runtime.run(concat(global, "ps", "--format", "json", id));
            runtime.run(concat(global, "exec", "--detach", "--process", work.resolve("process.json").toString(), id));
            runtime.run(concat(global, "pause", id));
            runtime.run(concat(global, "resume", id));
        } finally {
            Process delete = new ProcessBuilder(front.toString(), "1", "/nonexistent/java", "--root", root.toString(), "delete",
                    "--force", id).inheritIO().start();
            if (!delete.waitFor(30, TimeUnit.SECONDS)) {
                delete.destroyForcibly();
            }
        }
        return "create, ps, exec --detach, pause, resume of a busybox bundle";
    }

    /** A config.json as Podman and containerd write them, in the parts mdocker-runtime reads. */
    private static ObjectNode config(ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        c.put("ociVersion", "1.0.2");
        ObjectNode p = c.putObject("process");
        p.put("terminal", false).put("cwd", "/").put("noNewPrivileges", true).put("oomScoreAdj", 0);
        p.putObject("user").put("uid", 0).put("gid", 0).putArray("additionalGids").add(10);
        p.putArray("args").add("sleep").add("600");
        p.putArray("env").add("PATH=/bin:/usr/bin").add("TERM=xterm");
        ObjectNode caps = p.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted", "inheritable")) {
            caps.putArray(set).add("CAP_CHOWN").add("CAP_KILL").add("CAP_NET_BIND_SERVICE");
        }
        p.putArray("rlimits").addObject().put("type", "RLIMIT_NOFILE").put("hard", 1024).put("soft", 1024);
        c.putObject("root").put("path", "rootfs").put("readonly", true);
        c.put("hostname", "aot-training");
        ArrayNode mounts = c.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
        mount(mounts, "/tmp", "tmpfs", "tmpfs", "nosuid", "nodev", "mode=1777");
        ObjectNode bind = mounts.addObject().put("destination", "/etc/hosts").put("type", "bind").put("source", "/etc/hosts");
        bind.putArray("options").add("rbind").add("ro").add("rprivate");
        ObjectNode linux = c.putObject("linux");
        ObjectNode r = linux.putObject("resources");
        r.putArray("devices").addObject().put("allow", false).put("access", "rwm");
        r.putObject("memory").put("limit", 256L << 20);
        r.putObject("cpu").put("shares", 512).put("quota", 50_000).put("period", 100_000);
        r.putObject("pids").put("limit", 100);
        ArrayNode ns = linux.putArray("namespaces");
        for (String t : List.of("pid", "network", "ipc", "uts", "mount", "cgroup")) {
            ns.addObject().put("type", t);
        }
        linux.putArray("maskedPaths").add("/proc/kcore").add("/proc/keys").add("/sys/firmware");
        linux.putArray("readonlyPaths").add("/proc/bus").add("/proc/sys").add("/proc/sysrq-trigger");
        linux.putObject("sysctl").put("net.ipv4.ip_unprivileged_port_start", "0");
        ObjectNode seccomp = linux.putObject("seccomp");
        seccomp.put("defaultAction", "SCMP_ACT_ALLOW");
        seccomp.putArray("architectures").add("SCMP_ARCH_X86_64").add("SCMP_ARCH_X86");
        ObjectNode rule = seccomp.putArray("syscalls").addObject();
        rule.putArray("names").add("kexec_load").add("open_by_handle_at");
        rule.put("action", "SCMP_ACT_ERRNO").put("errnoRet", 1);
        ObjectNode hooks = c.putObject("hooks");
        hooks.putArray("createRuntime").addObject().put("path", "/bin/true");
        hooks.putArray("poststop").addObject().put("path", "/bin/true");
        c.putObject("annotations").put("io.mdocker.training", "true");
        return c;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject().put("destination", destination).put("type", type).put("source", source);
        ArrayNode o = m.putArray("options");
        for (String s : options) {
            o.add(s);
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
