package io.mdocker.bench;

import io.mdocker.BusyboxRootfs;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The benchmark's floor under the warm pool: exec-floor starts the rootfs's /bin/true and times it. */
class ExecFloorTest {
    /** target/classes, whose sibling the build puts exec-floor beside, as it puts it beside the jar. */
    private static Path classes() throws Exception {
        return Path.of(ExecFloor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void eachRoundIsOneStartTimedToItsExecAndToItsExit() throws Exception {
        Fixtures.prerequisite(BusyboxRootfs.findStaticBusybox().isPresent(), "the exec floor needs busybox-static");
        // busybox runs its applet "true": the floor execs with argv[0] "true", as the rootfs's /bin/true link does
        try (ExecFloor floor = ExecFloor.start(classes(), BusyboxRootfs.findStaticBusybox().orElseThrow())) {
            List<Variant> rows = floor.variants();
            assertThat(rows).extracting(Variant::name).containsExactly(ExecFloor.EXEC, ExecFloor.EXIT);
            for (int i = 0; i < 3; i++) {
                long exec = rows.get(0).timed().runNanos();
                long exit = rows.get(1).timed().runNanos();
                assertThat(exec).isPositive().isLessThan(1_000_000_000L);
                assertThat(exit).isPositive().isLessThan(1_000_000_000L);
            }
        }
    }

    @Test
    void aCommandThatFailsEndsTheRunWithItsStatus() throws Exception {
        try (ExecFloor floor = ExecFloor.start(classes(), Path.of("/nonexistent/true"))) {
            assertThatThrownBy(() -> floor.variants().get(0).timed().runNanos())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("exec-floor ended (exit status 1)");
        }
    }
}
