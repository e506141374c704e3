package io.mdocker.internal.security;

import io.mdocker.Capability;
import io.mdocker.ContainerException;
import io.mdocker.SeccompProfile;
import io.mdocker.SeccompProfile.Action;
import io.mdocker.SeccompProfile.Arg;
import io.mdocker.SeccompProfile.Rule;
import io.mdocker.bindings.Linux;
import io.mdocker.bindings.seccomp.Seccomp;
import io.mdocker.bindings.seccomp.scmp_arg_cmp;
import io.mdocker.internal.sys.Errno;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Compiles a {@link SeccompProfile} to a classic BPF program (an array of {@code struct
 * sock_filter}, 8 bytes each) with libseccomp: {@code seccomp_init}, {@code seccomp_arch_add},
 * {@code seccomp_rule_add_array} per syscall, {@code seccomp_export_bpf} into a memfd that is read
 * back. The init installs the bytes with seccomp(2) right before the command's exec.
 *
 * <p>A profile's rules may depend on the container's capabilities (Docker's {@code includes.caps}
 * and {@code excludes.caps}), so a program is compiled once per profile and capability set and
 * cached for the life of the JVM; a container start then costs a map lookup. Given the state's lib
 * root, programs are also cached on disk ({@link SeccompCache}), for the next JVM. Thread-safe.
 */
public final class SeccompCompiler {
    private SeccompCompiler() {}

    /** caps: the capability bits, which decide which rules apply. */
    private record Key(SeccompProfile profile, long caps) {
        /**
         * Of the profile's name and size only, which equal profiles share: the record's own hash
         * walks every rule (hundreds), through method handles each record type spins on first use.
         */
        @Override
        public int hashCode() {
            return (profile.name().hashCode() * 31 + profile.rules().size()) * 31 + Long.hashCode(caps);
        }
    }

    /** The same, compared by the profile's identity: no deep hash of hundreds of rules per start. */
    private record IdentityKey(SeccompProfile profile, long caps) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IdentityKey k && k.profile == profile && k.caps == caps;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(profile) * 31 + Long.hashCode(caps);
        }
    }

    private static final byte[] NO_FILTER = new byte[0];
    /** Programs by profile value: each profile and capability set is compiled once per JVM. */
    private static final Map<Key, byte[]> BY_VALUE = new ConcurrentHashMap<>();
    /** The fast path in front of it; bounded, as callers may make new equal profiles at will. */
    private static final Map<IdentityKey, byte[]> BY_IDENTITY = new ConcurrentHashMap<>();
    private static final int IDENTITY_ENTRIES = 64;
    /** Docker's default profile's programs by capability bits, found without building the profile. */
    private static final Map<Long, byte[]> DOCKER_DEFAULT = new ConcurrentHashMap<>();

    /** Kernel version as "major.minor" numbers, for minKernel. */
    private static final int[] KERNEL = kernelVersion();

    /**
     * The BPF program for {@code profile} in a container with {@code caps}; empty when the profile
     * is unconfined (no filter). The array is shared: callers must not modify it.
     */
    public static byte[] compile(SeccompProfile profile, Set<Capability> caps) {
        return compile(profile, caps, null);
    }

    /**
     * As {@link #compile(SeccompProfile, Set)}; a program not in this JVM's memory yet is looked up
     * in, or else compiled and stored in, the disk cache under {@code libRoot} ({@link SeccompCache};
     * null: none), so that a new JVM on the same state root does not compile it again.
     */
    public static byte[] compile(SeccompProfile profile, Set<Capability> caps, Path libRoot) {
        if (profile.name().equals("docker-default") && profile == SeccompProfile.dockerDefault()) {
            return compileDockerDefault(caps, libRoot); // the built-in instance itself, not an equal copy
        }
        long mask = SecurityPlan.mask(caps);
        IdentityKey fast = new IdentityKey(profile, mask);
        byte[] program = BY_IDENTITY.get(fast);
        if (program != null) {
            return program;
        }
        program = profile.isUnconfined() ? NO_FILTER
                : BY_VALUE.computeIfAbsent(new Key(profile, mask), k -> cachedOrCompiled(profile, caps, mask, libRoot));
        if (BY_IDENTITY.size() >= IDENTITY_ENTRIES) {
            BY_IDENTITY.clear();
        }
        BY_IDENTITY.put(fast, program);
        return program;
    }

    /**
     * The program of {@link SeccompProfile#dockerDefault()} for {@code caps}. Unlike
     * {@link #compile(SeccompProfile, Set, Path)}, the disk cache is looked up by a key made without
     * the profile or a digest ({@link SeccompCache#dockerDefaultKey}): the profile is built only when
     * its program must be compiled (no file, or one that may not be trusted).
     */
    public static byte[] compileDockerDefault(Set<Capability> caps, Path libRoot) {
        long mask = SecurityPlan.mask(caps);
        byte[] program = DOCKER_DEFAULT.get(mask);
        return program != null ? program : DOCKER_DEFAULT.computeIfAbsent(mask, m -> cachedOrCompiledDefault(caps, m, libRoot));
    }

    private static byte[] cachedOrCompiledDefault(Set<Capability> caps, long mask, Path libRoot) {
        Optional<String> key = libRoot == null ? Optional.empty() : SeccompCache.dockerDefaultKey(mask);
        if (key.isEmpty()) {
            return cachedOrCompiled(SeccompProfile.dockerDefault(), caps, mask, libRoot);
        }
        byte[] program = SeccompCache.read(libRoot, key.get());
        if (program == null) {
            program = compileNow(SeccompProfile.dockerDefault(), caps);
            SeccompCache.write(libRoot, key.get(), program);
        }
        return program;
    }

    private static byte[] cachedOrCompiled(SeccompProfile profile, Set<Capability> caps, long mask, Path libRoot) {
        if (libRoot == null) {
            return compileNow(profile, caps);
        }
        String key = SeccompCache.key(profile, caps, mask);
        byte[] program = SeccompCache.read(libRoot, key);
        if (program == null) {
            program = compileNow(profile, caps);
            SeccompCache.write(libRoot, key, program);
        }
        return program;
    }

    /** Forgets the programs compiled or read by this JVM (for tests of the disk cache). */
    static void forgetInMemory() {
        BY_IDENTITY.clear();
        BY_VALUE.clear();
        DOCKER_DEFAULT.clear();
    }

    private static byte[] compileNow(SeccompProfile profile, Set<Capability> caps) {
        String what = "seccomp profile " + profile.name();
        MemorySegment ctx;
        try {
            ctx = Seccomp.seccomp_init(action(profile.defaultAction()));
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            throw new ContainerException("libseccomp.so.2 cannot be loaded, so the " + what + " cannot be compiled: "
                    + "install libseccomp2 (apt-get install libseccomp2), or run with seccomp unconfined", e);
        }
        if (ctx.equals(MemorySegment.NULL)) {
            throw new ContainerException(what + ": seccomp_init failed (out of memory, or an action libseccomp "
                    + "does not know: " + profile.defaultAction() + ")");
        }
        try (Arena arena = Arena.ofConfined()) {
            // A binary tree over syscall numbers instead of a linear chain: fewer instructions per
            // call, and far less work for the kernel, which at install emulates the filter for
            // every syscall number to build its allow cache (seccomp_cache_prepare).
            int rc0 = Seccomp.seccomp_attr_set(ctx, Seccomp.SCMP_FLTATR_CTL_OPTIMIZE(), 2);
            if (rc0 < 0) {
                throw new ContainerException(what + ": seccomp_attr_set(SCMP_FLTATR_CTL_OPTIMIZE, 2): " + Errno.describe(-rc0));
            }
            for (String arch : profile.architectures()) {
                int rc = Seccomp.seccomp_arch_add(ctx, archToken(arch, what));
                if (rc < 0 && -rc != Linux.EEXIST()) { // EEXIST: the native one, always there
                    throw new ContainerException(what + ": seccomp_arch_add(" + arch + "): " + Errno.describe(-rc));
                }
            }
            int defaultAction = action(profile.defaultAction());
            for (Rule rule : profile.rules()) {
                if (!applies(rule, caps)) {
                    continue;
                }
                int action = action(rule.action());
                if (action == defaultAction) {
                    continue; // libseccomp refuses rules that change nothing
                }
                MemorySegment args = scmp_arg_cmp.allocateArray(Math.max(1, rule.args().size()), arena);
                for (int i = 0; i < rule.args().size(); i++) {
                    Arg a = rule.args().get(i);
                    MemorySegment cmp = scmp_arg_cmp.asSlice(args, i);
                    scmp_arg_cmp.arg(cmp, a.index());
                    scmp_arg_cmp.op(cmp, op(a.op()));
                    scmp_arg_cmp.datum_a(cmp, a.value());
                    scmp_arg_cmp.datum_b(cmp, a.valueTwo());
                }
                for (String name : rule.names()) {
                    int nr = Seccomp.seccomp_syscall_resolve_name(arena.allocateFrom(name));
                    if (nr == Seccomp.__NR_SCMP_ERROR()) {
                        continue; // a syscall this libseccomp (or architecture) does not know, as Docker does
                    }
                    int rc = Seccomp.seccomp_rule_add_array(ctx, action, nr, rule.args().size(), args);
                    if (rc < 0) {
                        throw new ContainerException(what + ": seccomp_rule_add(" + name + ", " + rule.action()
                                + (rule.args().isEmpty() ? "" : ", " + rule.args()) + "): " + Errno.describe(-rc));
                    }
                }
            }
            return export(ctx, what);
        } finally {
            Seccomp.seccomp_release(ctx);
        }
    }

    private static byte[] export(MemorySegment ctx, String what) {
        int fd = Posix.memfdCreate("mdocker-seccomp", Linux.MFD_CLOEXEC());
        try {
            int rc = Seccomp.seccomp_export_bpf(ctx, fd);
            if (rc < 0) {
                throw new ContainerException(what + ": seccomp_export_bpf: " + Errno.describe(-rc));
            }
            byte[] program = Files.readAllBytes(Path.of("/proc/self/fd/" + fd)); // opened anew: offset 0
            if (program.length == 0 || program.length % 8 != 0) {
                throw new ContainerException(what + ": libseccomp exported " + program.length
                        + " bytes, not a whole number of 8-byte BPF instructions");
            }
            return program;
        } catch (IOException e) {
            throw new ContainerException(what + ": reading the exported BPF program back: " + e.getMessage(), e);
        } finally {
            Posix.closeQuietly(fd);
        }
    }

    /** Whether the rule's capability, architecture and kernel conditions hold here. */
    static boolean applies(Rule rule, Set<Capability> caps) {
        if (!caps.containsAll(rule.includesCaps())) {
            return false;
        }
        for (Capability c : rule.excludesCaps()) {
            if (caps.contains(c)) {
                return false;
            }
        }
        String arch = nativeArch();
        if (!rule.includesArches().isEmpty() && !rule.includesArches().contains(arch)) {
            return false;
        }
        if (rule.excludesArches().contains(arch)) {
            return false;
        }
        if (rule.minKernel() != null) {
            String[] v = rule.minKernel().split("\\.");
            int major = Integer.parseInt(v[0]);
            int minor = Integer.parseInt(v[1]);
            return KERNEL[0] > major || (KERNEL[0] == major && KERNEL[1] >= minor);
        }
        return true;
    }

    /** The native architecture as Docker names it (Go's GOARCH). */
    static String nativeArch() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            case "x86", "i386" -> "386";
            default -> System.getProperty("os.arch");
        };
    }

    private static int[] kernelVersion() {
        String[] v = System.getProperty("os.version").split("[.-]");
        try {
            return new int[] {Integer.parseInt(v[0]), v.length > 1 ? Integer.parseInt(v[1]) : 0};
        } catch (NumberFormatException e) {
            return new int[] {0, 0};
        }
    }

    private static int archToken(String arch, String what) {
        return switch (arch) {
            case "SCMP_ARCH_NATIVE" -> Seccomp.SCMP_ARCH_NATIVE();
            case "SCMP_ARCH_X86_64" -> Seccomp.SCMP_ARCH_X86_64();
            case "SCMP_ARCH_X86" -> Seccomp.SCMP_ARCH_X86();
            case "SCMP_ARCH_X32" -> Seccomp.SCMP_ARCH_X32();
            case "SCMP_ARCH_AARCH64" -> Seccomp.SCMP_ARCH_AARCH64();
            case "SCMP_ARCH_ARM" -> Seccomp.SCMP_ARCH_ARM();
            default -> throw new IllegalArgumentException(what + ": architecture " + arch
                    + " is not supported here (SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM are)");
        };
    }

    private static int action(Action a) {
        return switch (a.kind()) {
            case ALLOW -> Seccomp.SCMP_ACT_ALLOW();
            case ERRNO -> Seccomp.MDK_SCMP_ACT_ERRNO_BASE() | (a.value() & 0xffff);
            case KILL_THREAD -> Seccomp.SCMP_ACT_KILL_THREAD();
            case KILL_PROCESS -> Seccomp.SCMP_ACT_KILL_PROCESS();
            case TRAP -> Seccomp.SCMP_ACT_TRAP();
            case TRACE -> Seccomp.MDK_SCMP_ACT_TRACE_BASE() | (a.value() & 0xffff);
            case LOG -> Seccomp.SCMP_ACT_LOG();
        };
    }

    private static int op(SeccompProfile.Op op) {
        return switch (op) {
            case NE -> Seccomp.SCMP_CMP_NE();
            case LT -> Seccomp.SCMP_CMP_LT();
            case LE -> Seccomp.SCMP_CMP_LE();
            case EQ -> Seccomp.SCMP_CMP_EQ();
            case GE -> Seccomp.SCMP_CMP_GE();
            case GT -> Seccomp.SCMP_CMP_GT();
            case MASKED_EQ -> Seccomp.SCMP_CMP_MASKED_EQ();
        };
    }
}
