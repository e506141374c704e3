package io.mdocker.internal.security;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A container's device cgroup: an ordered list of allow and deny rules reduced to what the
 * kernel's v1 devices controller would hold after them, as runc applies
 * {@code linux.resources.devices}: a default (deny all, or allow all) and a set of exceptions,
 * each a device type, major and minor (-1 for any) with the accesses it adds (r, w, m).
 *
 * <p>The rules apply in order, then mdocker's (Docker's) default allowances ({@link #DEFAULT_ALLOWED},
 * appended as runc appends its own): a type {@code a} rule resets the default and drops every
 * exception; any other rule adds its accesses to the exception with the same type and numbers where
 * its action is the opposite of the default, and takes them away from that exception otherwise. An
 * exception can only be taken away whole or in part from the exception with the very same numbers:
 * a rule taking accesses that a wildcard exception covering it grants (a deny of {@code c 10:229 rw}
 * after an allow of {@code c 10:* rwm}) is refused, as runc refuses it, because the v1 controller
 * would silently ignore it. So the last rule that names a device wins, and what one cgroup version
 * allows the other does.
 *
 * <p>The result is applied either as writes to a v1 devices cgroup ({@link #v1Writes}: the default,
 * then the exceptions), or as a BPF_PROG_TYPE_CGROUP_DEVICE program for cgroup v2
 * ({@link #bpfProgram}): on an allow-list, an access is allowed when an exception of its type and
 * numbers grants every access asked for; on a deny-list, it is denied when an exception of its type
 * and numbers names any of them (the v1 controller's own tests).
 */
public final class DeviceRules {
    /** BPF_DEVCG_ACC_* and BPF_DEVCG_DEV_* (linux/bpf.h). */
    private static final int ACC_MKNOD = 1, ACC_READ = 2, ACC_WRITE = 4, ACC_ALL = 7;
    private static final int DEV_BLOCK = 1, DEV_CHAR = 2;
    /** The largest major and minor numbers a dev_t holds (MAJOR/MINOR of linux/kdev_t.h). */
    public static final long MAX_MAJOR = 0xfff, MAX_MINOR = 0xfffff;
    /** The kernel's limit on a BPF program's length (BPF_MAXINSNS for an unprivileged loader's view). */
    private static final int MAX_INSNS = 4096;

    /**
     * One rule: {@code allow} or deny, of {@code type} a (all devices), b or c, with {@code major}
     * and {@code minor} (-1 for any), for {@code access}, some of r, w and m.
     */
    public record Rule(boolean allow, char type, long major, long minor, String access) {
        public Rule {
            Objects.requireNonNull(access, "access");
            String problem = problem(type, major, minor, access);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
        }

        /**
         * Parses a rule in the v1 devices cgroup's (and Docker's {@code --device-cgroup-rule}) form:
         * {@code TYPE MAJOR:MINOR ACCESS}, {@code *} for any number, e.g. {@code c 10:229 rwm}.
         *
         * @throws IllegalArgumentException naming the value and what was expected
         */
        public static Rule parse(boolean allow, String text) {
            String[] f = text.strip().split("\\s+");
            String[] numbers = f.length == 3 ? f[1].split(":", -1) : new String[0];
            if (f.length != 3 || f[0].length() != 1 || numbers.length != 2) {
                throw new IllegalArgumentException("device rule '" + text
                        + "': expected TYPE MAJOR:MINOR ACCESS, e.g. 'c 10:229 rwm' (type a, b or c; * for any number; access of rwm)");
            }
            long major = number(text, "major", numbers[0], MAX_MAJOR);
            long minor = number(text, "minor", numbers[1], MAX_MINOR);
            String problem = problem(f[0].charAt(0), major, minor, f[2]);
            if (problem != null) {
                throw new IllegalArgumentException("device rule '" + text + "': " + problem);
            }
            return new Rule(allow, f[0].charAt(0), major, minor, f[2]);
        }

        private static long number(String text, String what, String s, long max) {
            if (s.equals("*")) {
                return -1;
            }
            try {
                long n = Long.parseLong(s);
                if (n >= 0 && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new IllegalArgumentException("device rule '" + text + "': " + what + " '" + s
                    + "' (expected * or a number from 0 to " + max + ")");
        }

        /** What is wrong with these values, or null. */
        static String problem(char type, long major, long minor, String access) {
            if (type != 'a' && type != 'b' && type != 'c') {
                return "type '" + type + "' (expected a, b or c)";
            }
            if (major < -1 || major > MAX_MAJOR) {
                return "major " + major + " (expected -1 or absent for any, or 0 to " + MAX_MAJOR + ")";
            }
            if (minor < -1 || minor > MAX_MINOR) {
                return "minor " + minor + " (expected -1 or absent for any, or 0 to " + MAX_MINOR + ")";
            }
            if (access.isEmpty() || !access.matches("[rwm]+")) {
                return "access '" + access + "' (expected one or more of r, w, m)";
            }
            return null;
        }

        /** The rule as the v1 controller's files take it, e.g. {@code c 10:* rw}. */
        @Override
        public String toString() {
            return (allow ? "allow " : "deny ") + text(type, major, minor, bits(access));
        }
    }

    /** mdocker's (Docker's, runc's) default allowances, appended to every rule list: type major:minor access. */
    public static final List<String> DEFAULT_ALLOWED_TEXT = List.of(
            "c *:* m", "b *:* m",          // mknod of anything (CAP_MKNOD decides), opening none of it
            "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", // null zero full random urandom
            "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm",                            // tty console ptmx
            "c 136:* rwm",                                                     // the container's /dev/pts/*
            "c 10:200 rwm");                                                   // /dev/net/tun

    /** {@link #DEFAULT_ALLOWED_TEXT} as rules. */
    public static final List<Rule> DEFAULT_ALLOWED = DEFAULT_ALLOWED_TEXT.stream().map(r -> Rule.parse(true, r)).toList();

    /** Deny all, then the default allowances: a container's devices unless it says otherwise. */
    public static final DeviceRules DEFAULT = of(List.of(new Rule(false, 'a', -1, -1, "rwm")));

    /** Every device allowed (privileged). */
    public static final DeviceRules ALLOW_ALL = of(List.of(new Rule(true, 'a', -1, -1, "rwm")));

    /**
     * A rule's device. equals and hashCode are written out: a record's generated ones are bound
     * at their first call by a bootstrap that spins method-handle classes (tens of milliseconds of
     * a one-shot command line, docs/bench/cli.md).
     */
    private record Key(char type, long major, long minor) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.type == type && k.major == major && k.minor == minor;
        }

        @Override
        public int hashCode() {
            return (31 * type + Long.hashCode(major)) * 31 + Long.hashCode(minor);
        }
    }

    private final boolean defaultAllow;
    private final Map<Key, Integer> exceptions; // access bits, in order of first appearance

    private DeviceRules(boolean defaultAllow, Map<Key, Integer> exceptions) {
        this.defaultAllow = defaultAllow;
        this.exceptions = Collections.unmodifiableMap(exceptions);
    }

    /**
     * The device cgroup after {@code rules}, in order, and the default allowances.
     *
     * @throws IllegalArgumentException naming the rule ({@code rules[i]}) that takes accesses away
     *                                  from inside a wildcard exception
     */
    public static DeviceRules of(List<Rule> rules) {
        return of(rules, "rules");
    }

    /**
     * As {@link #of(List)}, naming a refused rule {@code field[i]}.
     *
     * @throws IllegalArgumentException naming the rule that takes accesses away from inside a wildcard exception
     */
    public static DeviceRules of(List<Rule> rules, String field) {
        List<Rule> all = new ArrayList<>(rules);
        all.addAll(DEFAULT_ALLOWED);
        boolean defaultAllow = false; // a fresh list denies all, as runc's
        Map<Key, Integer> ex = new LinkedHashMap<>();
        for (int i = 0; i < all.size(); i++) {
            Rule r = all.get(i);
            if (r.type() == 'a') {
                defaultAllow = r.allow();
                ex.clear();
                continue;
            }
            Key key = new Key(r.type(), r.major(), r.minor());
            int bits = bits(r.access());
            if (r.allow() != defaultAllow) {
                ex.merge(key, bits, (a, b) -> a | b);
                continue;
            }
            for (Key wider : List.of(new Key(r.type(), -1, r.minor()), new Key(r.type(), r.major(), -1),
                    new Key(r.type(), -1, -1))) {
                int covered = ex.getOrDefault(wider, 0) & bits;
                if (!wider.equals(key) && covered != 0) {
                    throw new IllegalArgumentException((i < rules.size() ? field + "[" + i + "]: " : "") + r
                            + " takes access from inside the wider exception " + text(wider.type(), wider.major(),
                            wider.minor(), ex.get(wider)) + " (the v1 devices cgroup cannot; name the devices one by one)");
                }
            }
            Integer left = ex.computeIfPresent(key, (k, a) -> a & ~bits);
            if (left != null && left == 0) {
                ex.remove(key);
            }
        }
        return new DeviceRules(defaultAllow, new LinkedHashMap<>(ex));
    }

    /** Whether every device is allowed (no devices cgroup, no device program). */
    public boolean allowsAll() {
        return defaultAllow && exceptions.isEmpty();
    }

    /** Whether this is exactly {@link #DEFAULT} (the devices cgroup mdocker's default containers share a parent for). */
    public boolean isDefault() {
        return equals(DEFAULT);
    }

    /** One write to a v1 devices cgroup: {@code value} into {@code file} (devices.allow or devices.deny). */
    public record Write(String file, String value) {}

    /**
     * The writes that give a fresh v1 devices cgroup this state: the default ({@code a} into
     * devices.deny or devices.allow), then each exception into the other file.
     */
    public List<Write> v1Writes() {
        List<Write> w = new ArrayList<>();
        w.add(new Write(defaultAllow ? "devices.allow" : "devices.deny", "a"));
        exceptions.forEach((k, bits) -> w.add(new Write(defaultAllow ? "devices.deny" : "devices.allow",
                text(k.type(), k.major(), k.minor(), bits))));
        return w;
    }

    /** The lines the v1 controller's devices.list shows for this state (an allow-list only). */
    public List<String> v1List() {
        if (defaultAllow) {
            throw new IllegalStateException("a deny-list is not shown by devices.list");
        }
        return exceptions.entrySet().stream().map(e -> text(e.getKey().type(), e.getKey().major(), e.getKey().minor(),
                e.getValue())).toList();
    }

    /**
     * The BPF_PROG_TYPE_CGROUP_DEVICE program for this state: struct bpf_insn[], little-endian as
     * the kernel takes it on this machine. Its context is struct bpf_cgroup_dev_ctx: access_type
     * (the device type in its low 16 bits, the accesses in its high 16), major, minor; it returns
     * 1 to allow, 0 to deny.
     */
    public byte[] bpfProgram() {
        List<long[]> p = new ArrayList<>(); // {code, dst, src, off, imm}
        p.add(insn(0x61, 2, 1, 0, 0));        // r2 = *(u32 *)(r1 + 0): access_type
        p.add(insn(0x57, 2, 0, 0, 0xffff));   // r2 &= 0xffff: the type
        p.add(insn(0x61, 3, 1, 0, 0));        // r3 = access_type
        p.add(insn(0x77, 3, 0, 0, 16));       // r3 >>= 16: the accesses
        p.add(insn(0x61, 4, 1, 4, 0));        // r4 = major
        p.add(insn(0x61, 5, 1, 8, 0));        // r5 = minor
        for (Map.Entry<Key, Integer> e : exceptions.entrySet()) {
            Key k = e.getKey();
            int bits = e.getValue();
            List<long[]> block = new ArrayList<>();   // each jump's off is "to the next block", fixed below
            block.add(insn(0x55, 2, 0, -1, k.type() == 'b' ? DEV_BLOCK : DEV_CHAR)); // if r2 != type goto next
            if (bits != ACC_ALL) {
                block.add(insn(0xbf, 1, 3, 0, 0));   // r1 = r3
                block.add(insn(0x57, 1, 0, 0, bits)); // r1 &= the exception's accesses
                block.add(defaultAllow
                        ? insn(0x15, 1, 0, -1, 0)    // deny-list: if none of them is asked for, goto next
                        : insn(0x5d, 1, 3, -1, 0));  // allow-list: if one asked for is not among them, goto next
            }
            if (k.major() >= 0) {
                block.add(insn(0x55, 4, 0, -1, k.major())); // if r4 != major goto next
            }
            if (k.minor() >= 0) {
                block.add(insn(0x55, 5, 0, -1, k.minor())); // if r5 != minor goto next
            }
            block.add(insn(0xb7, 0, 0, 0, defaultAllow ? 0 : 1)); // r0 = the exception's verdict
            block.add(insn(0x95, 0, 0, 0, 0));                     // exit
            for (int i = 0; i < block.size(); i++) {
                if (block.get(i)[3] == -1) {
                    block.get(i)[3] = block.size() - i - 1;
                }
            }
            p.addAll(block);
        }
        p.add(insn(0xb7, 0, 0, 0, defaultAllow ? 1 : 0)); // r0 = the default
        p.add(insn(0x95, 0, 0, 0, 0));
        if (p.size() > MAX_INSNS) {
            throw new IllegalArgumentException(exceptions.size() + " device exceptions make a program of " + p.size()
                    + " instructions (at most " + MAX_INSNS + ")");
        }
        ByteBuffer b = ByteBuffer.allocate(p.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long[] i : p) {
            b.put((byte) i[0]).put((byte) (i[1] | i[2] << 4)).putShort((short) i[3]).putInt((int) i[4]);
        }
        return b.array();
    }

    private static long[] insn(int code, int dst, int src, int off, long imm) {
        return new long[] {code, dst, src, off, imm};
    }

    private static int bits(String access) {
        int b = 0;
        for (char c : access.toCharArray()) {
            b |= c == 'r' ? ACC_READ : c == 'w' ? ACC_WRITE : ACC_MKNOD;
        }
        return b;
    }

    private static String text(char type, long major, long minor, int bits) {
        return type + " " + (major < 0 ? "*" : Long.toString(major)) + ":" + (minor < 0 ? "*" : Long.toString(minor)) + " "
                + ((bits & ACC_READ) != 0 ? "r" : "") + ((bits & ACC_WRITE) != 0 ? "w" : "") + ((bits & ACC_MKNOD) != 0 ? "m" : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeviceRules d && d.defaultAllow == defaultAllow && d.exceptions.equals(exceptions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(defaultAllow, exceptions);
    }

    /** The state, e.g. {@code deny all but c 1:3 rwm, c 10:229 rw}. */
    @Override
    public String toString() {
        return (defaultAllow ? "allow all but " : "deny all but ") + (exceptions.isEmpty() ? "nothing"
                : String.join(", ", exceptions.entrySet().stream().map(e -> text(e.getKey().type(), e.getKey().major(),
                e.getKey().minor(), e.getValue())).toList()));
    }
}
