package io.mdocker.internal.net;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.nlmsghdr;
import io.mdocker.bindings.rtattr;

import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One rtnetlink request under construction: an {@code nlmsghdr}, the message kind's fixed header
 * ({@code ifinfomsg}, {@code ifaddrmsg}, {@code rtmsg}) and a chain of attributes, nested ones
 * included. Headers are written through the bindings' struct classes, so every offset is the
 * one AbiProbeTest checked against gcc. Not thread-safe; built and sent by one thread.
 */
final class NlRequest {
    private static final int ALIGN = Linux.NLMSG_ALIGNTO();
    private static final int HDRLEN = align((int) nlmsghdr.sizeof());
    private static final int RTA_HDRLEN = align((int) rtattr.sizeof());

    private final String description;
    private MemorySegment buf = MemorySegment.ofArray(new long[64]); // 8-byte aligned, grows
    private int length;
    private final Deque<Integer> nests = new ArrayDeque<>();

    /** A request of {@code type} with NLM_F_REQUEST|{@code flags} and a zeroed {@code header}. */
    NlRequest(int type, int flags, GroupLayout header, String description) {
        this.description = description;
        length = HDRLEN + align((int) header.byteSize());
        nlmsghdr.nlmsg_type(buf, (short) type);
        nlmsghdr.nlmsg_flags(buf, (short) (Linux.NLM_F_REQUEST() | flags));
    }

    static int align(int n) {
        return (n + ALIGN - 1) & ~(ALIGN - 1);
    }

    /** What the request does, for error messages: {@code "create veth mdk0123 (eth0 in pid 42)"}. */
    String description() {
        return description;
    }

    int flags() {
        return nlmsghdr.nlmsg_flags(buf) & 0xffff;
    }

    /** The fixed header after the nlmsghdr, for its struct class's setters. */
    MemorySegment header() {
        return buf.asSlice(HDRLEN);
    }

    NlRequest attr(int type, byte[] value) {
        int start = begin(type);
        ensure(length + value.length);
        MemorySegment.copy(value, 0, buf, ValueLayout.JAVA_BYTE, length, value.length);
        length += value.length;
        return end(start);
    }

    NlRequest u32(int type, int value) {
        int start = begin(type);
        ensure(length + 4);
        buf.set(ValueLayout.JAVA_INT, length, value);
        length += 4;
        return end(start);
    }

    /** A NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND, IFLA_IFALIAS takes it too). */
    NlRequest string(int type, String value) {
        byte[] s = value.getBytes(StandardCharsets.UTF_8);
        byte[] z = new byte[s.length + 1];
        System.arraycopy(s, 0, z, 0, s.length);
        return attr(type, z);
    }

    NlRequest address(int type, int ipv4) {
        return attr(type, Ipv4.bytes(ipv4));
    }

    /** Opens a nested attribute; attributes added until {@link #endNested()} go inside it. */
    NlRequest beginNested(int type) {
        nests.push(begin(type | Linux.NLA_F_NESTED()));
        return this;
    }

    /**
     * Inside a nested attribute, a fixed struct (VETH_INFO_PEER carries an ifinfomsg before its
     * own attributes); returns the struct's bytes for its setters.
     */
    MemorySegment nestedHeader(GroupLayout header) {
        int size = align((int) header.byteSize());
        ensure(length + size);
        MemorySegment h = buf.asSlice(length, header.byteSize());
        length += size;
        return h;
    }

    NlRequest endNested() {
        int start = nests.pop();
        rtattr.rta_len(buf.asSlice(start), (short) (length - start));
        return this;
    }

    private int begin(int type) {
        ensure(length + RTA_HDRLEN);
        MemorySegment a = buf.asSlice(length);
        rtattr.rta_type(a, (short) type);
        int start = length;
        length += RTA_HDRLEN;
        return start;
    }

    private NlRequest end(int start) {
        rtattr.rta_len(buf.asSlice(start), (short) (length - start));
        int padded = align(length);
        ensure(padded);
        buf.asSlice(length, padded - length).fill((byte) 0);
        length = padded;
        return this;
    }

    private void ensure(int size) {
        if (size > buf.byteSize()) {
            long[] bigger = new long[(int) Math.max(buf.byteSize() / 4, (size + 7) / 8 + 64)];
            MemorySegment grown = MemorySegment.ofArray(bigger);
            MemorySegment.copy(buf, 0, grown, 0, length);
            buf = grown;
        }
    }

    /** Stamps length and sequence number; returns the finished message (a view, not a copy). */
    MemorySegment finish(int seq) {
        if (!nests.isEmpty()) {
            throw new IllegalStateException("unclosed nested attribute in " + description);
        }
        nlmsghdr.nlmsg_len(buf, length);
        nlmsghdr.nlmsg_seq(buf, seq);
        return buf.asSlice(0, length);
    }
}
