package io.mdocker;

import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A cgroup parent the caller chooses ({@code --cgroup-parent /abs/x}): the directories of it
 * mdocker had to make go again with the container, when empty; one that existed stays.
 */
class CgroupParentTest {
    private static final Path CGROUPFS = Path.of("/sys/fs/cgroup");

    /** Every hierarchy (and the unified one, or a v2 root) that has {@code relative}. */
    private static List<Path> holding(String relative) throws IOException {
        List<Path> found = new ArrayList<>();
        if (Files.isDirectory(CGROUPFS.resolve(relative))) {
            found.add(CGROUPFS.resolve(relative));
        }
        try (var hierarchies = Files.list(CGROUPFS)) {
            for (Path h : hierarchies.toList()) {
                if (Files.isDirectory(h.resolve(relative))) {
                    found.add(h.resolve(relative));
                }
            }
        }
        return found;
    }

    @Test
    void theParentDirectoriesMdockerMadeGoWithTheContainerAndOneThatExistedStays() throws Exception {
        String top = "mdk-test-parent-" + ProcessHandle.current().pid();
        try {
            try (RunningContainer c = Fixtures.container().cgroupParent("/" + top + "/sub").start("/bin/sleep", "60")) {
                assertThat(holding(top + "/sub/" + c.id())).as("the container's cgroups below the chosen parent").isNotEmpty();
            }
            ContainerRuntime.awaitCleanup();
            assertThat(holding(top)).as("no empty directory of the parent left").isEmpty();

            // a parent level that exists (made here, in the memory hierarchy only) is never removed
            Path existing = Files.createDirectory(CGROUPFS.resolve("memory").resolve(top));
            try (RunningContainer c = Fixtures.container().cgroupParent("/" + top + "/sub").start("/bin/sleep", "60")) {
                assertThat(holding(top + "/sub/" + c.id())).hasSizeGreaterThan(1);
            }
            ContainerRuntime.awaitCleanup();
            assertThat(holding(top)).as("only the level that existed before").containsExactly(existing);
        } finally {
            for (Path p : holding(top + "/sub")) {
                Files.deleteIfExists(p);
            }
            for (Path p : holding(top)) {
                Files.deleteIfExists(p);
            }
        }
    }
}
