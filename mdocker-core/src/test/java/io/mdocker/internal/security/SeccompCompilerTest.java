package io.mdocker.internal.security;

import io.mdocker.Capability;
import io.mdocker.SeccompProfile;
import io.mdocker.SeccompProfile.Action;
import io.mdocker.SeccompProfile.Rule;
import io.mdocker.internal.process.Protocol;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Compiling profiles with libseccomp: the program's shape, the cache, the capability conditions. */
class SeccompCompilerTest {

    @Test
    void dockersDefaultCompilesToABpfProgramThatFitsTheConfig() {
        byte[] program = SeccompCompiler.compile(SeccompProfile.dockerDefault(), Capability.dockerDefaults());
        assertThat(program.length % 8).as("whole struct sock_filter instructions").isZero();
        assertThat(program.length / 8).as("instructions (the kernel takes at most 4096)").isBetween(100, 4096);
        assertThat(program.length).as("room left in CONFIG for the rest").isLessThan(Protocol.MAX_CONFIG / 2);
    }

    @Test
    void aProfileIsCompiledOncePerCapabilitySet() {
        Set<Capability> caps = Capability.dockerDefaults();
        byte[] first = SeccompCompiler.compile(SeccompProfile.dockerDefault(), caps);
        byte[] again = SeccompCompiler.compile(SeccompProfile.dockerDefault(), EnumSet.copyOf(caps));
        assertThat(again).isSameAs(first);
        long t0 = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            SeccompCompiler.compile(SeccompProfile.dockerDefault(), caps);
        }
        long lookupNanos = (System.nanoTime() - t0) / 1000;
        assertThat(lookupNanos).as("a cached program costs a map lookup (ns)").isLessThan(100_000);
        EnumSet<Capability> admin = EnumSet.copyOf(caps);
        admin.add(Capability.SYS_ADMIN);
        assertThat(SeccompCompiler.compile(SeccompProfile.dockerDefault(), admin))
                .as("CAP_SYS_ADMIN unlocks mount, unshare, setns...: another program").isNotEqualTo(first);
    }

    @Test
    void unconfinedIsNoProgram() {
        assertThat(SeccompCompiler.compile(SeccompProfile.unconfined(), Set.of())).isEmpty();
        assertThat(SeccompProfile.unconfined().isUnconfined()).isTrue();
        assertThat(SeccompProfile.dockerDefault().isUnconfined()).isFalse();
    }

    @Test
    void rulesApplyByCapabilityArchitectureAndKernel() {
        Rule admin = Rule.of(Action.allow(), "mount").ifCapabilities(Capability.SYS_ADMIN);
        assertThat(SeccompCompiler.applies(admin, Set.of(Capability.SYS_ADMIN))).isTrue();
        assertThat(SeccompCompiler.applies(admin, Set.of())).isFalse();
        Rule notAdmin = Rule.of(Action.errno(38), "clone3").unlessCapabilities(Capability.SYS_ADMIN);
        assertThat(SeccompCompiler.applies(notAdmin, Set.of(Capability.SYS_ADMIN))).isFalse();
        assertThat(SeccompCompiler.applies(Rule.of(Action.allow(), "arch_prctl").onArches("amd64"), Set.of()))
                .isEqualTo(SeccompCompiler.nativeArch().equals("amd64"));
        assertThat(SeccompCompiler.applies(Rule.of(Action.allow(), "ptrace").sinceKernel("4.8"), Set.of())).isTrue();
        assertThat(SeccompCompiler.applies(Rule.of(Action.allow(), "ptrace").sinceKernel("99.0"), Set.of())).isFalse();
    }

    @Test
    void unknownSyscallNamesAreSkippedAndBadArchitecturesNamed() {
        SeccompProfile p = SeccompProfile.builder("test").rule(Rule.of(Action.allow(), "read", "no_such_syscall_xyz")).build();
        assertThat(SeccompCompiler.compile(p, Set.of())).isNotEmpty();
        SeccompProfile bad = SeccompProfile.builder("test").architecture("SCMP_ARCH_PPC64LE").build();
        assertThatThrownBy(() -> SeccompCompiler.compile(bad, Set.of())).hasMessageContaining("SCMP_ARCH_PPC64LE");
    }

    @Test
    void tmpfsOptionsSplitIntoFlagsAndData() {
        MountOptions o = MountOptions.tmpfs("/t", "size=1m,exec,mode=1777");
        assertThat(o.flags()).isEqualTo(MountOptions.MS_NOSUID | MountOptions.MS_NODEV);
        assertThat(o.data()).isEqualTo("size=1m,mode=1777");
        assertThat(MountOptions.tmpfs("/t", "ro").flags() & MountOptions.MS_RDONLY).isNotZero();
        assertThatThrownBy(() -> MountOptions.tmpfs("/t", "size")).hasMessageContaining("'size'");
    }
}
