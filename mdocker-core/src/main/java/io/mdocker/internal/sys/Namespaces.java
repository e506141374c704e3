package io.mdocker.internal.sys;

import io.mdocker.bindings.Linux;

/** The CLONE_NEW* sets a container's pid 1 is cloned into. */
public final class Namespaces {
    private Namespaces() {}

    private static final boolean ROOTLESS = SelfIds.euid() != 0;

    /** Whether this JVM runs containers rootless: its effective uid is not 0. */
    public static boolean rootless() {
        return ROOTLESS;
    }

    /**
     * Mount, UTS, IPC, PID and cgroup namespaces, a network namespace when {@code ownNetwork},
     * and a user namespace when {@link #rootless()}.
     */
    public static long container(boolean ownNetwork) {
        return container(ownNetwork, false);
    }

    /** As {@link #container(boolean)}, with a user namespace also when {@code userns} (a root JVM's remapped container). */
    public static long container(boolean ownNetwork, boolean userns) {
        return (userns ? Linux.CLONE_NEWUSER() : 0) | Linux.CLONE_NEWNS() | Linux.CLONE_NEWUTS() | Linux.CLONE_NEWIPC() | Linux.CLONE_NEWPID()
                | (ownNetwork ? Linux.CLONE_NEWNET() : 0) | Linux.CLONE_NEWCGROUP()
                | (ROOTLESS ? Linux.CLONE_NEWUSER() : 0);
    }
}
