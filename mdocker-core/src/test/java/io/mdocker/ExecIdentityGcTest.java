package io.mdocker;

import io.mdocker.testing.Fixtures;

import io.mdocker.internal.fs.ContainerDirs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * gc removes the exec identity files ({@code <run root>/exec-identities/<sha256>}) that no record
 * names and nobody used lately, and keeps the one a live container of another JVM names, which
 * exec from this JVM then reads.
 */
class ExecIdentityGcTest {
    private static final Path LIB = Fixtures.TARGET.resolve("identity-gc/lib");
    private static final Path RUN = Fixtures.TARGET.resolve("identity-gc/run");
    private static final Path IDENTITIES = RUN.resolve("exec-identities");

    @Test
    void anIdentityFileNoRecordNamesGoesAndOneALiveContainerNamesStays() throws Exception {
        Path rootfs = Fixtures.rootfs();
        ContainerDirs.deleteTree(LIB.getParent());
        ContainerRuntime rt = ContainerRuntime.at(LIB, RUN);

        // Another JVM's container, with the default security settings: its record names their file.
        RecoveryChild.Launched child = RecoveryChild.launch(rootfs, LIB, RUN, 1);
        String childId = child.ids().getFirst();
        Path named;
        try {
            named = onlyNewFile(List.of());
            // Containers of this JVM with other settings, gone again: no record names their files.
            assertThat(Container.builder().rootfs(rootfs).runtime(rt).capDrop("ALL").run("/bin/true").exitCode()).isZero();
            ContainerRuntime.awaitCleanup();
            Path unnamed = onlyNewFile(List.of(named));
            assertThat(Container.builder().rootfs(rootfs).runtime(rt).ulimit("nofile=100:100").run("/bin/true").exitCode())
                    .isZero();
            ContainerRuntime.awaitCleanup();
            Path recent = onlyNewFile(List.of(named, unnamed));
            assertThat(RUN.resolve("containers")).isDirectoryContaining(p -> p.getFileName().toString().equals(childId));

            // Last used an hour ago (beyond the grace period), but for the most recent one.
            FileTime hourAgo = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
            Files.setLastModifiedTime(named, hourAgo);
            Files.setLastModifiedTime(unnamed, hourAgo);
            assertThat(rt.gc()).isEmpty();
            assertThat(unnamed).as("named by no record, unused for an hour").doesNotExist();
            assertThat(named).as("named by a live container's record").exists();
            assertThat(recent).as("named by no record, used within the grace period").exists();
            assertThat(IDENTITIES).isDirectoryNotContaining(p -> p.getFileName().toString().contains(".gc-"));

            // exec from this JVM reads the live container's identity from its file
            ExecResult r = rt.exec(childId, Exec.builder("/bin/sh", "-c", "echo in $(hostname)").build());
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).isEqualTo("in " + childId.substring(0, 12) + "\n");

            // The pruned settings used again: their file is written again, and exec reads it.
            try (RunningContainer c = Container.builder().rootfs(rootfs).runtime(rt).capDrop("ALL").start("/bin/sleep", "60")) {
                assertThat(unnamed).exists();
                assertThat(rt.exec(c.id(), Exec.builder("/bin/true").build()).exitCode()).isZero();
            }
        } finally {
            child.killHard();
        }

        // Its JVM gone, the container's record goes with the next gc, and then its identity file.
        for (Path f : Fixtures.list(IDENTITIES)) {
            Files.setLastModifiedTime(f, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        }
        assertThat(rt.gc()).containsExactly(childId);
        assertThat(Fixtures.list(IDENTITIES)).as("no record left, all unused for an hour").isEmpty();
        assertThat(named).doesNotExist();
        assertThat(Fixtures.list(RUN.resolve("containers"))).isEmpty();
        ContainerDirs.deleteTree(LIB.getParent());
    }

    /** The one identity file that is not among {@code known}. */
    private static Path onlyNewFile(List<Path> known) {
        List<Path> now = new ArrayList<>(Fixtures.list(IDENTITIES));
        now.removeAll(known);
        now.removeIf(p -> p.getFileName().toString().startsWith("memo-")); // the memo of its name, beside it
        assertThat(now).as("identity files besides " + known).hasSize(1);
        assertThat(now.getFirst().getFileName().toString()).matches("[0-9a-f]{64}");
        return now.getFirst();
    }
}
