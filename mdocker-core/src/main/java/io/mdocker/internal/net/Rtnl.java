package io.mdocker.internal.net;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.ifaddrmsg;
import io.mdocker.bindings.ifinfomsg;
import io.mdocker.bindings.rtmsg;
import io.mdocker.internal.sys.ErrnoException;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rtnetlink messages mdocker sends, one method per message kind: links (bridge, veth pair,
 * up, delete), IPv4 addresses and routes, and the dumps used to check a plan against the host.
 * Each returns the {@link NlRequest} (to batch several in one datagram) or runs a query on a
 * given socket.
 */
final class Rtnl {
    private Rtnl() {}

    /** A link as the kernel reports it. */
    record Link(int index, String name, String kind, String alias, int master, int flags) {
        boolean isUp() {
            return (flags & Linux.IFF_UP()) != 0;
        }
    }

    /** An IPv4 route of the main table: destination subnet and output interface. */
    record Route(Ipv4 destination, int outputInterface) { }

    /** An IPv4 address of an interface. */
    record Address(int index, Ipv4 local) { }

    private static NlRequest link(int type, int flags, int index, String description) {
        NlRequest r = new NlRequest(type, flags, ifinfomsg.layout(), description);
        ifinfomsg.ifi_family(r.header(), (byte) Linux.AF_UNSPEC());
        ifinfomsg.ifi_index(r.header(), index);
        return r;
    }

    /** Creates a bridge with a fixed MAC (so it never changes as ports come and go), up. */
    static NlRequest createBridge(String name, byte[] mac) {
        NlRequest r = link(Linux.RTM_NEWLINK(), Linux.NLM_F_CREATE() | Linux.NLM_F_EXCL(), 0, "create bridge " + name);
        up(r.header());
        r.string(Linux.IFLA_IFNAME(), name).attr(Linux.IFLA_ADDRESS(), mac);
        r.beginNested(Linux.IFLA_LINKINFO()).string(Linux.IFLA_INFO_KIND(), "bridge").endNested();
        return r;
    }

    /** Sets a link's alias (its free-text description, {@code ip link show} prints it). */
    static NlRequest setAlias(int index, String name, String alias) {
        return link(Linux.RTM_NEWLINK(), 0, index, "set alias of " + name).string(Linux.IFLA_IFALIAS(), alias);
    }

    /**
     * Creates a veth pair: {@code hostName} here, up, attached to {@code master} (0: none); its
     * peer {@code peerName} with {@code peerMac}, down, created directly in the network namespace
     * of {@code peerPid}.
     */
    static NlRequest createVeth(String hostName, int master, String peerName, byte[] peerMac, int peerPid) {
        NlRequest r = link(Linux.RTM_NEWLINK(), Linux.NLM_F_CREATE() | Linux.NLM_F_EXCL(), 0,
                "create veth " + hostName + " (peer " + peerName + " in the network namespace of pid " + peerPid + ")");
        up(r.header());
        r.string(Linux.IFLA_IFNAME(), hostName);
        if (master > 0) {
            r.u32(Linux.IFLA_MASTER(), master);
        }
        r.beginNested(Linux.IFLA_LINKINFO()).string(Linux.IFLA_INFO_KIND(), "veth").beginNested(Linux.IFLA_INFO_DATA());
        r.beginNested(Linux.VETH_INFO_PEER());
        MemorySegment peer = r.nestedHeader(ifinfomsg.layout());
        ifinfomsg.ifi_family(peer, (byte) Linux.AF_UNSPEC()); // not up: veth refuses to open before it has its pair (ENOTCONN)
        r.string(Linux.IFLA_IFNAME(), peerName).attr(Linux.IFLA_ADDRESS(), peerMac).u32(Linux.IFLA_NET_NS_PID(), peerPid);
        r.endNested().endNested().endNested();
        return r;
    }

    private static final int IFLA_AF_SPEC = 26;
    private static final int IFLA_INET_CONF = 1;
    /** IPV4_DEVCONF_RP_FILTER (linux/ip.h): the index of rp_filter in a device's IPv4 configuration. */
    static final int IPV4_DEVCONF_RP_FILTER = 8;

    /**
     * Sets one of a device's IPv4 settings ({@code /proc/sys/net/ipv4/conf/NAME/...}) in the
     * namespace of the socket it is sent on: IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF, which the
     * kernel applies per device (as {@code ip}'s sysctl files would, without entering the namespace).
     */
    static NlRequest setInetConf(int index, String name, int devconf, int value) {
        NlRequest r = link(Linux.RTM_NEWLINK(), 0, index, "set IPv4 setting " + devconf + " of " + name + " to " + value);
        r.beginNested(IFLA_AF_SPEC).beginNested(Linux.AF_INET()).beginNested(IFLA_INET_CONF);
        r.u32(devconf, value);
        r.endNested().endNested().endNested();
        return r;
    }

    /** Brings a link up. */
    static NlRequest setUp(int index, String name) {
        NlRequest r = link(Linux.RTM_NEWLINK(), 0, index, "set " + name + " up");
        up(r.header());
        return r;
    }

    private static void up(MemorySegment ifinfo) {
        ifinfomsg.ifi_flags(ifinfo, Linux.IFF_UP());
        ifinfomsg.ifi_change(ifinfo, Linux.IFF_UP());
    }

    /** Deletes a link by name (a veth pair goes as a whole). */
    static NlRequest deleteLink(String name) {
        return link(Linux.RTM_DELLINK(), 0, 0, "delete link " + name).string(Linux.IFLA_IFNAME(), name);
    }

    /**
     * Adds an IPv4 address: {@code local/prefix} with its broadcast address, or, with
     * {@code peer} != 0, a point-to-point address {@code local peer peer/32}.
     */
    static NlRequest addAddress(int index, String name, Ipv4 local, int peer) {
        NlRequest r = new NlRequest(Linux.RTM_NEWADDR(), Linux.NLM_F_CREATE() | Linux.NLM_F_EXCL(), ifaddrmsg.layout(),
                "add address " + local + (peer != 0 ? " peer " + Ipv4.format(peer) : "") + " to " + name);
        MemorySegment h = r.header();
        ifaddrmsg.ifa_family(h, (byte) Linux.AF_INET());
        ifaddrmsg.ifa_prefixlen(h, (byte) (peer != 0 ? 32 : local.prefix()));
        ifaddrmsg.ifa_scope(h, (byte) Linux.RT_SCOPE_UNIVERSE());
        ifaddrmsg.ifa_index(h, index);
        r.address(Linux.IFA_LOCAL(), local.address());
        if (peer != 0) {
            r.address(Linux.IFA_ADDRESS(), peer);
        } else {
            r.address(Linux.IFA_ADDRESS(), local.address());
            if (local.prefix() < 31) {
                r.address(Linux.IFA_BROADCAST(), local.broadcast());
            }
        }
        return r;
    }

    /** Adds the default route via {@code gateway} on interface {@code index}. */
    static NlRequest addDefaultRoute(int index, String name, int gateway) {
        NlRequest r = new NlRequest(Linux.RTM_NEWROUTE(), Linux.NLM_F_CREATE() | Linux.NLM_F_EXCL(), rtmsg.layout(),
                "add default route via " + Ipv4.format(gateway) + " dev " + name);
        MemorySegment h = r.header();
        rtmsg.rtm_family(h, (byte) Linux.AF_INET());
        rtmsg.rtm_table(h, (byte) Linux.RT_TABLE_MAIN());
        rtmsg.rtm_protocol(h, (byte) Linux.RTPROT_BOOT());
        rtmsg.rtm_scope(h, (byte) Linux.RT_SCOPE_UNIVERSE());
        rtmsg.rtm_type(h, (byte) Linux.RTN_UNICAST());
        r.address(Linux.RTA_GATEWAY(), gateway).u32(Linux.RTA_OIF(), index);
        return r;
    }

    /** The link called {@code name}, or null when there is none. */
    static Link findLink(NetlinkSocket s, String name) {
        NlRequest r = link(Linux.RTM_GETLINK(), 0, 0, "get link " + name).string(Linux.IFLA_IFNAME(), name);
        List<NlMessage> replies;
        try {
            replies = s.query(r);
        } catch (ErrnoException e) {
            if (e.errno() == Linux.ENODEV()) {
                return null;
            }
            throw e;
        }
        return replies.isEmpty() ? null : parseLink(replies.get(0));
    }

    private static Link parseLink(NlMessage m) {
        MemorySegment h = m.payload();
        Map<Integer, MemorySegment> a = m.attributes(ifinfomsg.sizeof());
        String kind = null;
        MemorySegment info = a.get(Linux.IFLA_LINKINFO());
        if (info != null) {
            kind = NlMessage.string(NlMessage.attributes(info, 0).get(Linux.IFLA_INFO_KIND()));
        }
        MemorySegment master = a.get(Linux.IFLA_MASTER());
        return new Link(ifinfomsg.ifi_index(h), NlMessage.string(a.get(Linux.IFLA_IFNAME())), kind,
                NlMessage.string(a.get(Linux.IFLA_IFALIAS())), master == null ? 0 : NlMessage.u32(master),
                ifinfomsg.ifi_flags(h));
    }

    /** Every IPv4 route of the main routing table. */
    static List<Route> routes(NetlinkSocket s) {
        NlRequest r = new NlRequest(Linux.RTM_GETROUTE(), Linux.NLM_F_DUMP(), rtmsg.layout(), "list IPv4 routes");
        rtmsg.rtm_family(r.header(), (byte) Linux.AF_INET());
        List<Route> out = new ArrayList<>();
        for (NlMessage m : s.query(r)) {
            MemorySegment h = m.payload();
            Map<Integer, MemorySegment> a = m.attributes(rtmsg.sizeof());
            MemorySegment tableAttr = a.get(Linux.RTA_TABLE());
            int table = tableAttr != null ? NlMessage.u32(tableAttr) : rtmsg.rtm_table(h) & 0xff;
            if (m.type() != Linux.RTM_NEWROUTE() || table != Linux.RT_TABLE_MAIN()
                    || (rtmsg.rtm_family(h) & 0xff) != Linux.AF_INET()) {
                continue;
            }
            MemorySegment dst = a.get(Linux.RTA_DST());
            MemorySegment oif = a.get(Linux.RTA_OIF());
            out.add(new Route(new Ipv4(dst == null ? 0 : NlMessage.ipv4(dst), rtmsg.rtm_dst_len(h) & 0xff),
                    oif == null ? 0 : NlMessage.u32(oif)));
        }
        return out;
    }

    /** Every IPv4 address on this namespace's interfaces. */
    static List<Address> addresses(NetlinkSocket s) {
        NlRequest r = new NlRequest(Linux.RTM_GETADDR(), Linux.NLM_F_DUMP(), ifaddrmsg.layout(), "list IPv4 addresses");
        ifaddrmsg.ifa_family(r.header(), (byte) Linux.AF_INET());
        List<Address> out = new ArrayList<>();
        for (NlMessage m : s.query(r)) {
            MemorySegment h = m.payload();
            if ((ifaddrmsg.ifa_family(h) & 0xff) != Linux.AF_INET()) {
                continue;
            }
            Map<Integer, MemorySegment> a = m.attributes(ifaddrmsg.sizeof());
            MemorySegment local = a.getOrDefault(Linux.IFA_LOCAL(), a.get(Linux.IFA_ADDRESS()));
            if (local != null) {
                out.add(new Address(ifaddrmsg.ifa_index(h), new Ipv4(NlMessage.ipv4(local), ifaddrmsg.ifa_prefixlen(h) & 0xff)));
            }
        }
        return out;
    }
}
