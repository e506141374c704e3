package io.mdocker.examples;

import io.mdocker.Wait;
import io.mdocker.junit.MdockerTest;
import io.mdocker.junit.Sandbox;
import io.mdocker.junit.SandboxContainer;
import org.junit.jupiter.api.RepeatedTest;

/**
 * The test class {@link JUnitTiming} times: 20 tests, each with a sandbox of its own (started
 * before it, ready once it has printed its answer, closed after it). Run with JUnit's parallel
 * execution on, the 20 sandboxes start side by side.
 */
@MdockerTest
public class ParallelSandboxes {
    /** How many tests (and sandboxes) the class has. */
    public static final int SANDBOXES = 20;

    @Sandbox
    SandboxContainer box = SandboxContainer.of(ExampleSetup.container()
            .command("/bin/sh", "-c", "echo $((6 * 7)); exec sleep 600").build())
            .waitingFor(Wait.forLogLine("^42$"));

    @RepeatedTest(SANDBOXES)
    void answers() {
        if (!box.logs().equals("42\n") || !box.container().isRunning()) {
            throw new AssertionError("unexpected sandbox state: " + box.logs());
        }
    }
}
