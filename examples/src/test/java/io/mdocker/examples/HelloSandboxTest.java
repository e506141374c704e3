package io.mdocker.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.ExecResult;
import io.mdocker.Wait;
import io.mdocker.junit.MdockerTest;
import io.mdocker.junit.Sandbox;
import io.mdocker.junit.SandboxContainer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/*
 * The README's JUnit quick start, run as it stands (on the default state roots, as a user's test
 * runs): the lines between the markers below are the README's code block without its imports, and
 * ReadmeSnippetsTest fails when the two differ. Change both together.
 */
// README snippet begin
@MdockerTest
class HelloSandboxTest {
    static final Path ROOTFS = Path.of("target/rootfs");

    @BeforeAll
    static void rootfs() {
        BusyboxRootfs.ensure(ROOTFS);           // a busybox root filesystem, from busybox-static
    }

    @Sandbox                                    // a new container for each test, removed after it
    SandboxContainer box = SandboxContainer.of(Container.builder()
                    .rootfs(ROOTFS)
                    .hostname("box")
                    .command("sh", "-c", "echo ready; exec sleep 600")
                    .build())
            .waitingFor(Wait.forLogLine("^ready$"));

    @Test
    void runsCommandsInTheSandbox() {
        ExecResult r = box.container().exec("sh", "-c", "hostname; id -u");
        assertEquals(0, r.exitCode());
        assertEquals("box\n0\n", r.stdout());
    }
}
// README snippet end
