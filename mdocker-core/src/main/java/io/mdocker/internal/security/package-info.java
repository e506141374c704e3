/**
 * Container hardening on the Java side: {@link io.mdocker.internal.security.SecurityPlan} turns a
 * container's settings into the CONFIG records mdocker-init applies (capability sets,
 * no_new_privs, the seccomp program, rlimits, groups, masked and read-only paths, read-only
 * rootfs, tmpfs); {@link io.mdocker.internal.security.SeccompCompiler} compiles seccomp profiles
 * to BPF with libseccomp, once per profile and capability set;
 * Docker's default seccomp profile is {@code io.mdocker.SeccompProfile.dockerDefault()};
 * {@link io.mdocker.internal.security.DeviceRules} reduces a list of device cgroup rules as runc
 * does, to the writes of a v1 devices cgroup or a cgroup v2 device program;
 * {@link io.mdocker.internal.security.DevicesCgroupV1} is the container's cgroup v1 devices
 * cgroup (a {@link io.mdocker.internal.HostResource}).
 *
 * <p>Threading: everything here is stateless or guarded (the compiler's caches are concurrent
 * maps); a DevicesCgroupV1 belongs to one container's start and close.
 */
package io.mdocker.internal.security;
