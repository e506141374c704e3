package io.mdocker;

import io.mdocker.bindings.Linux;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * A Linux capability (capabilities(7)), by the name Docker's {@code --cap-add} uses without the
 * {@code CAP_} prefix. {@link #number()} is the kernel's bit, taken from the ABI-checked bindings.
 */
public enum Capability {
    CHOWN(Linux::CAP_CHOWN),
    DAC_OVERRIDE(Linux::CAP_DAC_OVERRIDE),
    DAC_READ_SEARCH(Linux::CAP_DAC_READ_SEARCH),
    FOWNER(Linux::CAP_FOWNER),
    FSETID(Linux::CAP_FSETID),
    KILL(Linux::CAP_KILL),
    SETGID(Linux::CAP_SETGID),
    SETUID(Linux::CAP_SETUID),
    SETPCAP(Linux::CAP_SETPCAP),
    LINUX_IMMUTABLE(Linux::CAP_LINUX_IMMUTABLE),
    NET_BIND_SERVICE(Linux::CAP_NET_BIND_SERVICE),
    NET_BROADCAST(Linux::CAP_NET_BROADCAST),
    NET_ADMIN(Linux::CAP_NET_ADMIN),
    NET_RAW(Linux::CAP_NET_RAW),
    IPC_LOCK(Linux::CAP_IPC_LOCK),
    IPC_OWNER(Linux::CAP_IPC_OWNER),
    SYS_MODULE(Linux::CAP_SYS_MODULE),
    SYS_RAWIO(Linux::CAP_SYS_RAWIO),
    SYS_CHROOT(Linux::CAP_SYS_CHROOT),
    SYS_PTRACE(Linux::CAP_SYS_PTRACE),
    SYS_PACCT(Linux::CAP_SYS_PACCT),
    SYS_ADMIN(Linux::CAP_SYS_ADMIN),
    SYS_BOOT(Linux::CAP_SYS_BOOT),
    SYS_NICE(Linux::CAP_SYS_NICE),
    SYS_RESOURCE(Linux::CAP_SYS_RESOURCE),
    SYS_TIME(Linux::CAP_SYS_TIME),
    SYS_TTY_CONFIG(Linux::CAP_SYS_TTY_CONFIG),
    MKNOD(Linux::CAP_MKNOD),
    LEASE(Linux::CAP_LEASE),
    AUDIT_WRITE(Linux::CAP_AUDIT_WRITE),
    AUDIT_CONTROL(Linux::CAP_AUDIT_CONTROL),
    SETFCAP(Linux::CAP_SETFCAP),
    MAC_OVERRIDE(Linux::CAP_MAC_OVERRIDE),
    MAC_ADMIN(Linux::CAP_MAC_ADMIN),
    SYSLOG(Linux::CAP_SYSLOG),
    WAKE_ALARM(Linux::CAP_WAKE_ALARM),
    BLOCK_SUSPEND(Linux::CAP_BLOCK_SUSPEND),
    AUDIT_READ(Linux::CAP_AUDIT_READ),
    PERFMON(Linux::CAP_PERFMON),
    BPF(Linux::CAP_BPF),
    CHECKPOINT_RESTORE(Linux::CAP_CHECKPOINT_RESTORE);

    private static final Set<Capability> DOCKER_DEFAULTS = Set.copyOf(EnumSet.of(CHOWN, DAC_OVERRIDE, FSETID, FOWNER,
            MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE));

    private final int number;

    Capability(IntSupplier number) {
        this.number = number.getAsInt();
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
