package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.UnprivilegedUser;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rootless containers, started by an unprivileged user's JVM: as root this class creates the
 * user {@value #USER} (with subordinate id ranges), a directory it can read holding the classes
 * {@link RootlessProbe} needs and a copy of the test rootfs it owns, and runs the probe as that
 * user through {@code setpriv --reset-env} with its own HOME and XDG_RUNTIME_DIR. It asserts on
 * the probe's lines: isolation, ids, exit codes, signals, exec, tty, the one-line refusals of what
 * rootless cannot do here (limits without a delegated cgroup, bridge networks, unmapped users),
 * escape attempts through a bind of a root-owned file, cleanup, and a SIGKILLed JVM's container.
 * The user, its ranges and the directory are removed after the class.
 */
@Tag("rootless")
class RootlessTest {
    static final String USER = UnprivilegedUser.NAME;
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static UnprivilegedUser user;
    private static Path dir;
    private static String classpath;

    @BeforeAll
    static void createUser() throws Exception {
        user = UnprivilegedUser.create(); // removes one a killed run left first
        dir = user.dir();
        // a file root owns, in a directory the container binds read-write
        Path host = Files.createDirectory(dir.resolve("host"));
        Files.writeString(host.resolve("root-owned"), "original");
        sh("chmod 755 " + host + " && chmod 644 " + host.resolve("root-owned"));
        Files.createDirectory(host.resolve("private")); // a layer this user cannot read
        sh("chmod 700 " + host.resolve("private"));
        // the classes the probe needs, readable by the user; images: JSON, zstd
        classpath = user.classpath(List.of(RootlessProbe.class, ContainerRuntime.class, io.mdocker.bindings.Linux.class,
                com.fasterxml.jackson.databind.JsonNode.class, com.fasterxml.jackson.core.JsonFactory.class,
                com.fasterxml.jackson.annotation.JsonProperty.class, com.github.luben.zstd.Zstd.class));
    }

    @AfterAll
    static void removeAll() throws Exception {
        if (user != null) {
            user.close();
            assertThat(Files.readString(Path.of("/etc/subuid")) + Files.readString(Path.of("/etc/subgid")))
                    .doesNotContain(USER + ":");
        }
    }

    private static String sh(String script) throws Exception {
        Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(script).isTrue();
        assertThat(p.exitValue()).as(script + ": " + out).isZero();
        return out;
    }

    /** The probe as the user: setpriv with a clean environment, HOME and XDG_RUNTIME_DIR of its own. */
    private static Process probe(String... args) throws IOException {
        return probeIn(null, args);
    }

    /** The probe, started in {@code cgroup} (null: this JVM's) by root before setpriv makes it the user. */
    private static Process probeIn(Path cgroup, String... args) throws IOException {
        List<String> prefix = new ArrayList<>();
        if (cgroup != null) {
            prefix.addAll(List.of("/bin/sh", "-c", "echo $$ > " + cgroup.resolve("cgroup.procs") + " && exec \"$@\"", "sh"));
        }
        return probeAfter(prefix, args);
    }

    /** The probe, started through {@code prefix} (a command that ends by exec'ing its arguments) by root. */
    private static Process probeAfter(List<String> prefix, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(SETPRIV.toString(), "--reuid=" + USER, "--regid=" + USER,
                "--init-groups", "--reset-env", "/usr/bin/env", "HOME=" + dir.resolve("home"),
                "XDG_RUNTIME_DIR=" + dir.resolve("run")));
        // the test JVM's own options (the cgroup v2 guest's JIT flags, without which C1/C2 crash under emulation)
        Optional.ofNullable(System.getenv("JAVA_TOOL_OPTIONS")).ifPresent(o -> cmd.add("JAVA_TOOL_OPTIONS=" + o));
        cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classpath, RootlessProbe.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).directory(dir.toFile()).start();
        p.getOutputStream().close();
        return p;
    }

    private static Map<String, String> run(String... args) throws Exception {
        return runIn(null, args);
    }

    private static Map<String, String> runIn(Path cgroup, String... args) throws Exception {
        return lines(probeIn(cgroup, args));
    }

    private static Map<String, String> lines(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, String> lines = new LinkedHashMap<>();
        out.lines().filter(l -> l.contains("=")).forEach(l -> lines.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        return lines;
    }

    /** What the suite shows in either mapping. */
    private static void assertSuite(Map<String, String> r, int mapLines) throws IOException {
        assertThat(r).as("the probe's lines").containsKeys("ids", "left");
        assertThat(r.get("ids")).as(r.toString()).isEqualTo("0|0"); // root inside
        String[] pid1 = r.get("pid1").split("\\|");
        assertThat(pid1[0]).isEqualTo("mdocker-init");
        assertThat(pid1[1]).isEqualTo("2");
        assertThat(Integer.parseInt(pid1[2])).as("processes the container sees (not the user's JVM)").isBetween(2, 4);
        assertThat(r.get("hostname")).isEqualTo("rlbox");
        String[] userns = r.get("userns").split("\\|");
        assertThat(userns[0]).as("lines of uid_map").isEqualTo(Integer.toString(mapLines));
        assertThat(userns[1]).startsWith("user:[").isNotEqualTo(userns[2].replace(" host ", ""));
        assertThat(r.get("exit")).isEqualTo("7");
        assertThat(r.get("lo")).as("lo is up (IFF_UP|IFF_LOOPBACK)").isEqualTo("0x9|lo");
        assertThat(r.get("devnull")).isEqualTo("4");
        assertThat(r.get("write")).isEqualTo("hi|ok");
        assertThat(r.get("signal")).isEqualTo("143");
        assertThat(r.get("exec")).matches("0 0\\|\\d+\\|mdocker-init");
        assertThat(r.get("tty")).isEqualTo("/dev/pts/0");
        // copyIn keeps the JVM's user as owner, root inside; stats without a cgroup of its own
        assertThat(r.get("copystats")).as(r.toString()).isEqualTo("copied 0 ResourceStats");
        assertThat(r.get("detached")).as("exec into a detached container, its exit code and log").isEqualTo("0 3 out");
        // network host: the host's network namespace, and its /sys (bound read-only: no sysfs of its own)
        assertThat(r.get("hostnet")).isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")) + "|/sys/class/net/lo");
        assertThat(r.get("limits!")).as(r.toString()).startsWith("IllegalArgumentException: the memory limit needs a cgroup")
                .contains("no delegated cgroup v2 subtree").doesNotContain("|");
        assertThat(r.get("bridge!")).startsWith("IllegalArgumentException: network bridge").contains("needs root");
        // escapes: root inside is the user outside
        assertThat(r.get("bindwrite")).startsWith("rc=1|").contains(" 65534 ");
        assertThat(r.get("rootfile")).isEqualTo("original");
        assertThat(Files.readString(dir.resolve("host/root-owned"))).isEqualTo("original");
        assertThat(r.get("chown")).isEqualTo("rc=1");
        assertThat(r.get("setupfail")).as("10 starts whose pid 1 fails its setup")
                .isEqualTo("mkdir(/proc in rootfs): EACCES (Permission denied)");
        assertThat(r.get("kill1")).as("the user's JVM cannot be signalled from inside").contains("rc=1");
        // network pasta: an interface besides lo and a default route, a published port on the
        // host's loopback, and neither the host's loopback nor its gateway address reachable
        assertThat(r.get("pastanet")).isEqualTo("2|1");
        assertThat(r.get("published")).isEqualTo("200 hello-from-container");
        assertThat(r.get("pastahostloop")).isEqualTo("control-ok|done");
        assertThat(r.get("pastaleft")).as("pasta processes once their containers are gone").isEqualTo("0");
        // cleanup: nothing in the user's state directories
        assertThat(r.get("left")).isEqualTo("none");
        assertThat(r.get("roots")).isEqualTo(dir.resolve("home/.local/share/mdocker") + " " + dir.resolve("run/mdocker"));
    }

    /**
     * On a pure cgroup v2 host (the cgroup v2 guest of scripts/test-cgroup-v2): root makes a cgroup
     * and hands it to the user as systemd's delegation does (the directory and its cgroup.procs,
     * cgroup.subtree_control and cgroup.threads chowned), the probe's JVM starts in it, and its
     * containers' limits are enforced there: memory (an OOM kill, reported), pids.max, cpu.max
     * (the share of a core a busy loop gets) and cpuset (the CPUs its processes may use); nothing
     * is left below the delegated cgroup but the JVM's leaf, gone with the JVM. Then a JVM of the
     * user started in that leaf (as a later one of the same delegation is) starts a container with
     * limits and is SIGKILLed: the container ends, and the user's next JVM removes its cgroup and
     * state.
     */
    @Test
    @Tag("rootless-cgroup-v2")
    void inADelegatedCgroupV2SubtreeLimitsAreEnforced() throws Exception {
        Path fs = Path.of("/sys/fs/cgroup");
        List<String> controllers = Files.exists(fs.resolve("cgroup.subtree_control"))
                ? List.of(Files.readString(fs.resolve("cgroup.subtree_control")).strip().split("\\s+")) : List.of();
        Fixtures.prerequisite(controllers.containsAll(List.of("memory", "pids", "cpu", "cpuset"))
                        && Runtime.getRuntime().availableProcessors() >= 2
                        && io.mdocker.internal.cgroup.CgroupLayout.host().kind() == io.mdocker.internal.cgroup.CgroupLayout.Kind.UNIFIED,
                "a pure cgroup v2 host with 2 CPUs and memory, pids, cpu and cpuset enabled at the root (scripts/test-cgroup-v2's guest)");
        Path delegated = fs.resolve("mdocker-rl-" + ProcessHandle.current().pid());
        Path leaf = delegated.resolve(io.mdocker.internal.cgroup.Delegation.JVM_LEAF);
        Files.createDirectory(delegated);
        Process hang = null;
        try {
            sh("chown " + USER + ": " + delegated + " " + delegated.resolve("cgroup.procs") + " "
                    + delegated.resolve("cgroup.subtree_control") + " " + delegated.resolve("cgroup.threads"));
            Map<String, String> r = runIn(delegated, "limits", dir.resolve("rootfs").toString(), delegated.toString());
            assertThat(r.get("placement")).as(r.toString())
                    .isEqualTo("0::/" + delegated.getFileName() + "/mdocker-jvm mdocker 67108864 16");
            assertThat(r.get("oom")).as(r.toString()).isEqualTo("137 true");
            assertThat(r.get("fits")).as(r.toString()).isEqualTo("0 false 1000000");
            // pids.max 8: init, sh, the subshell and 5 sleeps; busybox's subshell ends at its failed fork
            // (status 2), so 7 processes are left (8 should it stay), never the 22 without the limit
            assertThat(r.get("pids")).as(r.toString()).matches("0 [78]");
            // cpus 0.5 on CPU 1: cpu.max, the effective cpuset, every process allowed CPU 1 only, the
            // quota throttling, and the share of one core used: at most the root test's 0.5 + 15%;
            // at least 25% (not 42%: the guest's 2 emulated CPUs share 2 host cores with other work)
            String[] cpu = r.get("cpu").split(" ");
            assertThat(String.join(" ", java.util.Arrays.copyOf(cpu, 6))).as(r.toString())
                    .isEqualTo("mdocker 50000 100000 1 1 throttled");
            System.out.println("[rootless cgroup v2] cpus 0.5: the cgroup used " + cpu[6] + "% of one core over 2 s");
            assertThat(Integer.parseInt(cpu[6])).as(r.toString()).isBetween(25, 58);
            assertThat(r.get("left")).as(r.toString()).isEqualTo("0");
            try (var s = Files.list(delegated)) {
                assertThat(s.filter(Files::isDirectory).map(d -> d.getFileName().toString()).toList())
                        .as("once the user's JVM has exited").containsExactly("mdocker-jvm");
            }

            hang = probeIn(leaf, "hanglimits", dir.resolve("rootfs").toString());
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(hang.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertThat(line).startsWith("pid=");
            String[] f = line.substring(4).split(" ");
            long pid1 = Long.parseLong(f[0]);
            Path cg = Path.of(f[1]);
            assertThat(cg.getParent()).isEqualTo(delegated.resolve("mdocker"));
            assertThat(Files.readString(cg.resolve("cpu.max")).strip()).isEqualTo("50000 100000");
            assertThat(Files.readAllLines(cg.resolve("cgroup.procs"))).as("mdocker-init and sleep").contains(Long.toString(pid1)).hasSize(2);
            hang.destroyForcibly(); // SIGKILL to the user's JVM (setpriv exec'd it: same pid)
            assertThat(hang.waitFor(30, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ProcessHandle.of(pid1).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(ProcessHandle.of(pid1).map(ProcessHandle::isAlive).orElse(false)).as("pid 1 of the container").isFalse();
            assertThat(!Files.exists(cg) || Files.readString(cg.resolve("cgroup.procs")).isBlank())
                    .as("no process left in " + cg).isTrue();
            r = runIn(leaf, "state");
            assertThat(r.get("gc")).as(r.toString()).isEqualTo("[" + cg.getFileName() + "]"); // its record, layer and cgroup
            assertThat(r.get("left")).as(r.toString()).isEqualTo("none");
            assertThat(cg).doesNotExist();
            try (var s = Files.list(delegated)) {
                assertThat(s.filter(Files::isDirectory).map(d -> d.getFileName().toString()).toList())
                        .as("once the recovering JVM has exited").containsExactly("mdocker-jvm");
            }
        } finally {
            if (hang != null) {
                hang.destroyForcibly();
            }
            sh("rmdir " + delegated + "/mdocker/*/ 2>/dev/null; rmdir " + delegated + "/*/ 2>/dev/null; rmdir " + delegated);
        }
    }

    @Test
    void withSubordinateIdsRootInsideIsTheUserAndOtherIdsAreMapped() throws Exception {
        Map<String, String> r = run("suite", dir.resolve("rootfs").toString(), dir.resolve("host").toString());
        assertSuite(r, 2);
        assertThat(r.get("user")).isEqualTo("uid=1000 gid=1000");
    }

    @Test
    void withoutSubordinateIdsASingleMappingRunsAndRefusesOtherUsersInOneLine() throws Exception {
        sh("usermod --del-subuids 1300000-1365535 --del-subgids 1300000-1365535 " + USER);
        try {
            Map<String, String> r = run("suite", dir.resolve("rootfs").toString(), dir.resolve("host").toString());
            assertSuite(r, 1);
            assertThat(r.get("user!")).startsWith("IllegalArgumentException: user 1000:1000 does not exist")
                    .contains("no subordinate ids").contains("/etc/subuid");
        } finally {
            sh("usermod --add-subuids 1300000-1365535 --add-subgids 1300000-1365535 " + USER);
        }
    }

    /**
     * An image whose files have several owners, loaded into the user's own store and run: the
     * layer is unpacked with its owners through the user's subordinate mapping (uid 70 in the
     * image is 1300069 on the host, 70 inside), its whiteout and opaque directory hide the lower
     * layer's files, chown and a write by uid 70 work inside, and removing the image removes its
     * layers although the range owns their files.
     */
    @Test
    void anImageOfSeveralOwnersKeepsThemThroughTheMapping() throws Exception {
        Path layout = io.mdocker.testing.TestImages.ownersLayout(dir.resolve("img"));
        sh("chmod -R a+rX " + layout);
        Map<String, String> r = run("image", layout.toString());
        String uid = sh("id -u " + USER).strip();
        assertThat(r.get("loaded")).as(r.toString()).isEqualTo("2");
        assertThat(r.get("hostowners")).as("/home/pg of the unpacked layer, and the layer's root, on the host")
                .isEqualTo("1300069:1300069 " + uid);
        assertThat(r.get("owners")).as(r.toString()).isEqualTo("70:70 700|70:71 640|0:0 4755|pgdata");
        assertThat(r.get("hidden")).as("a whiteout and an opaque directory").isEqualTo("kept|opq|-|new");
        assertThat(r.get("imagechown")).as(r.toString()).isEqualTo("70:71|1000:1000");
        assertThat(r.get("as70")).as(r.toString()).isEqualTo("70|pgdata|mine");
        assertThat(r.get("imageleft")).as("the container directories, one with uid 70's files, removed").isEqualTo("none");
        assertThat(r.get("removed")).as(r.toString()).matches("2 \\d+");
        assertThat(r.get("layersleft")).as(r.toString()).isEqualTo("0");
    }

    /**
     * DNS on network pasta: the container's resolv.conf names pasta's relay address, and a query
     * sent there reaches the host's name server. The probe runs in a mount namespace of its own
     * whose /etc/resolv.conf names 127.0.0.1, where this test answers A queries for
     * mdocker.test with 10.9.8.7 (pasta reads the host's resolv.conf; the real one is left alone).
     */
    @Test
    void pastaRelaysDnsToTheHostsNameServer() throws Exception {
        Path resolv = dir.resolve("resolv.conf");
        Files.writeString(resolv, "nameserver 127.0.0.1\nsearch example.test\n");
        sh("chmod 644 " + resolv);
        try (OneNameServer dns = new OneNameServer("127.0.0.1")) {
            Map<String, String> r = lines(probeAfter(List.of("unshare", "-m", "--propagation", "slave", "/bin/sh", "-c",
                    "mount --bind " + resolv + " /etc/resolv.conf && exec \"$@\"", "sh"), "dns", dir.resolve("rootfs").toString()));
            assertThat(r.get("dns")).as(r.toString()).isEqualTo("nameserver 169.254.1.1|search example.test|1");
            assertThat(dns.queries()).as("queries that reached the host's name server").isPositive();
        }
    }

    @Test
    void theContainerOfASigkilledJvmEndsAndIsRemovedByTheNextRuntime() throws Exception {
        Process p = probe("hang", dir.resolve("rootfs").toString());
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
        assertThat(line).startsWith("pid=");
        long pid1 = Long.parseLong(line.substring(4));
        assertThat(ProcessHandle.of(pid1)).isPresent();
        p.destroyForcibly(); // SIGKILL to the user's JVM (setpriv exec'd it: same pid)
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (ProcessHandle.of(pid1).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ProcessHandle.of(pid1).map(ProcessHandle::isAlive).orElse(false)).as("pid 1 of the container").isFalse();
        Map<String, String> r = run("state");
        assertThat(r.get("gc")).as(r.toString()).matches("\\[[0-9a-f]{64}]"); // its record and layer, removed
        assertThat(r.get("left")).isEqualTo("none");
        assertThat(r.get("pastaleft")).as("its pasta ends once recovery removes its state").isEqualTo("0");
    }
}
