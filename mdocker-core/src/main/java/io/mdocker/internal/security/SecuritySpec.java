package io.mdocker.internal.security;

import io.mdocker.Capability;
import io.mdocker.SeccompProfile;
import io.mdocker.Ulimit;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The security settings of one container, as {@link SecurityPlan} takes them: checked and
 * resolved values (the capability set already has Docker's defaults, adds and drops applied;
 * the seccomp profile is unconfined when privileged).
 *
 * @param capabilities    the command's bounding, permitted and effective set
 * @param privileged      Docker's --privileged: no masked or read-only paths, /sys writable
 * @param noNewPrivileges whether no_new_privs is set
 * @param seccomp         the profile the command runs under; empty: Docker's default
 *                        ({@link SeccompProfile#dockerDefault()}), whose compiled program
 *                        {@link SeccompCompiler#compileDockerDefault} finds without building the profile
 * @param groups          supplementary group ids
 * @param readOnlyRootfs  whether the root filesystem is mounted read-only
 * @param tmpfs           container path to mount options
 * @param ulimits         rlimits set before the command starts
 * @param deviceRules     the device cgroup's rules (all devices allowed when privileged)
 * @param devices         device nodes made in the container's /dev
 */
public record SecuritySpec(Set<Capability> capabilities, boolean privileged, boolean noNewPrivileges,
                           Optional<SeccompProfile> seccomp, List<Integer> groups, boolean readOnlyRootfs,
                           Map<String, String> tmpfs, List<Ulimit> ulimits, DeviceRules deviceRules,
                           List<DeviceNode> devices) {
    public SecuritySpec {
        capabilities = Set.copyOf(capabilities);
        java.util.Objects.requireNonNull(seccomp, "seccomp");
        groups = List.copyOf(groups);
        tmpfs = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(tmpfs));
        ulimits = List.copyOf(ulimits);
        deviceRules = privileged ? DeviceRules.ALLOW_ALL : java.util.Objects.requireNonNull(deviceRules, "deviceRules");
        devices = List.copyOf(devices);
    }
}
