/**
 * Resource limits with cgroups on v1, v2 and hybrid hosts. {@link io.mdocker.internal.cgroup.CgroupLayout}
 * detects, controller by controller, where each controller lives and which cgroup this JVM runs
 * in; {@link io.mdocker.internal.cgroup.ContainerCgroups} plans a container's cgroups from it,
 * behind one manager interface with a v1 and a v2 implementation and one class per controller
 * (memory, cpu, cpuset, pids). Nothing outside this package knows which version a host runs.
 *
 * <p>Lifecycle: plan (checks, no side effects) → create (directories and limits, before the
 * container is spawned) → attach (pid 1 joins, before GO) → stats → close (stragglers killed,
 * directories removed). A state record holds the directories, so a later runtime removes them
 * if the JVM dies. Threading: a container's cgroups may be read and closed from any thread.
 */
package io.mdocker.internal.cgroup;
