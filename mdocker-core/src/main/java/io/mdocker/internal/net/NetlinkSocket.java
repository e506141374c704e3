package io.mdocker.internal.net;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.nlmsgerr;
import io.mdocker.bindings.nlmsghdr;
import io.mdocker.bindings.sockaddr_nl;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A NETLINK_ROUTE socket bound to the network namespace it was created in, with the
 * request/acknowledge exchange: requests are sent in one datagram (the kernel handles them in
 * order and acknowledges each), replies are read until every request is answered. Failures carry
 * errno and the kernel's own explanation (extended ACK), e.g.
 * {@code create bridge mdocker0: EEXIST (File exists) (kernel: ...)}.
 *
 * <p>Owned by one thread from open to close (its buffers live in a confined arena).
 */
final class NetlinkSocket implements AutoCloseable {
    /** A dump's datagrams are at most 32 KiB (the kernel's limit for one dump skb); requests are smaller. */
    private static final int BUFFER = 32 * 1024;

    private final int fd;
    private final String where;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment rx;
    private final MemorySegment tx;
    private final MemorySegment kernel;
    private int seq;

    private NetlinkSocket(int fd, String where) {
        this.fd = fd;
        this.where = where;
        this.rx = arena.allocate(BUFFER, 8);
        this.tx = arena.allocate(BUFFER, 8);
        this.kernel = sockaddr_nl.allocate(arena);
        sockaddr_nl.nl_family(kernel, (short) Linux.AF_NETLINK());
    }

    /** A socket in the calling thread's network namespace. */
    static NetlinkSocket open(String where) {
        return adopt(Posix.socket(Linux.AF_NETLINK(), Linux.SOCK_RAW() | Linux.SOCK_CLOEXEC(), Linux.NETLINK_ROUTE(),
                "AF_NETLINK, NETLINK_ROUTE"), where);
    }

    /** A NETLINK_NETFILTER socket (nftables) in the calling thread's network namespace. */
    static NetlinkSocket openNetfilter(String where) {
        return adopt(Posix.socket(Linux.AF_NETLINK(), Linux.SOCK_RAW() | Linux.SOCK_CLOEXEC(), Linux.NETLINK_NETFILTER(),
                "AF_NETLINK, NETLINK_NETFILTER"), where);
    }

    /** Takes ownership of a NETLINK_ROUTE socket (one opened in another namespace). */
    static NetlinkSocket adopt(int fd, String where) {
        try {
            // The kernel's error text in acknowledgements, and acknowledgements without the request echoed.
            Posix.setsockoptInt(fd, Linux.SOL_NETLINK(), Linux.NETLINK_EXT_ACK(), 1, "NETLINK_EXT_ACK");
            Posix.setsockoptInt(fd, Linux.SOL_NETLINK(), Linux.NETLINK_CAP_ACK(), 1, "NETLINK_CAP_ACK");
            return new NetlinkSocket(fd, where);
        } catch (RuntimeException e) {
            Posix.closeQuietly(fd);
            throw e;
        }
    }

    /**
     * A non-blocking socket in the calling thread's namespace that receives the kernel's
     * notifications for {@code groups} ({@code RTMGRP_*} bits); read it with {@link #pending()}.
     */
    static NetlinkSocket subscribe(int groups, String where) {
        int fd = Posix.socket(Linux.AF_NETLINK(), Linux.SOCK_RAW() | Linux.SOCK_CLOEXEC(), Linux.NETLINK_ROUTE(),
                "AF_NETLINK, NETLINK_ROUTE");
        try (Arena a = Arena.ofConfined()) {
            Posix.fcntl(fd, Linux.F_SETFL(), Linux.O_NONBLOCK(), "netlink notifications");
            MemorySegment address = sockaddr_nl.allocate(a);
            sockaddr_nl.nl_family(address, (short) Linux.AF_NETLINK());
            sockaddr_nl.nl_groups(address, groups);
            Posix.bind(fd, address, "netlink groups " + groups);
            return new NetlinkSocket(fd, where);
        } catch (RuntimeException e) {
            Posix.closeQuietly(fd);
            throw e;
        }
    }

    /** The descriptor, to poll on. */
    int fd() {
        return fd;
    }

    /**
     * The notifications queued on a {@link #subscribe subscribed} socket (empty when none). An
     * ErrnoException with ENOBUFS means some were lost: the receiver must look again.
     */
    List<NlMessage> pending() {
        try {
            return receive();
        } catch (ErrnoException e) {
            if (e.errno() == Linux.EAGAIN()) {
                return List.of();
            }
            throw e;
        }
    }

    /**
     * Sends the requests in one datagram, each with NLM_F_ACK, and waits for every
     * acknowledgement. The first failure is thrown once all were read. {@code tolerated} errno
     * values (e.g. EEXIST for an idempotent step) count as success.
     */
    void execute(List<NlRequest> requests, int... tolerated) {
        exchange(null, requests, null, tolerated);
    }

    /**
     * As {@link #execute(List, int...)}, the requests between {@code begin} and {@code end}, which
     * are not acknowledged themselves: an nfnetlink batch (NFNL_MSG_BATCH_BEGIN ... END), which the
     * kernel applies as one transaction, all or nothing.
     */
    void executeBatch(NlRequest begin, List<NlRequest> requests, NlRequest end, int... tolerated) {
        exchange(begin, requests, end, tolerated);
    }

    private void exchange(NlRequest begin, List<NlRequest> requests, NlRequest end, int[] tolerated) {
        long len = 0;
        if (begin != null) {
            len = append(begin.finish(++seq), len);
        }
        int first = seq + 1;
        for (NlRequest r : requests) {
            len = append(messageWithAck(r, ++seq), len);
        }
        if (end != null) {
            len = append(end.finish(++seq), len);
        }
        int last = first + requests.size() - 1;
        send(len, requests.get(0));
        ErrnoException failure = null;
        int pending = requests.size();
        while (pending > 0) {
            for (NlMessage m : receive()) {
                if (!m.isError()) {
                    continue;
                }
                int ackSeq = nlmsghdr.nlmsg_seq(nlmsgerr.msg(m.payload()));
                if (ackSeq < first || ackSeq > last) {
                    continue; // a stale answer to an earlier request
                }
                pending--;
                int error = -nlmsgerr.error(m.payload());
                if (error != 0 && !contains(tolerated, error) && failure == null) {
                    failure = failure(requests.get(ackSeq - first), error, m);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    void execute(NlRequest request, int... tolerated) {
        execute(List.of(request), tolerated);
    }

    /**
     * Sends a GET (one object, or all with NLM_F_DUMP) and returns the replies. A GET of one
     * object that does not exist throws an ErrnoException with ENODEV (links) or ENOENT.
     */
    List<NlMessage> query(NlRequest request) {
        MemorySegment m = request.finish(++seq);
        MemorySegment.copy(m, 0, tx, 0, m.byteSize());
        send(m.byteSize(), request);
        boolean dump = (request.flags() & Linux.NLM_F_DUMP()) == Linux.NLM_F_DUMP();
        List<NlMessage> out = new ArrayList<>();
        while (true) {
            for (NlMessage r : receive()) {
                if (r.type() == Linux.NLMSG_DONE()) {
                    return out;
                }
                if (r.isError()) {
                    int error = -nlmsgerr.error(r.payload());
                    if (error != 0) {
                        throw failure(request, error, r);
                    }
                    return out;
                }
                out.add(r);
                if (!dump) {
                    return out;
                }
            }
        }
    }

    /** Copies {@code m} into the send buffer at {@code len}; returns the length after it. */
    private long append(MemorySegment m, long len) {
        if (len + m.byteSize() > BUFFER) {
            throw new IllegalStateException("netlink batch larger than " + BUFFER + " bytes");
        }
        MemorySegment.copy(m, 0, tx, len, m.byteSize());
        return len + NlRequest.align((int) m.byteSize());
    }

    private static MemorySegment messageWithAck(NlRequest r, int seq) {
        MemorySegment m = r.finish(seq);
        nlmsghdr.nlmsg_flags(m, (short) (nlmsghdr.nlmsg_flags(m) | Linux.NLM_F_ACK()));
        return m;
    }

    private void send(long len, NlRequest first) {
        long sent = Posix.sendto(fd, tx, len, kernel, "netlink " + where + ": " + first.description());
        if (sent != len) {
            throw new ErrnoException("sendto(netlink " + where + ": " + first.description() + ") sent " + sent
                    + " of " + len + " bytes", Linux.EPROTO());
        }
    }

    /** One datagram, split into its messages. */
    private List<NlMessage> receive() {
        long n = Posix.recv(fd, rx, BUFFER, Linux.MSG_TRUNC(), "netlink " + where);
        if (n > BUFFER) {
            throw new ErrnoException("recv(netlink " + where + "): a reply of " + n + " bytes did not fit "
                    + BUFFER, Linux.EPROTO());
        }
        List<NlMessage> out = new ArrayList<>();
        long pos = 0;
        long hdr = nlmsghdr.sizeof();
        while (pos + hdr <= n) {
            MemorySegment h = rx.asSlice(pos);
            long len = nlmsghdr.nlmsg_len(h) & 0xffffffffL;
            if (len < hdr || pos + len > n) {
                break;
            }
            out.add(NlMessage.copy(nlmsghdr.nlmsg_type(h) & 0xffff, nlmsghdr.nlmsg_flags(h) & 0xffff, rx,
                    pos + hdr, len - hdr));
            pos += NlRequest.align((int) len);
        }
        return out;
    }

    private ErrnoException failure(NlRequest request, int errno, NlMessage ack) {
        String kernelSays = null;
        if ((ack.flags() & Linux.NLM_F_ACK_TLVS()) != 0) {
            long offset = nlmsgerr.sizeof();
            if ((ack.flags() & Linux.NLM_F_CAPPED()) == 0) {
                offset += (nlmsghdr.nlmsg_len(nlmsgerr.msg(ack.payload())) & 0xffffffffL) - nlmsghdr.sizeof();
            }
            kernelSays = NlMessage.string(NlMessage.attributes(ack.payload(), NlRequest.align((int) offset))
                    .get(Linux.NLMSGERR_ATTR_MSG()));
        }
        String call = request.description() + (where.isEmpty() ? "" : " (" + where + ")")
                + (kernelSays == null || kernelSays.isEmpty() ? "" : " [kernel: " + kernelSays + "]");
        return new ErrnoException(call, errno);
    }

    private static boolean contains(int[] values, int v) {
        for (int x : values) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        Posix.closeQuietly(fd);
        arena.close();
    }
}
