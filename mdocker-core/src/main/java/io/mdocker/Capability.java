package io.mdocker;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * A Linux capability (capabilities(7)), by the name Docker's {@code --cap-add} uses without the
 * {@code CAP_} prefix. {@link #number()} is the kernel's bit (linux/capability.h; checked against the bindings by a test).
 */
public enum Capability {
    CHOWN(0),
    DAC_OVERRIDE(1),
    DAC_READ_SEARCH(2),
    FOWNER(3),
    FSETID(4),
    KILL(5),
    SETGID(6),
    SETUID(7),
    SETPCAP(8),
    LINUX_IMMUTABLE(9),
    NET_BIND_SERVICE(10),
    NET_BROADCAST(11),
    NET_ADMIN(12),
    NET_RAW(13),
    IPC_LOCK(14),
    IPC_OWNER(15),
    SYS_MODULE(16),
    SYS_RAWIO(17),
    SYS_CHROOT(18),
    SYS_PTRACE(19),
    SYS_PACCT(20),
    SYS_ADMIN(21),
    SYS_BOOT(22),
    SYS_NICE(23),
    SYS_RESOURCE(24),
    SYS_TIME(25),
    SYS_TTY_CONFIG(26),
    MKNOD(27),
    LEASE(28),
    AUDIT_WRITE(29),
    AUDIT_CONTROL(30),
    SETFCAP(31),
    MAC_OVERRIDE(32),
    MAC_ADMIN(33),
    SYSLOG(34),
    WAKE_ALARM(35),
    BLOCK_SUSPEND(36),
    AUDIT_READ(37),
    PERFMON(38),
    BPF(39),
    CHECKPOINT_RESTORE(40);

    private static final Set<Capability> DOCKER_DEFAULTS = Set.copyOf(EnumSet.of(CHOWN, DAC_OVERRIDE, FSETID, FOWNER,
            MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE));

    private final int number;

    Capability(int number) {
        this.number = number;
    }

    /** The capability's bit number in the kernel's sets. */
    public int number() {
        return number;
    }

    /** The kernel's name: {@code CAP_} and this constant's name. */
    public String kernelName() {
        return "CAP_" + name();
    }

    /** Docker's default set of 14, which containers get unless told otherwise. */
    public static Set<Capability> dockerDefaults() {
        return DOCKER_DEFAULTS;
    }

    /**
     * Parses a capability name as Docker accepts it: {@code NET_ADMIN}, {@code CAP_NET_ADMIN},
     * any letter case.
     */
    public static Capability parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        if (n.startsWith("CAP_")) {
            n = n.substring(4);
        }
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown capability '" + name
                    + "': expected a name from capabilities(7) such as NET_ADMIN or CAP_SYS_TIME");
        }
    }
}
