package io.mdocker.internal.net;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.rtattr;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * One message received from the kernel: its type and its payload (the fixed header followed by
 * attributes), copied out of the receive buffer into memory of its own.
 */
record NlMessage(int type, int flags, MemorySegment payload) {
    private static final int TYPE_MASK = 0x3fff; // without NLA_F_NESTED and NLA_F_NET_BYTEORDER

    /** Copies {@code length} payload bytes at {@code offset} of {@code from} into an aligned heap segment. */
    static NlMessage copy(int type, int flags, MemorySegment from, long offset, long length) {
        MemorySegment own = MemorySegment.ofArray(new long[(int) ((length + 7) / 8)]).asSlice(0, length);
        MemorySegment.copy(from, offset, own, 0, length);
        return new NlMessage(type, flags, own);
    }

    /** The attributes that follow a fixed header of {@code headerSize} bytes, by type (the last one wins). */
    Map<Integer, MemorySegment> attributes(long headerSize) {
        return attributes(payload, NlRequest.align((int) headerSize));
    }

    static Map<Integer, MemorySegment> attributes(MemorySegment data, long offset) {
        Map<Integer, MemorySegment> out = new HashMap<>();
        long pos = offset;
        long hdr = rtattr.sizeof();
        while (pos + hdr <= data.byteSize()) {
            MemorySegment a = data.asSlice(pos);
            int len = rtattr.rta_len(a) & 0xffff;
            if (len < hdr || pos + len > data.byteSize()) {
                break;
            }
            out.put(rtattr.rta_type(a) & TYPE_MASK, data.asSlice(pos + NlRequest.align((int) hdr), len - hdr));
            pos += NlRequest.align(len);
        }
        return out;
    }

    /** A string attribute's value without its terminating NUL. */
    static String string(MemorySegment value) {
        if (value == null) {
            return null;
        }
        byte[] b = value.toArray(ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    static int u32(MemorySegment value) {
        return value.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
    }

    /** An IPv4 address attribute (network byte order) as an int. */
    static int ipv4(MemorySegment value) {
        return value.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 0);
    }

    boolean isError() {
        return type == Linux.NLMSG_ERROR();
    }
}
