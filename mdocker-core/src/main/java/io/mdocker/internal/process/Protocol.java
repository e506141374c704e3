package io.mdocker.internal.process;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The JVM side of the protocol with mdocker-init; the contract is
 * {@code src/main/c/protocol.h}, whose constants are mirrored here one for one (ProtocolAbiTest
 * compares the two with gcc: a constant on one side only, or of another value, fails). Every message
 * is one SOCK_SEQPACKET datagram: a 12-byte little-endian header (magic, version, type, length)
 * and the payload.
 */
public final class Protocol {
    private Protocol() {}

    public static final int MAGIC = 0x314b444d; // "MDK1"
    public static final short VERSION = 11;
    public static final int HEADER_SIZE = 12;
    public static final int MAX_MESSAGE = 256 * 1024;
    /**
     * The largest message mdocker-init sends to the JVM (an ERROR with its longest text): the
     * size of the JVM's receive buffers.
     */
    public static final int MAX_REPLY = 16 * 1024;
    /**
     * The largest CONFIG the JVM sends: below the default socket send buffer (net.core.wmem_default,
     * 212992 bytes on most hosts), which bounds one SEQPACKET datagram.
     */
    public static final int MAX_CONFIG = 128 * 1024;

    // JVM -> monitor
    public static final int MSG_CONFIG = 1;
    public static final int MSG_GO = 2;
    public static final int MSG_SIGNAL = 3;
    /** Join mode (exec): records as CONFIG's, the subset protocol.h names. */
    public static final int MSG_JOIN = 4;
    /**
     * Published ports for the monitor to serve (detached containers), between PID and CONFIG:
     * per port the host IPv4 address (4 bytes, network order; 0.0.0.0 every address), uint16 host
     * port (0: a free one), uint16 container port.
     */
    public static final int MSG_PUBLISH = 5;
    /**
     * The command of a parked pid 1 (CONFIG had PARK), after PARKED: records ARG, ENV (replacing
     * CONFIG's) and optionally CWD.
     */
    public static final int MSG_CLAIM = 6;
    // monitor -> JVM
    public static final int MSG_PID = 101;
    public static final int MSG_ERROR = 102;
    public static final int MSG_STARTED = 103;
    public static final int MSG_EXIT = 104;
    /** Join mode: int32 host pid, int32 pid inside the container of the exec'd process. */
    public static final int MSG_JOINED = 105;
    /** PUBLISH's answer: uint16 bound host port per entry, in its order. */
    public static final int MSG_PUBLISHED = 106;
    /**
     * The master of the command's pseudo-terminal (record TTY), passed as SCM_RIGHTS; no payload.
     * Before STARTED (JOINED); {@link InitProcess} takes it as it comes.
     */
    public static final int MSG_TTY = 107;
    /** The most ports one PUBLISH carries. */
    /** pid 1 waits on its EXECFIFO; the monitor has let it go and exits. */
    public static final int MSG_CREATED = 108;
    /** With PARK: pid 1 is set up past GO and waits for CLAIM. */
    public static final int MSG_PARKED = 109;
    public static final int MAX_PORTS = 64;

    // CONFIG record tags
    public static final int T_ARG = 1;
    public static final int T_ENV = 2;
    public static final int T_LOWER = 3;
    public static final int T_UPPER = 4;
    public static final int T_WORK = 5;
    public static final int T_MERGED = 6;
    public static final int T_HOSTNAME = 7;
    public static final int T_CWD = 8;
    public static final int T_UID = 9;
    public static final int T_GID = 10;
    public static final int T_BIND = 11;
    public static final int T_NSFLAGS = 12;
    public static final int T_INIT = 13;
    // security records; applied in the order protocol.h describes
    public static final int T_CAPS = 14;
    public static final int T_SECURITY = 15;
    public static final int T_SECCOMP = 16;
    public static final int T_RLIMIT = 17;
    public static final int T_GROUPS = 18;
    public static final int T_MASK = 19;
    public static final int T_READONLY = 20;
    public static final int T_TMPFS = 21;
    /** string: the container's cgroup v2 directory, where the monitor attaches the device program */
    public static final int T_DEVCGROUP = 22;
    /** string: a detached container's exit-status file; the container outlives the JVM after STARTED */
    public static final int T_DETACH = 23;
    /** string: a detached container's stdout file */
    public static final int T_STDOUT = 24;
    /** string: a detached container's stderr file */
    public static final int T_STDERR = 25;
    /** JOIN: int32 host pid of the container's pid 1, uint32 0, uint64 its start time. */
    public static final int T_JOINPID = 26;
    /** JOIN, repeated: a cgroup directory of the container that the exec'd process joins. */
    public static final int T_CGROUP = 27;
    /**
     * CONFIG, repeated: a cgroup file system pid 1 mounts once it is in its cgroup namespace:
     * mount flags, then "target\0controllers" (a v1 hierarchy's; empty: cgroup2).
     */
    public static final int T_CGROUPFS = 28;
    /** CONFIG, exactly when PUBLISH came before: the container's IPv4 address (4 bytes, network order). */
    public static final int T_FORWARD = 29;
    /** CONFIG or JOIN: a pseudo-terminal for the command, uint16 rows, uint16 columns (its window size). */
    public static final int T_TTY = 30;
    /** An OCI bundle's root, bound instead of an overlay. */
    public static final int T_ROOTFS = 31;
    /** An OCI mount: flags, propagation, "type\0source\0target\0data"; replaces the system mounts. */
    public static final int T_MOUNT = 32;
    /** The exec fifo pid 1 waits on before exec (OCI create/start). */
    public static final int T_EXECFIFO = 33;
    /** "key\0value": a sysctl written in the container. */
    public static final int T_SYSCTL = 34;
    /** With TTY: the console socket (host path) pid 1 sends the terminal's master to. */
    public static final int T_CONSOLE = 35;
    /** uint32 CLONE_NEW* (net, ipc, uts), then a namespace file pid 1 enters. */
    public static final int T_JOINNS = 36;
    /** JOIN: the exec'd process is left to the nearest subreaper; the joiner exits after JOINED. */
    public static final int T_ORPHAN = 37;
    /**
     * mount flags, then "target\0data": a size-limited tmpfs pid 1 mounts at target before the
     * overlay, creating UPPER and WORK (directly below target) in it
     */
    public static final int T_LAYERFS = 38;
    /**
     * uint32 type (S_IFCHR, S_IFBLK or S_IFIFO), major, minor, mode, uid, gid, then the path (under
     * /dev): a device node pid 1 makes after its mounts (OCI linux.devices).
     */
    public static final int T_DEVICE = 39;
    /** uint32 1: pid 1 stops after GO, sends PARKED and waits for CLAIM (the warm pool); CONFIG may lack ARG. */
    public static final int T_PARK = 40;
    /** struct bpf_insn[]: the device program for DEVCGROUP when the rules are not the default ones. */
    public static final int T_DEVPROG = 41;

    public static final int SEC_NO_NEW_PRIVS = 1;
    public static final int SEC_READONLY_ROOTFS = 2;
    public static final int SEC_SYSFS_RW = 4;

    public static final int BIND_READONLY = 1;
    public static final int BIND_RECURSIVE = 2;

    // ERROR steps
    public static final int STEP_PROTOCOL = 1;
    public static final int STEP_CLONE = 2;
    public static final int STEP_MOUNT = 3;
    public static final int STEP_PIVOT_ROOT = 4;
    public static final int STEP_HOSTNAME = 5;
    public static final int STEP_CWD = 6;
    public static final int STEP_USER = 7;
    public static final int STEP_EXEC = 8;
    public static final int STEP_NAMESPACE = 9;
    public static final int STEP_FORK = 10;
    public static final int STEP_CAPABILITIES = 11;
    public static final int STEP_NO_NEW_PRIVS = 12;
    public static final int STEP_SECCOMP = 13;
    public static final int STEP_RLIMIT = 14;
    public static final int STEP_DEVICES = 15;
    public static final int STEP_STDIO = 16;
    public static final int STEP_JOIN = 17;
    /** Binding a published port; the text starts with "PUBLISH[i]", i the entry. */
    public static final int STEP_PUBLISH = 18;
    /** Opening the pseudo-terminal, or making it the controlling terminal. */
    public static final int STEP_TTY = 19;

    /** A message received from the monitor. */
    public record Message(int type, ByteBuffer payload) {
        public int int32(int index) {
            return payload.getInt(index * 4);
        }

        /** The UTF-8 text that follows {@code ints} leading int32 fields. */
        public String text(int ints) {
            ByteBuffer b = payload.duplicate().position(ints * 4);
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    static ByteBuffer header(int type, int length) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE + length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putShort(VERSION).putShort((short) type).putInt(length);
        return b;
    }

    public static ByteBuffer go() {
        return header(MSG_GO, 0).flip();
    }

    /**
     * PUBLISH: for each port its host address ({@code hostAddresses[i]}, 4 bytes), host port and
     * container port.
     */
    public static ByteBuffer publish(List<byte[]> hostAddresses, int[] hostPorts, int[] containerPorts) {
        int n = hostAddresses.size();
        if (n == 0 || n > MAX_PORTS) {
            throw new IllegalArgumentException(n + " published ports: expected 1 to " + MAX_PORTS);
        }
        ByteBuffer b = header(MSG_PUBLISH, 8 * n);
        for (int i = 0; i < n; i++) {
            b.put(hostAddresses.get(i)).putShort((short) hostPorts[i]).putShort((short) containerPorts[i]);
        }
        return b.flip();
    }

    public static ByteBuffer signal(int signo) {
        return header(MSG_SIGNAL, 4).putInt(signo).flip();
    }

    /** Parses one received datagram; throws if it is not a well-formed message of this version. */
    static Message parse(ByteBuffer datagram) {
        ByteBuffer b = datagram.order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < HEADER_SIZE) {
            throw new IllegalStateException("short message from mdocker-init: " + b.remaining() + " bytes");
        }
        int magic = b.getInt();
        int version = b.getShort();
        int type = b.getShort() & 0xffff;
        int length = b.getInt();
        if (magic != MAGIC || version != VERSION) {
            throw new IllegalStateException(String.format(
                    "mdocker-init speaks another protocol: magic 0x%08x version %d, expected 0x%08x version %d",
                    magic, version, MAGIC, VERSION));
        }
        if (length != b.remaining()) {
            throw new IllegalStateException("mdocker-init message " + type + " says " + length
                    + " payload bytes but carries " + b.remaining());
        }
        return new Message(type, b.slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** Builds the CONFIG payload record by record. */
    public static final class ConfigWriter {
        private ByteBuffer records = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);

        private ByteBuffer room(int bytes) {
            if (records.remaining() < bytes) {
                int size = Math.max(records.capacity() * 2, records.position() + bytes);
                records = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).put(records.flip());
            }
            return records;
        }

        private ConfigWriter record(int tag, byte[] value) {
            room(8 + value.length).putShort((short) tag).putShort((short) 0).putInt(value.length).put(value);
            return this;
        }

        public ConfigWriter string(int tag, String value) {
            return record(tag, value.getBytes(StandardCharsets.UTF_8));
        }

        public ConfigWriter u32(int tag, int value) {
            return record(tag, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        }

        public ConfigWriter u64(int tag, long value) {
            return record(tag, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array());
        }

        /** {@code flags}: {@link #BIND_READONLY}, with {@link #BIND_RECURSIVE} for the mounts below too. */
        public ConfigWriter bind(String source, String target, int flags) {
            byte[] s = source.getBytes(StandardCharsets.UTF_8);
            byte[] t = target.getBytes(StandardCharsets.UTF_8);
            ByteBuffer v = ByteBuffer.allocate(4 + s.length + 1 + t.length).order(ByteOrder.LITTLE_ENDIAN);
            v.putInt(flags).put(s).put((byte) 0).put(t);
            return record(T_BIND, v.array());
        }

        /** Raw bytes (the seccomp BPF program). */
        public ConfigWriter bytes(int tag, byte[] value) {
            return record(tag, value.clone());
        }

        /** An array of uint32 (supplementary groups). */
        public ConfigWriter u32s(int tag, java.util.List<Integer> values) {
            ByteBuffer v = ByteBuffer.allocate(4 * values.size()).order(ByteOrder.LITTLE_ENDIAN);
            values.forEach(v::putInt);
            return record(tag, v.array());
        }

        /** CAPS: bounding, effective, permitted, inheritable, ambient (bit n = capability n). */
        public ConfigWriter caps(long bounding, long effective, long permitted, long inheritable, long ambient) {
            ByteBuffer v = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
            v.putLong(bounding).putLong(effective).putLong(permitted).putLong(inheritable).putLong(ambient);
            return record(T_CAPS, v.array());
        }

        /** JOINPID: the container's pid 1 and its start time (field 22 of /proc/PID/stat). */
        public ConfigWriter joinPid(int pid, long startTime) {
            ByteBuffer v = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
            v.putInt(pid).putInt(0).putLong(startTime);
            return record(T_JOINPID, v.array());
        }

        /** TTY: the command gets a pseudo-terminal of {@code rows} x {@code columns} (1 to 65535 each). */
        public ConfigWriter tty(int rows, int columns) {
            ByteBuffer v = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            v.putShort((short) rows).putShort((short) columns);
            return record(T_TTY, v.array());
        }

        /** Records encoded by another writer ({@link #records()}), appended as they are. */
        public ConfigWriter records(byte[] encoded) {
            room(encoded.length).put(encoded);
            return this;
        }

        /** The records written so far, without a message header. */
        public byte[] records() {
            ByteBuffer body = records.duplicate().flip();
            byte[] out = new byte[body.remaining()];
            body.get(out);
            return out;
        }

        /** RLIMIT: resource, soft, hard (-1: RLIM_INFINITY). */
        public ConfigWriter rlimit(int resource, long soft, long hard) {
            ByteBuffer v = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            v.putInt(resource).putInt(0).putLong(soft).putLong(hard);
            return record(T_RLIMIT, v.array());
        }

        /** MOUNT: MS_* flags, propagation (MS_* with MS_REC, 0: none), "type\0source\0target\0data". */
        public ConfigWriter mount(String type, String source, String target, long flags, long propagation,
                                  String data) {
            byte[] v = (type + "\0" + source + "\0" + target + "\0" + data).getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(8 + v.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt((int) flags).putInt((int) propagation).put(v);
            return record(T_MOUNT, b.array());
        }

        /** JOINNS: the namespace file {@code path} of type {@code cloneFlag}, which pid 1 enters. */
        public ConfigWriter joinNamespace(long cloneFlag, String path) {
            byte[] v = path.getBytes(StandardCharsets.UTF_8);
            return record(T_JOINNS, ByteBuffer.allocate(4 + v.length).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt((int) cloneFlag).put(v).array());
        }

        /** DEVICE: a device node {@code path} (under /dev) of {@code type} (S_IFCHR, S_IFBLK or S_IFIFO). */
        public ConfigWriter device(int type, int major, int minor, int mode, int uid, int gid, String path) {
            byte[] v = path.getBytes(StandardCharsets.UTF_8);
            return record(T_DEVICE, ByteBuffer.allocate(24 + v.length).order(ByteOrder.LITTLE_ENDIAN)
                    .putInt(type).putInt(major).putInt(minor).putInt(mode).putInt(uid).putInt(gid).put(v).array());
        }

        /** SYSCTL: "key\0value". */
        public ConfigWriter sysctl(String key, String value) {
            return string(T_SYSCTL, key + "\0" + value);
        }

        /** TMPFS: mount flags, then "target\0data". */
        public ConfigWriter tmpfs(String target, long flags, String data) {
            return flaggedMount(T_TMPFS, target, flags, data);
        }

        /** LAYERFS: mount flags, then "target\0data" of the tmpfs that holds UPPER and WORK. */
        public ConfigWriter layerfs(String target, long flags, String data) {
            return flaggedMount(T_LAYERFS, target, flags, data);
        }

        /** CGROUPFS: mount flags, then "target\0controllers" (empty: cgroup2). */
        public ConfigWriter cgroupfs(String target, long flags, String controllers) {
            return flaggedMount(T_CGROUPFS, target, flags, controllers);
        }

        private ConfigWriter flaggedMount(int tag, String target, long flags, String data) {
            byte[] t = target.getBytes(StandardCharsets.UTF_8);
            byte[] d = data.getBytes(StandardCharsets.UTF_8);
            ByteBuffer v = ByteBuffer.allocate(4 + t.length + 1 + d.length).order(ByteOrder.LITTLE_ENDIAN);
            v.putInt((int) flags).put(t).put((byte) 0).put(d);
            return record(tag, v.array());
        }

        /** The whole CONFIG message, header included. */
        public ByteBuffer message() {
            return message(MSG_CONFIG);
        }

        /** The records as a message of {@code type} (CONFIG or JOIN), header included. */
        public ByteBuffer message(int type) {
            ByteBuffer body = records.duplicate().flip();
            if (HEADER_SIZE + body.remaining() > MAX_CONFIG) {
                throw new IllegalArgumentException((type == MSG_JOIN ? "exec" : "container") + " configuration is "
                        + body.remaining() + " bytes (command, environment and mounts); at most "
                        + (MAX_CONFIG - HEADER_SIZE) + " are supported");
            }
            return header(type, body.remaining()).put(body).flip();
        }
    }
}
