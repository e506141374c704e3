package io.mdocker.internal.sys;

import io.mdocker.bindings.Linux;

/** The CLONE_NEW* sets a container's pid 1 is cloned into. */
public final class Namespaces {
    private Namespaces() {}

    /** Mount, UTS, IPC, PID and cgroup namespaces, and a network namespace when {@code ownNetwork}. */
    public static long container(boolean ownNetwork) {
        return Linux.CLONE_NEWNS() | Linux.CLONE_NEWUTS() | Linux.CLONE_NEWIPC() | Linux.CLONE_NEWPID()
                | (ownNetwork ? Linux.CLONE_NEWNET() : 0) | Linux.CLONE_NEWCGROUP();
    }
}
