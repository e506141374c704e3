package io.mdocker.internal.net;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Each container on an mdocker bridge sends only from its own MAC and IPv4 address: an nftables
 * table of the bridge family, {@value #TABLE}, that every frame entering the bridge from a veth
 * named {@code mdk*} passes through before the bridge forwards or delivers it:
 * <pre>
 * table bridge mdocker {
 *   set macs { type ifname . ether_addr }      one element per container: its veth . its MAC
 *   set ips  { type ifname . ipv4_addr }       one element per container: its veth . its address
 *   chain prerouting { type filter hook prerouting priority -200; iifname "mdk*" jump guard }
 *   chain guard {
 *     iifname . ether saddr != @macs drop              another MAC (also: spoofed ARP and IPv6)
 *     ether type ip iifname . ip saddr != @ips drop    another IPv4 source address
 *     ether type arp iifname . arp saddr ether != @macs drop
 *     ether type arp iifname . arp saddr ip != @ips drop    ARP claiming another address
 *     ether type ip6 drop                              the bridges carry IPv4 only
 *   }
 * }
 * </pre>
 * A veth with no elements (its container's are not yet added, or already deleted) can send
 * nothing: the rules fail closed. Adding a container's elements is one nftables transaction that
 * also (re)declares the table, its sets and its rules ({@code flush chain} then the rules, so
 * they are never doubled), which makes it correct whatever another process did before: no lock
 * is needed but the one that keeps the table from being deleted meanwhile. The elements are
 * deleted when the container's network is closed or, for a container whose process died,
 * collected; the table is deleted when a bridge is removed and no container has elements left in
 * it. Being set lookups,
 * the cost per frame and per container stays the same with 1 or 1,000 containers.
 *
 * <p>Routed (veth) networks need none of this: their host end has a /32 route and strict
 * rp_filter, so a packet from another source is dropped by the host's routing.
 */
final class AntiSpoofing {
    private AntiSpoofing() {}

    static final String TABLE = "mdocker";

    private static final String RULESET = """
            add table bridge mdocker
            add set bridge mdocker macs { type ifname . ether_addr; }
            add set bridge mdocker ips { type ifname . ipv4_addr; }
            add chain bridge mdocker guard
            add chain bridge mdocker prerouting { type filter hook prerouting priority -200; policy accept; }
            flush chain bridge mdocker guard
            flush chain bridge mdocker prerouting
            add rule bridge mdocker guard iifname . ether saddr != @macs drop
            add rule bridge mdocker guard ether type ip iifname . ip saddr != @ips drop
            add rule bridge mdocker guard ether type arp iifname . arp saddr ether != @macs drop
            add rule bridge mdocker guard ether type arp iifname . arp saddr ip != @ips drop
            add rule bridge mdocker guard ether type ip6 drop
            add rule bridge mdocker prerouting iifname "mdk*" jump guard
            """;

    /** Serialises adding elements with deleting the table once it is empty, across processes. */
    private static final Path LOCK = Path.of("/run/mdocker-nft.lock");

    /** Lets {@code veth} (a bridge port) send from {@code mac} and {@code address} alone. */
    static void guard(String veth, byte[] mac, int address) {
        String nft = nft();
        HostLock.with(LOCK, () -> nft(nft, RULESET + "add element bridge mdocker macs { " + element(veth, mac) + " }\n"
                + "add element bridge mdocker ips { " + element(veth, address) + " }\n", "confining " + veth));
    }

    /**
     * Deletes {@code veth}'s elements; ones already gone (a collected container's, or the table
     * removed) are no error.
     */
    static void release(String veth, byte[] mac, int address) {
        String macs = "delete element bridge mdocker macs { " + element(veth, mac) + " }\n";
        String ips = "delete element bridge mdocker ips { " + element(veth, address) + " }\n";
        if (HostCommand.run(List.of(nft(), "-f", "-"), macs + ips).exitCode() != 0) { // one was gone: each alone
            HostCommand.run(List.of(nft(), "-f", "-"), macs);
            HostCommand.run(List.of(nft(), "-f", "-"), ips);
        }
    }

    /** Deletes the table if no container has elements in it (when an mdocker bridge is removed). */
    static void removeTableIfUnused() {
        if (find().isEmpty()) {
            return; // never made without nft
        }
        HostLock.with(LOCK, () -> {
            if (tablePresent() && elements().isEmpty()) {
                HostCommand.run(List.of(nft(), "delete", "table", "bridge", TABLE), null);
            }
        });
    }

    /** The elements in the table now, as {@code "veth . value"} strings (tests). */
    static List<String> elements() {
        if (!tablePresent()) {
            return List.of();
        }
        HostCommand.Result r = HostCommand.run(List.of(nft(), "list", "table", "bridge", TABLE), null);
        return r.output().lines().map(String::trim).filter(l -> l.startsWith("elements = "))
                .flatMap(l -> List.of(l.substring("elements = { ".length(), l.length() - 1).split(",")).stream())
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    static boolean tablePresent() {
        return HostCommand.run(List.of(nft(), "list", "table", "bridge", TABLE), null).exitCode() == 0;
    }

    private static String element(String veth, byte[] mac) {
        return "\"" + veth + "\" . " + HexFormat.ofDelimiter(":").formatHex(mac);
    }

    private static String element(String veth, int address) {
        return "\"" + veth + "\" . " + Ipv4.format(address);
    }

    private static void nft(String nft, String script, String what) {
        HostCommand.Result r = HostCommand.run(List.of(nft, "-f", "-"), script);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(what + " to its own MAC and address with nft failed (exit " + r.exitCode()
                    + "): " + r.output().strip().replace('\n', ' '));
        }
    }

    /** Where nft is, or an exception that says how to get it. */
    static String nft() {
        return find().orElseThrow(() -> new IllegalStateException("nft is not installed: bridge networking confines each "
                + "container to its own MAC and address with nftables (apt-get install nftables), or use Network.none() "
                + "or Network.host()"));
    }

    private static java.util.Optional<String> find() {
        return Stream.of("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin").map(d -> d + "/nft")
                .filter(f -> Files.isExecutable(Path.of(f))).findFirst();
    }
}
