package io.mdocker.internal.process;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The mdocker-init executable, copied once per JVM from the jar into a sealed memfd and run from
 * {@code /proc/self/fd/N} (see {@link Spawner}). Sealed against writes, growth and shrinking, it cannot be rewritten
 * by anything, not even through {@code /proc/<pid>/exe} of a running container (the
 * CVE-2019-5736 shape). The descriptor is close-on-exec and lives as long as the JVM.
 */
final class InitBinary {
    private InitBinary() {}

    static final String RESOURCE = "mdocker-init";

    private static final class Holder {
        static final int FD = load();
    }

    /**
     * The sealed memfd holding the executable. The spawned child must still have it open when it
     * calls execve on {@code /proc/self/fd/N}.
     */
    static int fd() {
        return Holder.FD;
    }

    private static int load() {
        byte[] bytes;
        try (InputStream in = InitBinary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("mdocker-init is missing from the classpath next to "
                        + InitBinary.class.getName() + ": the build compiles it from src/main/c");
            }
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("reading mdocker-init from the jar", e);
        }
        int fd = Posix.memfdCreate(RESOURCE, Linux.MFD_CLOEXEC() | Linux.MFD_ALLOW_SEALING());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(bytes.length);
            MemorySegment.copy(bytes, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, bytes.length);
            Posix.writeFully(fd, buf, "memfd mdocker-init");
            Posix.fcntl(fd, Linux.F_ADD_SEALS(),
                    Linux.F_SEAL_SEAL() | Linux.F_SEAL_SHRINK() | Linux.F_SEAL_GROW() | Linux.F_SEAL_WRITE(),
                    "memfd mdocker-init");
        } catch (RuntimeException e) {
            Posix.closeQuietly(fd);
            throw e;
        }
        return fd;
    }
}
