package io.mdocker.internal;

/**
 * Something made on the host for one container before it starts (a cgroup, a veth pair, an
 * address lease, ...). The start sequence creates every resource before spawning mdocker-init,
 * {@link #attach attaches} each to the container's pid 1 between sync 2 (CONFIG) and sync 3 (GO) —
 * so nothing the user asked for runs before its limits and network apply — and closes them in
 * reverse order once the container has exited or failed to start.
 */
public interface HostResource extends AutoCloseable {
    /** Binds the resource to the container whose pid 1 has host pid {@code pid}. */
    void attach(int pid);

    /** Removes what this resource made. Called after the container's processes are gone; idempotent. */
    @Override
    void close();
}
