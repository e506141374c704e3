package io.mdocker.internal.net;

/**
 * An IPv4 address with a prefix length, {@code 10.200.1.1/24}: an interface address, or a subnet
 * when the host bits are zero. Parsing is strict (four decimal octets without leading zeros, a
 * prefix of 0-32) and every error names the value and what was expected.
 */
public record Ipv4(int address, int prefix) {
    public Ipv4 {
        if (prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("prefix length " + prefix + " out of range 0-32");
        }
    }

    /** {@code a.b.c.d/n}, or {@code a.b.c.d} with {@code defaultPrefix}; {@code what} names the value in errors. */
    public static Ipv4 parse(String text, int defaultPrefix, String what) {
        if (text == null) {
            throw new IllegalArgumentException(what + " is missing: expected an IPv4 address like 10.200.1.1/24");
        }
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        int address = parseAddress(addr, text, what);
        int prefix = defaultPrefix;
        if (slash >= 0) {
            String p = text.substring(slash + 1);
            if (!p.matches("[0-9]|[12][0-9]|3[0-2]")) {
                throw new IllegalArgumentException("invalid " + what + " '" + text
                        + "': expected an IPv4 address with a prefix length of 0-32, like 10.200.1.1/24");
            }
            prefix = Integer.parseInt(p);
        }
        return new Ipv4(address, prefix);
    }

    /** A plain address ({@code a.b.c.d}) as an int, network byte order in the int's bits. */
    public static int parseAddress(String addr, String whole, String what) {
        String[] parts = addr.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("invalid " + what + " '" + whole + "': expected an IPv4 address like 10.200.1.1"
                    + (addr.indexOf(':') >= 0 ? " (IPv6 is not supported)" : ""));
        }
        int value = 0;
        for (String part : parts) {
            if (!part.matches("0|[1-9][0-9]{0,2}") || Integer.parseInt(part) > 255) {
                throw new IllegalArgumentException("invalid " + what + " '" + whole
                        + "': expected four decimal octets 0-255 like 10.200.1.1");
            }
            value = value << 8 | Integer.parseInt(part);
        }
        return value;
    }

    public static String format(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
    }

    /** The four bytes in network order, as netlink carries them. */
    public static byte[] bytes(int address) {
        return new byte[] {(byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address};
    }

    public int mask() {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    /** The subnet: this address with the host bits cleared. */
    public Ipv4 network() {
        return new Ipv4(address & mask(), prefix);
    }

    public int broadcast() {
        return address | ~mask();
    }

    public boolean isNetworkAddress() {
        return (address & ~mask()) == 0;
    }

    public boolean contains(int other) {
        return (other & mask()) == (address & mask());
    }

    /** Whether the two subnets share an address. */
    public boolean overlaps(Ipv4 other) {
        int shorter = Math.min(prefix, other.prefix);
        int m = shorter == 0 ? 0 : -1 << (32 - shorter);
        return (address & m) == (other.address & m);
    }

    /** The address alone, {@code 10.200.1.1}. */
    public String addressText() {
        return format(address);
    }

    @Override
    public String toString() {
        return format(address) + "/" + prefix;
    }
}
