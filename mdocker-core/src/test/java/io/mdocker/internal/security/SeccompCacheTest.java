package io.mdocker.internal.security;

import io.mdocker.Capability;
import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.ExecResult;
import io.mdocker.SeccompProfile;
import io.mdocker.SeccompProfile.Action;
import io.mdocker.SeccompProfile.Rule;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The compiled seccomp programs cached on disk under the state's lib root, with real containers: a
 * program read back from the cache is what the container gets, and a file that is tampered with,
 * writable by others or not owned by root, or a folder writable by others, is not used.
 *
 * <p>Profile A makes mkdir fail with EACCES, profile B with EPERM: a container started with A whose
 * cache entry holds B's program says "Operation not permitted" only if that entry was used.
 * Docker's default profile allows mkdir: a container started with it says B's message only if
 * the entry planted under the default profile's key was used.
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

    /** A state root per test: a container's teardown may still be removing its directories when the next test starts. */
    private final Path state;
    private final ContainerRuntime rt;
    private final Path dir;

    SeccompCacheTest(TestInfo test) {
        state = Fixtures.TARGET.resolve("seccomp-cache-state").resolve(test.getTestMethod().orElseThrow().getName());
        rt = ContainerRuntime.at(state.resolve("lib"), state.resolve("run"));
        dir = SeccompCache.dir(state.resolve("lib"));
    }

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

        // Tampered: the program no longer matches its checksum. Compiled again; the file is replaced.
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

    @Test
    void theDefaultProfilesKeyHoldsTheDigestOfTheProfileAsBuilt() throws Exception {
        if (!SeccompCompiler.nativeArch().equals(SeccompCache.DOCKER_DEFAULT_ARCH)) {
            // The profile's architectures differ here: its digest is not known, every key is a digest's.
            assertThat(SeccompCache.dockerDefaultKey(0)).isEmpty();
            return;
        }
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(describe(SeccompProfile.dockerDefault()).getBytes(StandardCharsets.UTF_8)));
        assertThat(SeccompCache.DOCKER_DEFAULT_DIGEST)
                .as("Docker's default profile has changed: set SeccompCache.DOCKER_DEFAULT_DIGEST to %s", digest)
                .isEqualTo(digest);
        // Every component counts: one condition more is another digest.
        SeccompProfile changed = SeccompProfile.dockerDefault().toBuilder()
                .rule(Rule.of(Action.allow(), "vhangup").sinceKernel("6.1")).build();
        assertThat(describe(changed)).isNotEqualTo(describe(SeccompProfile.dockerDefault()));
        String key = SeccompCache.dockerDefaultKey(0xabcL).orElseThrow();
        assertThat(key).startsWith("docker-default,v1," + digest + ",amd64,abc,").doesNotContain("/").hasSizeLessThanOrEqualTo(255);
        assertThat(SeccompCache.dockerDefaultKey(0xabdL).orElseThrow()).isNotEqualTo(key);
        assertThat(SeccompCache.escape(new StringBuilder(), "6.1.0-28/a,b c").toString()).isEqualTo("6.1.0-28%002fa%002cb%0020c");
    }

    @Test
    void theDefaultProfilesProgramIsReadByItsOwnKeyPerCapabilitySetAndOnlyForTheBuiltInProfile() throws Exception {
        long defaultCaps = SecurityPlan.mask(Capability.dockerDefaults());
        String key = SeccompCache.dockerDefaultKey(defaultCaps).orElseThrow(); // amd64, as the machines this runs on
        byte[] compiled = SeccompCompiler.compile(SeccompProfile.dockerDefault(), Capability.dockerDefaults());

        // Compiled and stored under the default's own key: no digest-named file.
        assertThat(mkdirWith(null)).isEmpty();
        assertThat(entries()).extracting(p -> p.getFileName().toString()).containsExactly(key);
        assertThat(SeccompCache.read(state.resolve("lib"), key)).isEqualTo(compiled);

        // Read back by a JVM that has not compiled it, for the default and for the built-in profile given.
        plant(key, SeccompCompiler.compile(B, Set.of()));
        assertThat(mkdirWith(null)).as("the default's file is used").contains(B_SAYS);
        assertThat(mkdirWith(SeccompProfile.dockerDefault())).as("the built-in profile given").contains(B_SAYS);

        // Another capability set: another file.
        Container.Builder dropped = Fixtures.container().runtime(rt).capDrop(Capability.NET_RAW);
        assertThat(mkdir(dropped)).as("without NET_RAW").isEmpty();
        String droppedKey = SeccompCache.dockerDefaultKey(defaultCaps & ~(1L << Capability.NET_RAW.number())).orElseThrow();
        assertThat(droppedKey).isNotEqualTo(key);
        assertThat(entries()).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrder(key, droppedKey);

        // An equal profile that is not the built-in instance (it may have been changed): the digest's key.
        assertThat(mkdirWith(SeccompProfile.dockerDefault().toBuilder().build())).as("a copy of the profile").isEmpty();
        assertThat(entries()).hasSize(3);

        // Tampered or missing: compiled again, and the file replaced.
        Path entry = dir.resolve(key);
        byte[] bytes = Files.readAllBytes(entry);
        bytes[bytes.length - 3] ^= 0x01;
        Files.write(entry, bytes);
        assertThat(mkdirWith(null)).as("tampered entry").isEmpty();
        assertThat(SeccompCache.read(state.resolve("lib"), key)).isEqualTo(compiled);
        Files.delete(entry);
        assertThat(mkdirWith(null)).as("missing entry").isEmpty();
        assertThat(SeccompCache.read(state.resolve("lib"), key)).isEqualTo(compiled);
    }

    /**
     * {@code o} written out with every component of every record in it, sets in sorted order: a
     * component added to a rule later is written out too.
     */
    private static String describe(Object o) throws ReflectiveOperationException {
        if (o instanceof Record r) {
            StringBuilder b = new StringBuilder(r.getClass().getSimpleName()).append('{');
            for (RecordComponent c : r.getClass().getRecordComponents()) {
                b.append(c.getName()).append('=').append(describe(c.getAccessor().invoke(r))).append(';');
            }
            return b.append('}').toString();
        }
        if (o instanceof Collection<?> c) {
            List<String> items = new java.util.ArrayList<>();
            for (Object item : c) {
                items.add(describe(item));
            }
            if (o instanceof Set<?>) {
                items.sort(Comparator.naturalOrder());
            }
            return items.stream().collect(Collectors.joining(",", "[", "]"));
        }
        return String.valueOf(o);
    }

    /** The output of {@code mkdir} in a new container with {@code profile}, compiled anew or read from the disk cache. */
    private String mkdirWith(SeccompProfile profile) {
        Container.Builder b = Fixtures.container().runtime(rt);
        return mkdir(profile == null ? b : b.seccomp(profile)); // null: the default, not set
    }

    private String mkdir(Container.Builder container) {
        SeccompCompiler.forgetInMemory();
        ExecResult r = container.run("/bin/sh", "-c", "mkdir /made-here 2>&1; true");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return r.stdout();
    }

    /** Writes a valid entry (right checksum, root-owned, 0600) holding {@code program} under {@code key}. */
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
