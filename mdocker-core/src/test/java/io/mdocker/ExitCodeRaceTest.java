package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Signals sent while a container ends must not cost its exit code. The monitor exits once pid 1
 * has gone, leaving later SIGNAL messages unread; the kernel then fails the JVM's next read of the
 * sync socket once with ECONNRESET, ahead of the EXIT message still queued. Found by the soak
 * (kill and close from two threads at once reported exit code 0 about once in 200).
 */
class ExitCodeRaceTest {

    @Test
    void signalsQueuedBehindTheFirstDoNotHideTheExitCode() {
        for (int i = 0; i < 20; i++) {
            try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
                for (int k = 0; k < 50; k++) {
                    c.kill(Signal.TERM); // the first ends sleep and so the container; the rest stay unread
                }
                assertThat(c.waitFor()).as("exit code after SIGTERM, round " + i).isEqualTo(143);
            }
        }
    }
}
