package io.mdocker.internal.security;

import io.mdocker.ContainerRuntime;
import io.mdocker.ExecResult;
import io.mdocker.SeccompProfile;
import io.mdocker.SeccompProfile.Action;
import io.mdocker.SeccompProfile.Rule;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compiled seccomp programs cached on disk under the state's lib root, with real containers: a
 * program read back from the cache is what the container gets, and a file that is tampered with,
 * writable by others or not owned by root, or a folder writable by others, is not used.
 *
 * <p>Profile A makes mkdir fail with EACCES, profile B with EPERM: a container started with A whose
 * cache entry holds B's program says "Operation not permitted" only if that entry was used.
 */
class SeccompCacheTest {
    private static final int EACCES = 13;
    private static final int EPERM = 1;
    private static final SeccompProfile A = SeccompProfile.builder("cache-test-a").defaultAction(Action.allow())
            .rule(Rule.of(Action.errno(EACCES), "mkdir", "mkdirat")).build();
    private static final SeccompProfile B = SeccompProfile.builder("cache-test-b").defaultAction(Action.allow())
            .rule(Rule.of(Action.errno(EPERM), "mkdir", "mkdirat")).build();
    private static final String A_SAYS = "Permission denied";
    private static final String B_SAYS = "Operation not permitted";

    private final Path state = Fixtures.TARGET.resolve("seccomp-cache-state");
    private final ContainerRuntime rt = ContainerRuntime.at(state.resolve("lib"), state.resolve("run"));
    private final Path dir = SeccompCache.dir(state.resolve("lib"));

    @BeforeEach
    void freshStateRoot() throws IOException {
        if (Files.exists(state)) {
            try (Stream<Path> s = Files.walk(state)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        SeccompCompiler.forgetInMemory();
    }

    @Test
    void theKeyWritesActionsAsTheirRecordsToStringDoes() {
        // The files already on disk are named by keys made with Action.toString().
        for (Action a : List.of(Action.allow(), Action.errno(EACCES), Action.killProcess(), Action.killThread())) {
            assertThat(SeccompCache.action(new StringBuilder(), a).toString()).isEqualTo(a.toString());
        }
    }

    @Test
    void aCachedProgramIsUsedAndAnUnsafeOrTamperedOneIsNot() throws Exception {
        // Compiled and stored: one root-owned file, in a folder only root may enter.
        assertThat(mkdirWith(A)).contains(A_SAYS);
        List<Path> entries = entries();
        assertThat(entries).hasSize(1);
        Path entry = entries.getFirst();
        String key = entry.getFileName().toString();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(entry))).isEqualTo("rw-------");
        assertThat(Files.getAttribute(entry, "unix:uid")).isEqualTo(0);
        byte[] programA = SeccompCache.read(state.resolve("lib"), key);
        byte[] programB = SeccompCompiler.compile(B, Set.of());
        assertThat(programA).isNotNull().isNotEqualTo(programB);

        // Read back by a JVM that has not compiled A: the file's program is the one installed.
        plant(key, programB);
        assertThat(mkdirWith(A)).as("the cached program is used").contains(B_SAYS);

        // Tampered: the program no longer matches its hash. Compiled again; the file is replaced.
        plant(key, programB);
        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length - 3] ^= 0x01;
        Files.write(entry, bytes);
        assertThat(mkdirWith(A)).as("tampered entry").contains(A_SAYS);
        assertThat(SeccompCache.read(state.resolve("lib"), key)).as("replaced by the compiled program").isEqualTo(programA);

        // Writable by others.
        plant(key, programB);
        Files.setPosixFilePermissions(entry, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertThat(mkdirWith(A)).as("world-writable entry").contains(A_SAYS);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(entry))).isEqualTo("rw-------");

        // Not owned by root.
        plant(key, programB);
        Files.setAttribute(entry, "unix:uid", 65534);
        assertThat(mkdirWith(A)).as("entry owned by nobody").contains(A_SAYS);
        assertThat(Files.getAttribute(entry, "unix:uid")).isEqualTo(0);

        // A folder writable by others: nothing in it is read, nothing is written to it.
        plant(key, programB);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        try {
            assertThat(mkdirWith(A)).as("world-writable folder").contains(A_SAYS);
            assertThat(Files.readAllBytes(entry)).as("left as it was").isEqualTo(entryBytes(programB));
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /** The output of {@code mkdir} in a new container with {@code profile}, compiled anew or read from the disk cache. */
    private String mkdirWith(SeccompProfile profile) {
        SeccompCompiler.forgetInMemory();
        ExecResult r = Fixtures.container().runtime(rt).seccomp(profile).run("/bin/sh", "-c", "mkdir /made-here 2>&1; true");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r.stdout();
    }

    /** Writes a valid entry (right hash, root-owned, 0600) holding {@code program} under {@code key}. */
    private void plant(String key, byte[] program) {
        SeccompCache.write(state.resolve("lib"), key, program);
        assertThat(SeccompCache.read(state.resolve("lib"), key)).isEqualTo(program);
    }

    private byte[] entryBytes(byte[] program) throws IOException {
        Path probe = Fixtures.TARGET.resolve("seccomp-cache-probe");
        if (Files.exists(probe)) {
            try (Stream<Path> s = Files.walk(probe)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        SeccompCache.write(probe, "x", program);
        return Files.readAllBytes(SeccompCache.dir(probe).resolve("x"));
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
        }
    }
}
