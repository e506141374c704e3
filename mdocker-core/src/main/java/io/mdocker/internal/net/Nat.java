package io.mdocker.internal.net;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.nfgenmsg;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Outbound access for a container subnet: IPv4 forwarding on, and iptables rules, each installed
 * once and never twice (checked with {@code iptables -C} under a host lock before it is added):
 *
 * <pre>
 * -t nat    -A POSTROUTING -s SUBNET ! -o BRIDGE -j MASQUERADE   (veth: -s SUBNET ! -d SUBNET)
 * -t filter -I FORWARD -i BRIDGE -s SUBNET -j ACCEPT                  (veth: -s SUBNET)
 * -t filter -I FORWARD -o BRIDGE -d SUBNET -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
 * -t filter -A MDOCKER-ISOLATION -o BRIDGE -j DROP                      (bridges only)
 * -t filter -I FORWARD -i BRIDGE ! -o BRIDGE -j MDOCKER-ISOLATION       (bridges only, above the accepts)
 * </pre>
 *
 * all tagged with the comment {@code mdocker <network>}. The FORWARD rules keep containers
 * reachable where the FORWARD policy is DROP (as Docker sets it). The rules stay, as Docker's do:
 * they concern a subnet, not a container; a user-defined network's go when it is removed. iptables (with the nft backend) is the one external
 * tool mdocker runs, and only here.
 *
 * <p>Rules once checked are remembered for the JVM, as long as nothing else has changed the
 * ruleset since: with the nf_tables backend, the kernel's ruleset generation (nfnetlink's
 * GETGEN, one query per container start) is compared with the one at which the rules were last
 * seen. A change this JVM made itself (its own iptables runs, its anti-spoofing elements) is
 * counted in; any other change (a firewall reloaded or flushed, a rule deleted by hand) has every
 * rule checked again with {@code iptables -C} and put back where it is missing. With the legacy
 * backend, which has no such generation, rules once checked are not checked again.
 */
public final class Nat {
    private Nat() {}

    private static final Set<String> INSTALLED = ConcurrentHashMap.newKeySet();
    /**
     * The ruleset generation at which every rule in INSTALLED was last known present (see
     * {@link #generation}), -1 while none is known.
     */
    private static final AtomicLong VERIFIED = new AtomicLong(-1);
    /** Whether iptables is the nf_tables backend, as found for the binary {@link #use} had set then (null: the usual places). */
    private record Backend(Path configured, boolean nft) { }

    private static volatile Backend backend;
    /** What the rules were last checked for (see {@link #ensure(List, Path, String)}), by their first rule. */
    private static final java.util.Map<String, String> EPOCHS = new ConcurrentHashMap<>();
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");

    /** One rule: table, chain, whether it goes first (-I) or last (-A), and its match and target. */
    record Rule(String table, String chain, boolean insert, List<String> spec) { }

    /** The chain that drops what one mdocker bridge would forward into another (Docker's DOCKER-ISOLATION). */
    static final String ISOLATION = "MDOCKER-ISOLATION";

    /**
     * The rules for a bridge network. The FORWARD accepts name the bridge ({@code -i}/{@code -o});
     * above them, a packet from this bridge to any other interface goes through
     * {@value #ISOLATION}, which holds one DROP per mdocker bridge ({@code -o BRIDGE}): so a
     * container reaches the outside and its own bridge, never another mdocker bridge, whatever
     * the FORWARD policy.
     */
    static List<Rule> bridgeRules(String bridge, Ipv4 subnet) {
        String net = subnet.network().toString();
        String tag = "mdocker " + bridge;
        return List.of(
                new Rule("nat", "POSTROUTING", false, List.of("-s", net, "!", "-o", bridge, "-m", "comment", "--comment", tag, "-j", "MASQUERADE")),
                new Rule("filter", "FORWARD", true, List.of("-i", bridge, "-s", net, "-m", "comment", "--comment", tag, "-j", "ACCEPT")),
                new Rule("filter", "FORWARD", true, List.of("-o", bridge, "-d", net, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
                        "-m", "comment", "--comment", tag, "-j", "ACCEPT")),
                new Rule("filter", ISOLATION, false, List.of("-o", bridge, "-m", "comment", "--comment", tag, "-j", "DROP")),
                // last, so inserted above this bridge's accepts
                new Rule("filter", "FORWARD", true, List.of("-i", bridge, "!", "-o", bridge, "-m", "comment", "--comment", tag,
                        "-j", ISOLATION)));
    }

    /** The rules for a point-to-point (veth) network. */
    static List<Rule> vethRules(Ipv4 subnet) {
        String net = subnet.network().toString();
        String tag = "mdocker veth " + net;
        return List.of(
                new Rule("nat", "POSTROUTING", false, List.of("-s", net, "!", "-d", net, "-m", "comment", "--comment", tag, "-j", "MASQUERADE")),
                new Rule("filter", "FORWARD", true, List.of("-s", net, "-m", "comment", "--comment", tag, "-j", "ACCEPT")),
                new Rule("filter", "FORWARD", true, List.of("-d", net, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED",
                        "-m", "comment", "--comment", tag, "-j", "ACCEPT")));
    }

    /** The iptables binary set for this JVM, or null to look in the usual places. */
    private static volatile Path configured;

    /** Uses {@code binary} from now on; null: look in the usual places again. */
    public static void use(Path binary) {
        configured = binary;
    }

    /** The binary set with {@link #use}, if any. */
    public static java.util.Optional<Path> configured() {
        return java.util.Optional.ofNullable(configured);
    }

    /** Where iptables is (the one set with {@link #use}, else the usual places), or an exception that says how to get it. */
    static String iptables() {
        Path given = configured;
        if (given != null) {
            if (Files.isRegularFile(given) && Files.isExecutable(given)) {
                return given.toString();
            }
            throw new IllegalStateException("iptables " + given + " (ContainerRuntime.setIptables) is not an executable "
                    + "file: bridge and veth networking install their NAT and forwarding rules with it; point it at "
                    + "iptables, or use Network.none() or Network.host()");
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin")) {
            if (Files.isExecutable(Path.of(dir, "iptables"))) {
                return dir + "/iptables";
            }
        }
        throw new IllegalStateException("iptables is not installed: bridge and veth networking install their NAT and "
                + "forwarding rules with it (apt-get install iptables), or use Network.none() or Network.host()");
    }

    /** Forwarding on and every rule present exactly once; {@code lockFile} serialises the check-and-add across JVMs. */
    static void ensure(List<Rule> rules, Path lockFile) {
        ensure(rules, lockFile, "");
    }

    /**
     * As {@link #ensure(List, Path)}, remembering the rules as installed for {@code epoch} only (a
     * bridge's ifindex): a bridge removed and made again by another process gets its rules checked
     * again, though this JVM installed them for the old one.
     */
    static void ensure(List<Rule> rules, Path lockFile, String epoch) {
        if (!epoch.equals(EPOCHS.getOrDefault(rules.getFirst().spec().toString(), ""))) {
            rules.forEach(r -> INSTALLED.remove(key(r))); // checked again below
        }
        if (INSTALLED.containsAll(rules.stream().map(Nat::key).toList()) && unchanged(generation())) {
            return;
        }
        String iptables = iptables();
        HostLock.with(lockFile, () -> {
            if (!unchanged(generation())) { // changed by someone else: every rule is checked again
                INSTALLED.clear();
            }
            enableForwarding();
            rules.stream().map(Rule::chain).filter(c -> c.equals(ISOLATION)).distinct().forEach(c -> {
                if (run(List.of(iptables, "-w", "-t", "filter", "-S", c)).exitCode() != 0) {
                    HostCommand.Result made = run(List.of(iptables, "-w", "-t", "filter", "-N", c));
                    if (made.exitCode() != 0 && run(List.of(iptables, "-w", "-t", "filter", "-S", c)).exitCode() != 0) {
                        throw new IllegalStateException("iptables -t filter -N " + c + " failed (exit " + made.exitCode()
                                + "): " + made.output().strip());
                    }
                }
            });
            for (Rule r : rules) {
                if (INSTALLED.contains(key(r))) {
                    continue;
                }
                if (run(iptables, r, "-C").exitCode() != 0) {
                    HostCommand.Result added = run(iptables, r, r.insert() ? "-I" : "-A");
                    if (added.exitCode() != 0) {
                        throw new IllegalStateException("iptables " + String.join(" ", args(r, r.insert() ? "-I" : "-A"))
                                + " failed (exit " + added.exitCode() + "): " + added.output().strip());
                    }
                }
                INSTALLED.add(key(r));
            }
            EPOCHS.put(rules.getFirst().spec().toString(), epoch);
            VERIFIED.set(generation()); // with the changes just made, which were this JVM's own
        });
    }

    /** Whether the ruleset is still at the generation at which INSTALLED was verified (always, without one). */
    private static boolean unchanged(long generation) {
        return generation < 0 || generation == VERIFIED.get();
    }

    /**
     * The nf_tables ruleset's generation id (NFT_MSG_GETGEN), which every committed change of any
     * table advances; -1 when iptables is the legacy backend (whose rules it does not count) or the
     * query fails.
     */
    static long generation() {
        Path given = configured;
        Backend b = backend;
        if (b == null || !java.util.Objects.equals(b.configured(), given)) { // looked up once per binary, not per start
            boolean nft;
            try {
                // iptables is a link to xtables-nft-multi or xtables-legacy-multi (Debian's alternatives)
                nft = !Path.of(iptables()).toRealPath().getFileName().toString().contains("legacy");
            } catch (IOException | IllegalStateException e) { // not there (yet): looked up again next time
                return -1;
            }
            b = new Backend(given, nft);
            backend = b;
        }
        if (!b.nft()) {
            return -1;
        }
        try (NetlinkSocket s = NetlinkSocket.openNetfilter("host")) {
            return generation(s);
        } catch (RuntimeException e) { // no netfilter socket
            return -1;
        }
    }

    /** The ruleset's generation id asked on {@code s} (a NETLINK_NETFILTER socket); -1 when the query fails. */
    static long generation(NetlinkSocket s) {
        NlRequest get = new NlRequest((Linux.NFNL_SUBSYS_NFTABLES() << 8) | Linux.NFT_MSG_GETGEN(), 0, nfgenmsg.layout(),
                "get the nftables generation");
        nfgenmsg.nfgen_family(get.header(), (byte) 0);
        nfgenmsg.version(get.header(), (byte) Linux.NFNETLINK_V0());
        try {
            for (NlMessage m : s.query(get)) {
                MemorySegment id = m.attributes(nfgenmsg.sizeof()).get(Linux.NFTA_GEN_ID());
                if (id != null && id.byteSize() >= 4) {
                    return Integer.toUnsignedLong(NlMessage.ipv4(id)); // __be32, as an address is
                }
            }
        } catch (RuntimeException e) {
            // no generation: the rules are taken as checked (as with the legacy backend)
        }
        return -1;
    }

    /**
     * A change of this JVM's own, committed between generations {@code before} and {@code after}
     * (read around one transaction: at most one step apart when it was the only change): the
     * rules verified at {@code before} are still known present at {@code after}.
     */
    static void ownChange(long before, long after) {
        if (before >= 0 && (after == before || after == ((before + 1) & 0xffffffffL))) {
            VERIFIED.compareAndSet(before, after);
        }
    }

    /** Deletes every copy of the rules (when a network is removed). */
    static void remove(List<Rule> rules) {
        String iptables = iptables();
        for (Rule r : rules) {
            for (int i = 0; i < 100 && run(iptables, r, "-D").exitCode() == 0; i++) {
                // each -D removes one copy
            }
            INSTALLED.remove(key(r));
        }
        if (rules.stream().anyMatch(r -> r.chain().equals(ISOLATION))) {
            run(List.of(iptables, "-w", "-t", "filter", "-X", ISOLATION)); // goes only once empty and unreferenced
        }
    }

    private static void enableForwarding() {
        try {
            if (!Files.readString(IP_FORWARD, StandardCharsets.US_ASCII).trim().equals("1")) {
                Files.writeString(IP_FORWARD, "1\n", StandardCharsets.US_ASCII);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("enabling IPv4 forwarding (" + IP_FORWARD + "): " + e.getMessage(), e);
        }
    }

    private static String key(Rule r) {
        return r.table() + " " + r.chain() + " " + String.join(" ", r.spec());
    }

    private static List<String> args(Rule r, String op) {
        List<String> a = new ArrayList<>(List.of("-w", "-t", r.table(), op, r.chain()));
        a.addAll(r.spec());
        return a;
    }

    private static HostCommand.Result run(String iptables, Rule r, String op) {
        List<String> cmd = new ArrayList<>();
        cmd.add(iptables);
        cmd.addAll(args(r, op));
        return run(cmd);
    }

    private static HostCommand.Result run(List<String> cmd) {
        return HostCommand.run(cmd, null);
    }
}
