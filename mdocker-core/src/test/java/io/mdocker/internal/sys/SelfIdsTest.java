package io.mdocker.internal.sys;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The effective ids read from /proc/self/status. */
class SelfIdsTest {

    @Test
    void areWhatTheKernelSaysOfThisProcess() throws Exception {
        assertThat(SelfIds.euid()).isEqualTo(Posix.geteuid());
        // A new file's owner is its creator's effective uid and, in a directory without the setgid bit, gid.
        Path dir = Files.createTempDirectory("selfids");
        try {
            Path file = Files.createFile(dir.resolve("f"));
            assertThat(Files.getAttribute(file, "unix:uid")).isEqualTo(SelfIds.euid());
            assertThat(Files.getAttribute(file, "unix:gid")).isEqualTo(SelfIds.egid());
            Files.delete(file);
        } finally {
            Files.delete(dir);
        }
    }

    @Test
    void areTheSecondIdsOfTheUidAndGidLines() {
        String status = "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t42\nUid:\t1000\t0\t1000\t0\nGid:\t100\t7\t100\t100\n";
        assertThat(SelfIds.effective(status, "Uid:")).isZero();
        assertThat(SelfIds.effective(status, "Gid:")).isEqualTo(7);
        assertThat(SelfIds.effective("Uid:\t0\t65534\t0\t0", "Uid:")).isEqualTo(65534);
    }

    @Test
    void aStatusWithoutTheLineIsRefusedInOneLine() {
        assertThatThrownBy(() -> SelfIds.effective("Name:\tjava\nGid:\t0\t0\t0\t0\n", "Uid:"))
                .isInstanceOf(IllegalStateException.class).hasMessage("/proc/self/status has no Uid line");
        assertThatThrownBy(() -> SelfIds.effective("Name:\tx\nUid:\t7\n", "Uid:"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unexpected Uid line: Uid:\t7");
    }
}
