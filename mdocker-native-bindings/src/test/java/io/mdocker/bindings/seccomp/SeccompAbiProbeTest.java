package io.mdocker.bindings.seccomp;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.bindings.AbiProbe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * {@link AbiProbe} for the libseccomp bindings ({@link Seccomp}, {@code jextract/mdocker-seccomp.h},
 * {@code jextract/seccomp-includes.txt}; the headers come from libseccomp-dev), and a few calls
 * into the library loaded at run time (libseccomp2).
 */
class SeccompAbiProbeTest extends AbiProbe {

    SeccompAbiProbeTest() {
        super(Seccomp.class, "mdocker-seccomp.h", "seccomp-includes.txt");
    }

    @Test
    void theLoadedLibraryIsLibseccomp2() {
        MemorySegment v = scmp_version.reinterpret(Seccomp.seccomp_version(), Arena.global(), null);
        assertThat(scmp_version.major(v)).as("libseccomp major version").isEqualTo(2);
        assertThat(scmp_version.minor(v)).as("libseccomp minor version (2.5 has SCMP_FLTATR_CTL_OPTIMIZE)")
                .isGreaterThanOrEqualTo(5);
        assertThat(Seccomp.seccomp_arch_native()).isEqualTo(Seccomp.SCMP_ARCH_X86_64());
    }

    @Test
    void syscallNamesResolveToTheKernelsNumbers() {
        try (Arena arena = Arena.ofConfined()) {
            // x86_64 numbers from <asm/unistd_64.h>
            assertThat(Seccomp.seccomp_syscall_resolve_name(arena.allocateFrom("read"))).isEqualTo(0);
            assertThat(Seccomp.seccomp_syscall_resolve_name(arena.allocateFrom("mount"))).isEqualTo(165);
            assertThat(Seccomp.seccomp_syscall_resolve_name(arena.allocateFrom("no_such_syscall")))
                    .isEqualTo(Seccomp.__NR_SCMP_ERROR());
        }
    }
}
