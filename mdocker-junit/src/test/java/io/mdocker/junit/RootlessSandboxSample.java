package io.mdocker.junit;

import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.ExecResult;
import io.mdocker.RunningContainer;
import io.mdocker.Wait;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An {@code @MdockerTest} class as a user writes one, run by {@link RootlessJunitMain} in an
 * unprivileged user's JVM ({@link RootlessJunitTest}); its root filesystem is the system property
 * {@code rl.rootfs}. Not a test of its own (surefire does not pick up this name).
 */
@MdockerTest
class RootlessSandboxSample {
    static final Path ROOTFS = Path.of(System.getProperty("rl.rootfs", "/nonexistent"));

    @Sandbox
    static SandboxContainer shared = SandboxContainer.of(Container.builder().rootfs(ROOTFS)
            .command("sh", "-c", "echo ready; exec sleep 600").build()).waitingFor(Wait.forLogLine("^ready$"));

    @Sandbox
    Container mine = Container.builder().rootfs(ROOTFS).hostname("rlbox").command("sleep", "600").build();

    @Test
    void rootInsideIsThisUserOutside(@Sandbox("mine") RunningContainer c) {
        assertTrue(ContainerRuntime.rootless(), "the JVM runs rootless");
        ExecResult r = c.exec("sh", "-c", "hostname; id -u; wc -l < /proc/self/uid_map");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals("rlbox\n0\n2\n", r.stdout());
    }

    @Test
    void theSharedContainerRuns() {
        ExecResult r = shared.container().exec("sh", "-c", "echo $((6 * 7)) > /tmp/x && cat /tmp/x");
        assertEquals("42\n", r.stdout());
        assertEquals("ready\n", shared.logs());
    }
}
