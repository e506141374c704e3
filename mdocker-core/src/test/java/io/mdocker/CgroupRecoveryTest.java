package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A JVM killed with SIGKILL cannot remove its containers' cgroups; the next runtime on the same
 * state roots does, killing whatever is still inside them first.
 */
@Tag("cgroup")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class CgroupRecoveryTest {

    @Test
    void theNextRuntimeKillsAndRemovesTheCgroupsADeadJvmLeft() throws Exception {
        ContainerRuntime.awaitCleanup(); // earlier tests' containers hold the default parent no more
        Path rootfs = Fixtures.rootfs();
        Path lib = Fixtures.STATE.resolve("cgroup-recovery/lib");
        Path run = Fixtures.STATE.resolve("cgroup-recovery/run");
        RecoveryChild.Launched child = RecoveryChild.launch(rootfs, lib, run, 1, "limits");
        String id = child.ids().get(0);
        child.killHard();

        List<Path> dirs = new ArrayList<>();
        Properties state = new Properties();
        try (Reader in = Files.newBufferedReader(run.resolve("containers").resolve(id).resolve("state"))) {
            state.load(in);
        }
        for (String k : state.stringPropertyNames()) {
            if (k.startsWith("cgroup.")) {
                dirs.add(Path.of(state.getProperty(k).substring(3)));
            }
        }
        assertThat(dirs).isNotEmpty().allSatisfy(d -> assertThat(d).isDirectory());
        if (Files.exists(dirs.get(0).resolve("memory.max"))) {
            assertThat(Files.readString(dirs.get(0).resolve("memory.max")).strip()).isEqualTo(Long.toString(64L << 20));
        }

        // A process that joined those cgroups from outside the container outlives the JVM.
        Process outsider = new ProcessBuilder("sleep", "120").start();
        try {
            for (Path d : dirs) {
                Files.writeString(d.resolve("cgroup.procs"), Long.toString(outsider.pid()));
            }
            ContainerRuntime next = ContainerRuntime.at(lib, run);
            assertThat(next.gc()).contains(id);
            assertThat(outsider.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(outsider.exitValue()).isEqualTo(137);
        } finally {
            outsider.destroyForcibly();
        }
        assertThat(dirs).allSatisfy(d -> assertThat(d).doesNotExist());
        assertThat(dirs).allSatisfy(d -> assertThat(d.getParent()).as("the empty default parent").doesNotExist());
        assertThat(Fixtures.list(run.resolve("containers"))).isEmpty();
        assertThat(Fixtures.list(lib.resolve("containers"))).isEmpty();
    }
}
