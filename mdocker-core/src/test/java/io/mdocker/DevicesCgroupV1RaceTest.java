package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.internal.security.DeviceRules;
import io.mdocker.internal.security.DevicesCgroupV1;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Containers with rules of their own share the v1 parent {@value DevicesCgroupV1#CUSTOM_PARENT},
 * which the last child's close removes: on this host's hybrid layout (a v1 devices hierarchy,
 * required under CI=true), four threads make and close such cgroups at once, so that one makes the
 * parent while another's close removes it, and every make must succeed with its rules in place.
 */
class DevicesCgroupV1RaceTest {
    @Test
    @DisplayName("custom-rules cgroups made and closed by four threads at once: every one made, with its rule, nothing left")
    void parentRemovedWhileAnotherIsMade() throws Exception {
        Fixtures.prerequisite(DevicesCgroupV1.mountPoint().isPresent(), "a v1 devices cgroup hierarchy (the code under test serves v1 hosts)");
        Path mount = DevicesCgroupV1.mountPoint().orElseThrow();
        DeviceRules rules = DeviceRules.of(List.of(DeviceRules.Rule.parse(true, "c 10:200 rwm")));
        String prefix = "race" + ProcessHandle.current().pid() + "-";
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    int made = 0;
                    for (int i = 0; i < 300; i++) {
                        DevicesCgroupV1 cg = DevicesCgroupV1.create(prefix + thread + "-" + i, rules).orElseThrow();
                        try {
                            assertThat(Files.readAllLines(cg.path().resolve("devices.list"))).contains("c 10:200 rwm");
                            made++;
                        } finally {
                            cg.close();
                        }
                    }
                    return made;
                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get()).isEqualTo(300);
            }
        } finally {
            pool.shutdownNow();
        }
        try (var left = Files.list(mount.resolve(DevicesCgroupV1.CUSTOM_PARENT))) {
            assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix))).isEmpty();
        } catch (java.nio.file.NoSuchFileException e) {
            // removed with its last child: nothing left
        }
    }
}
