package io.mdocker.bindings;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import org.junit.jupiter.api.Test;

/**
 * {@link AbiProbe} for the libc/Linux bindings ({@link Linux}, {@code jextract/mdocker.h},
 * {@code jextract/includes.txt}), and errno tests that provoke EBADF and ESRCH through them.
 */
class AbiProbeTest extends AbiProbe {

    AbiProbeTest() {
        super(Linux.class, "mdocker.h", "includes.txt");
    }

    @Test
    void closeOfAnInvalidDescriptorSetsEbadf() throws Throwable {
        MethodHandle close = capturingErrno(Linux.close$address(), Linux.close$descriptor());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            int rc = (int) close.invokeExact(state, -1);
            assertThat(rc).isEqualTo(-1);
            assertThat(errno(state)).as("errno after close(-1): %s", errnoName(errno(state)))
                    .isEqualTo(Linux.EBADF());
        }
    }

    @Test
    void pidfdOpenOfAMissingPidSetsEsrch() throws Throwable {
        MethodHandle pidfdOpen = capturingErrno(Linux.pidfd_open$address(), Linux.pidfd_open$descriptor());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            // above PID_MAX_LIMIT (2^22), so no process can have it
            int fd = (int) pidfdOpen.invokeExact(state, Integer.MAX_VALUE, 0);
            assertThat(fd).isEqualTo(-1);
            assertThat(errno(state))
                    .as("errno after pidfd_open(%d): %s (ENOSYS means a kernel before 5.3 or a seccomp filter "
                            + "hiding pidfd_open; the runtime needs it)", Integer.MAX_VALUE, errnoName(errno(state)))
                    .isEqualTo(Linux.ESRCH());
        }
    }

    /**
     * bind's address is the transparent union __CONST_SOCKADDR_ARG, passed by value: the union
     * holding the sockaddr's address reaches the kernel as that pointer (a netlink socket binds),
     * whereas the sockaddr itself passed as the union would be read as a pointer (EFAULT).
     */
    @Test
    void bindTakesTheSockaddrThroughTheTransparentUnion() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment address = sockaddr_nl.allocate(arena);
            sockaddr_nl.nl_family(address, (short) Linux.AF_NETLINK());
            MemorySegment arg = __CONST_SOCKADDR_ARG.allocate(arena);
            __CONST_SOCKADDR_ARG.__sockaddr__(arg, address);
            int fd = Linux.socket(Linux.AF_NETLINK(), Linux.SOCK_RAW() | Linux.SOCK_CLOEXEC(), 0);
            assertThat(fd).as("socket(AF_NETLINK)").isGreaterThanOrEqualTo(0);
            try {
                assertThat(Linux.bind(fd, arg, (int) sockaddr_nl.sizeof())).as("bind(netlink, union)").isZero();
            } finally {
                Linux.close(fd);
            }
        }
    }

    @Test
    void errnoNamesAndTextsComeFromLibc() {
        assertThat(errnoName(Linux.EBADF())).isEqualTo("EBADF");
        assertThat(Linux.strerrordesc_np(Linux.ENOENT()).getString(0))
                .isEqualTo("No such file or directory");
    }


    @SuppressWarnings("restricted") // the test runs with --enable-native-access (surefire argLine)
    private static MethodHandle capturingErrno(MemorySegment address, FunctionDescriptor descriptor) {
        return Linker.nativeLinker().downcallHandle(address, descriptor, Linker.Option.captureCallState("errno"));
    }

    private static final VarHandle ERRNO = Linker.Option.captureStateLayout()
            .varHandle(PathElement.groupElement("errno"));

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static String errnoName(int errno) {
        MemorySegment name = Linux.strerrorname_np(errno);
        return name.equals(MemorySegment.NULL) ? "errno " + errno : name.getString(0);
    }

}
