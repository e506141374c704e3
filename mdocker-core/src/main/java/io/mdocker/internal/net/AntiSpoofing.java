package io.mdocker.internal.net;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.nfgenmsg;
import io.mdocker.internal.sys.ErrnoException;

import java.lang.foreign.MemorySegment;
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
 * nothing: the rules fail closed. A container's two elements are added in one nfnetlink
 * transaction, over a netlink socket (no process is started, no lookup first); only when the sets are missing
 * (the first container on the host, or someone deleted the table) is {@code nft -f} run once,
 * to declare the table, its sets and its rules ({@code flush chain} then the rules, so they are
 * never doubled). The elements are deleted when the container's network is closed or, for a
 * container whose process died, collected; the table is deleted when a bridge is removed and no
 * container has elements left in it, under a host-wide lock that adding takes too. Being set
 * lookups, the cost per frame and per container stays the same with 1 or 1,000 containers.
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

    /**
     * Lets {@code veth} (a bridge port) send from {@code mac} and {@code address} alone: its two
     * elements in one nfnetlink transaction; when the sets are missing (ENOENT: the first
     * container on the host, or the table deleted), the table, sets and rules first (one
     * {@code nft -f} run), then the transaction again.
     */
    static void guard(String veth, byte[] mac, int address) {
        HostLock.with(LOCK, () -> {
            try (NetlinkSocket s = NetlinkSocket.openNetfilter("host")) {
                List<NlRequest> elements = List.of(element(Linux.NFT_MSG_NEWSETELEM(), "macs", key(veth, mac), veth),
                        element(Linux.NFT_MSG_NEWSETELEM(), "ips", key(veth, Ipv4.bytes(address)), veth));
                long before = Nat.generation(s);
                try {
                    s.executeBatch(batch(Linux.NFNL_MSG_BATCH_BEGIN()), elements, batch(Linux.NFNL_MSG_BATCH_END()));
                } catch (ErrnoException e) {
                    if (e.errno() != Linux.ENOENT()) {
                        throw e;
                    }
                    declare(); // nft's own commit: Nat checks its rules once more
                    s.executeBatch(batch(Linux.NFNL_MSG_BATCH_BEGIN()), elements, batch(Linux.NFNL_MSG_BATCH_END()));
                }
                Nat.ownChange(before, Nat.generation(s));
            } catch (ErrnoException e) {
                throw new IllegalStateException("confining " + veth + " to its own MAC and address: " + e.getMessage(), e);
            }
        });
    }

    /**
     * Deletes {@code veth}'s elements, each in a transaction of its own: ones already gone (a
     * collected container's, or the table removed) are no error.
     */
    static void release(String veth, byte[] mac, int address) {
        try (NetlinkSocket s = NetlinkSocket.openNetfilter("host")) {
            for (NlRequest r : List.of(element(Linux.NFT_MSG_DELSETELEM(), "macs", key(veth, mac), veth),
                    element(Linux.NFT_MSG_DELSETELEM(), "ips", key(veth, Ipv4.bytes(address)), veth))) {
                long before = Nat.generation(s);
                s.executeBatch(batch(Linux.NFNL_MSG_BATCH_BEGIN()), List.of(r), batch(Linux.NFNL_MSG_BATCH_END()), Linux.ENOENT());
                Nat.ownChange(before, Nat.generation(s));
            }
        }
    }

    /** Deletes the table if no container has elements in it (when an mdocker bridge is removed). */
    static void removeTableIfUnused() {
        HostLock.with(LOCK, () -> {
            boolean present;
            try (NetlinkSocket s = NetlinkSocket.openNetfilter("host")) {
                present = setsPresent(s);
            }
            if (present && elements().isEmpty()) {
                HostCommand.run(List.of(nft(), "delete", "table", "bridge", TABLE), null);
            }
        });
    }

    /** Makes (or repairs) the table, its sets and its rules. */
    private static void declare() {
        HostCommand.Result r = HostCommand.run(List.of(nft(), "-f", "-"), RULESET);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("making the nftables table bridge " + TABLE + " (the containers' anti-spoofing "
                    + "guard) failed (exit " + r.exitCode() + "): " + r.output().strip().replace('\n', ' '));
        }
    }

    private static boolean setsPresent(NetlinkSocket s) {
        for (String set : List.of("macs", "ips")) {
            NlRequest get = new NlRequest((Linux.NFNL_SUBSYS_NFTABLES() << 8) | Linux.NFT_MSG_GETSET(), 0, nfgenmsg.layout(),
                    "get nftables set bridge " + TABLE + " " + set);
            family(get.header(), Linux.NFPROTO_BRIDGE(), 0);
            get.string(Linux.NFTA_SET_TABLE(), TABLE).string(Linux.NFTA_SET_NAME(), set);
            try {
                s.query(get);
            } catch (ErrnoException e) {
                if (e.errno() == Linux.ENOENT()) {
                    return false;
                }
                throw e;
            }
        }
        return true;
    }

    /** One element of {@code set} to add or delete. */
    private static NlRequest element(int msg, String set, byte[] key, String veth) {
        NlRequest r = new NlRequest((Linux.NFNL_SUBSYS_NFTABLES() << 8) | msg, 0, nfgenmsg.layout(),
                (msg == Linux.NFT_MSG_NEWSETELEM() ? "add " : "delete ") + veth + "'s element of nftables set bridge " + TABLE + " " + set);
        family(r.header(), Linux.NFPROTO_BRIDGE(), 0);
        r.string(Linux.NFTA_SET_ELEM_LIST_TABLE(), TABLE).string(Linux.NFTA_SET_ELEM_LIST_SET(), set)
                .beginNested(Linux.NFTA_SET_ELEM_LIST_ELEMENTS())
                .beginNested(Linux.NFTA_LIST_ELEM())
                .beginNested(Linux.NFTA_SET_ELEM_KEY())
                .attr(Linux.NFTA_DATA_VALUE(), key)
                .endNested().endNested().endNested();
        return r;
    }

    /** A batch's begin or end message, for the nftables subsystem. */
    private static NlRequest batch(int type) {
        NlRequest r = new NlRequest(type, 0, nfgenmsg.layout(), "nftables transaction");
        family(r.header(), 0, Linux.NFNL_SUBSYS_NFTABLES());
        return r;
    }

    private static void family(MemorySegment header, int family, int resId) {
        nfgenmsg.nfgen_family(header, (byte) family);
        nfgenmsg.version(header, (byte) Linux.NFNETLINK_V0());
        short be = (short) resId; // __be16: network order whatever the host's
        nfgenmsg.res_id(header, java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.BIG_ENDIAN ? be : Short.reverseBytes(be));
    }

    /**
     * A key of type {@code ifname . X}: the name in IFNAMSIZ bytes, NUL-padded, then {@code value}
     * padded to a multiple of 4 (each part of a concatenation takes whole 32-bit registers).
     */
    static byte[] key(String veth, byte[] value) {
        byte[] name = veth.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] k = new byte[Linux.IFNAMSIZ() + ((value.length + 3) & ~3)];
        System.arraycopy(name, 0, k, 0, name.length);
        System.arraycopy(value, 0, k, Linux.IFNAMSIZ(), value.length);
        return k;
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

    static java.util.Optional<String> find() {
        return Stream.of("/usr/sbin", "/sbin", "/usr/bin", "/bin", "/usr/local/sbin").map(d -> d + "/nft")
                .filter(f -> Files.isExecutable(Path.of(f))).findFirst();
    }
}
