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
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rootless named networks, as an unprivileged user ({@link UnprivilegedUser}): the user's JVM
 * ({@link RootlessNetworkProbe}) starts an httpd on {@code Network.bridge("mdn1", "10.216.1.1/24")}
 * with a published port, and clients on the same network reach it by address, container name and
 * alias, while clients on another named network (mdn2) or network none cannot; the containers of
 * one network share the holder's user namespace, those of another network do not; the published
 * port answers on 127.0.0.1; closing a network in use is refused; after close no holder process,
 * namespace or state entry is left. Refusals: the default bridge, a subnet the host routes (a
 * bridge mdn4 on 10.216.4.0/24 that this test makes on the host and removes), a detached
 * container, one name with two subnets.
 */
@Tag("rootless")
class RootlessNetworkTest {
    private static final String HOST_BRIDGE = "mdn4";
    private static UnprivilegedUser user;
    private static String classpath;

    @BeforeAll
    static void createUser() throws Exception {
        Fixtures.prerequisite(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
                "ip (iproute2) to make the host bridge a rootless subnet must not overlap");
        user = UnprivilegedUser.create();
        classpath = user.classpath(List.of(RootlessNetworkProbe.class, ContainerRuntime.class,
                io.mdocker.bindings.Linux.class, com.fasterxml.jackson.databind.JsonNode.class,
                com.fasterxml.jackson.core.JsonFactory.class, com.fasterxml.jackson.annotation.JsonProperty.class,
                com.github.luben.zstd.Zstd.class));
        UnprivilegedUser.sh("ip link del " + HOST_BRIDGE + " 2>/dev/null; ip link add " + HOST_BRIDGE
                + " type bridge && ip addr add 10.216.4.1/24 dev " + HOST_BRIDGE + " && ip link set " + HOST_BRIDGE + " up");
    }

    @AfterAll
    static void removeAll() throws Exception {
        try {
            UnprivilegedUser.sh("ip link del " + HOST_BRIDGE + " 2>/dev/null || true");
        } finally {
            if (user != null) {
                user.close();
            }
        }
    }

    /** The probe as the user (its stdout; stderr inherited). */
    private static Process probe(String... args) throws IOException {
        return probeAfter(List.of(), args);
    }

    /** The probe, started through {@code prefix} (a command of root's that ends by exec'ing its arguments). */
    private static Process probeAfter(List<String> prefix, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>();
        Optional.ofNullable(System.getenv("JAVA_TOOL_OPTIONS")).ifPresent(o -> cmd.addAll(List.of("/usr/bin/env",
                "JAVA_TOOL_OPTIONS=" + o)));
        cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classpath,
                RootlessNetworkProbe.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = user.command(cmd).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.command().addAll(0, prefix);
        Process p = pb.start();
        p.getOutputStream().close();
        return p;
    }

    private static Map<String, String> lines(String out) {
        Map<String, String> r = new LinkedHashMap<>();
        out.lines().filter(l -> l.contains("=")).forEach(l -> r.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        return r;
    }

    private static Map<String, String> run(String... args) throws Exception {
        return output(probe(args));
    }

    private static Map<String, String> output(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return lines(out);
    }

    @Test
    void containersOfOneNamedNetworkReachEachOtherAndNothingIsLeft() throws Exception {
        Map<String, String> r = run("suite", user.rootfs().toString(), "10.216.4.0/24");
        String out = r.toString();

        // refusals, each one line, and no holder left behind by them
        assertThat(r.get("defaultbridge!")).as(out).startsWith("IllegalArgumentException: network bridge mdocker0")
                .contains("needs root").contains("Network.bridge(NAME, CIDR)").doesNotContain("|");
        assertThat(r.get("overlap!")).as(out).startsWith("IllegalArgumentException: ")
                .contains("10.216.4.0/24").contains("overlaps the host route").doesNotContain("|");
        assertThat(r.get("detached!")).as(out).startsWith("IllegalArgumentException: rootless network mdn3")
                .contains("detached").doesNotContain("|");
        assertThat(r.get("twice!")).as(out).startsWith("IllegalArgumentException: rootless network mdn3 is open")
                .contains("10.216.3.1/24").contains("10.216.33.1/24").doesNotContain("|");
        assertThat(r.get("refusedholders")).as(out).isEqualTo("0");

        // made ahead by create(): its holder before any container, found by name, joined; gone with close()
        assertThat(r.get("aheadholders")).as(out).isEqualTo("1");
        assertThat(r.get("aheadbyname")).as(out).isEqualTo("10.216.5.1/24");
        assertThat(r.get("aheadeth0")).as(out).matches("10\\.216\\.5\\.\\d+/24");
        assertThat(r.get("aheadafter")).as(out).isEqualTo("0");

        // one holder per open network, a user namespace of its own each
        assertThat(r.get("holders")).as(out).isEqualTo("2");
        assertThat(r.get("pastas")).as(out + ": a pasta per holder, its child").isEqualTo("2");
        String[] holders = r.get("holderns").split(",");
        assertThat(holders).hasSize(2);
        List<String> holderUserns = Stream.of(holders).map(h -> h.substring(h.indexOf('/') + 1)).toList();
        List<String> holderNetns = Stream.of(holders).map(h -> h.substring(0, h.indexOf('/'))).toList();
        assertThat(holderUserns.get(0)).startsWith("user:[").isNotEqualTo(holderUserns.get(1));
        // the containers of one network share its holder's user namespace; another network's have the other
        assertThat(r.get("webuserns")).as(out).isIn(holderUserns).isEqualTo(r.get("clientuserns"));
        assertThat(r.get("otheruserns")).as(out).isIn(holderUserns).isNotEqualTo(r.get("webuserns"));
        assertThat(r.get("webuserns")).isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/user")).toString());

        // reached by address, name and alias on its network; an address of the subnet and its route
        assertThat(r.get("webip")).as(out).startsWith("10.216.1.");
        assertThat(r.get("byaddr")).as(out).isEqualTo("hello-from-web");
        assertThat(r.get("byname")).as(out).isEqualTo("hello-from-web");
        assertThat(r.get("byalias")).as(out).isEqualTo("hello-from-web");
        assertThat(r.get("clienteth0")).as(out).matches("10\\.216\\.1\\.\\d+/24\\|default via 10\\.216\\.1\\.1 dev eth0.*");
        assertThat(r.get("hosts")).as(out).startsWith(r.get("webip")).contains("rlweb").contains("www");
        // not from another named network, nor from network none
        assertThat(r.get("samenet")).as(out).isEqualTo("reached|control-ok|done");
        assertThat(r.get("othernet")).as(out).startsWith("control-ok|done").doesNotContain("reached");
        assertThat(r.get("othername")).as(out).isEqualTo("0");
        assertThat(r.get("none")).as(out).startsWith("control-ok|done").doesNotContain("reached");
        // the published port on the host's loopback
        assertThat(r.get("published")).as(out).isEqualTo("200 hello-from-web");
        assertThat(r.get("inuse!")).as(out).startsWith("IllegalStateException: network mdn1 is in use by container rlweb");

        // after close: no holder, no process, no state entry; no process on the host in the holders' namespaces
        assertThat(r.get("afterholders")).as(out).isEqualTo("0");
        assertThat(r.get("pastasafter")).as(out).isEqualTo("0");
        assertThat(r.get("children")).as(out).isEqualTo("0");
        assertThat(r.get("leftnet")).as(out).isEmpty();
        assertThat(r.get("leftcontainers")).as(out).isEmpty();
        assertThat(processesIn(holderNetns)).as("processes in the holders' network namespaces").isEmpty();
        assertThat(processesIn(holderUserns)).as("processes in the holders' user namespaces").isEmpty();
        assertThat(UnprivilegedUser.sh("pgrep -u " + UnprivilegedUser.NAME + " || true").strip()).as("the user's processes")
                .isEmpty();
        try (Stream<Path> s = Files.list(user.dir().resolve("run"))) {
            assertThat(s.map(f -> f.getFileName().toString()).toList()).as("the user's runtime directory")
                    .containsOnly("mdocker");
        }
    }

    /**
     * Outbound: a container on a named network looks a name up through pasta's DNS relay
     * (169.254.1.1, its resolv.conf's name server), reached through the holder's namespace, which
     * routes and masquerades the bridge's subnet to pasta's tap. The probe runs in a mount
     * namespace whose /etc/resolv.conf names 127.0.0.77, where this test answers A queries for
     * mdocker.test with 10.9.8.7 (pasta relays to the host's name server; nothing leaves the machine).
     */
    @Test
    void outboundTrafficLeavesThroughPasta() throws Exception {
        Path resolv = user.dir().resolve("resolv.conf");
        Files.writeString(resolv, "nameserver 127.0.0.77\nsearch example.test\n");
        UnprivilegedUser.sh("chmod 644 " + resolv);
        try (OneNameServer dns = new OneNameServer("127.0.0.77")) {
            Map<String, String> r = output(probeAfter(List.of("unshare", "-m", "--propagation", "slave", "/bin/sh", "-c",
                    "mount --bind " + resolv + " /etc/resolv.conf && exec \"$@\"", "sh"), "dns", user.rootfs().toString()));
            assertThat(r.get("dns")).as(r.toString()).isEqualTo("nameserver 169.254.1.1|search example.test|1");
            assertThat(dns.queries()).as("queries that reached the host's name server").isPositive();
            assertThat(r.get("pastasafter")).as(r.toString()).isEqualTo("0");
        }
    }

    /**
     * A JVM SIGKILLed with a container on a named network (which another JVM of the user is refused
     * meanwhile): its holder and container end with it
     * (end of file on their sockets), their namespaces with them; the next runtime's recovery
     * removes the container's state and the network's leases, hosts file and claim.
     */
    @Test
    void aKilledJvmsNetworkGoesWithIt() throws Exception {
        Process p = probe("hang", user.rootfs().toString());
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8));
        String pidLine = in.readLine();
        String holderLine = in.readLine();
        assertThat(pidLine).startsWith("pid=");
        assertThat(holderLine).startsWith("holder=");
        long pid1 = Long.parseLong(pidLine.substring(4));
        String[] holder = holderLine.substring(7).split(" ");
        ProcessHandle holderProcess = ProcessHandle.of(Long.parseLong(holder[0])).orElseThrow();
        ProcessHandle container = ProcessHandle.of(pid1).orElseThrow();
        assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid1), "ns", "user")).toString())
                .as("the container in the holder's user namespace").isEqualTo(holder[2]);
        assertThat(Files.list(user.dir().resolve("run/mdocker/net")).map(f -> f.getFileName().toString()).sorted().toList())
                .contains("mdn3", "mdn3.holder", "mdn3.hosts");

        // another JVM of the user cannot open the network this one holds (one holder for its leases)
        Map<String, String> other = run("claim", user.rootfs().toString());
        assertThat(other.get("claim!")).as(other.toString()).isEqualTo("IllegalArgumentException: rootless network mdn3 is "
                + "held open by another process of this user (pid " + p.pid() + ", " + user.dir().resolve("run/mdocker/net/mdn3.holder")
                + "): a rootless named network belongs to the JVM that opened it; use another name");

        p.destroyForcibly(); // SIGKILL: the JVM is the process setpriv and env exec'd
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        holderProcess.onExit().get(10, TimeUnit.SECONDS);
        container.onExit().get(10, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!processesIn(List.of(holder[1], holder[2])).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(processesIn(List.of(holder[1], holder[2]))).as("processes in the holder's namespaces").isEmpty();

        Map<String, String> r = run("gc");
        assertThat(r.get("leftnet")).as(r.toString()).isEmpty();
        assertThat(r.get("leftcontainers")).as(r.toString()).isEmpty();
        assertThat(UnprivilegedUser.sh("pgrep -u " + UnprivilegedUser.NAME + " || true").strip()).as("the user's processes")
                .isEmpty();
    }

    /**
     * The pids of the user's processes (its uid or its subordinate range: kernel namespace numbers
     * are reused, by anyone's new namespaces) whose namespaces (net or user) are among {@code ids}.
     */
    private static List<String> processesIn(List<String> ids) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(d -> d.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                for (String type : List.of("net", "user")) {
                    try {
                        int uid = (Integer) Files.getAttribute(proc, "unix:uid");
                        boolean users = uid == user.uid() || (uid >= 1_300_000 && uid <= 1_365_535);
                        if (users && ids.contains(Files.readSymbolicLink(proc.resolve("ns").resolve(type)).toString())) {
                            found.add(proc.getFileName().toString() + " " + Files.readString(proc.resolve("cmdline"))
                                    .replace('\0', ' '));
                        }
                    } catch (IOException gone) {
                        // ended meanwhile, or a kernel thread
                    }
                }
            }
        }
        return found;
    }
}
