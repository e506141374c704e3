package io.mdocker.internal.sys;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The effective uid read from /proc/self/status. */
class SelfIdsTest {

    @Test
    void isWhatTheKernelSaysOfThisProcess() {
        assertThat(SelfIds.euid()).isEqualTo(Posix.geteuid());
    }

    @Test
    void isTheSecondIdOfTheUidLine() {
        String status = "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nPid:\t42\nUid:\t1000\t0\t1000\t0\nGid:\t100\t100\t100\t100\n";
        assertThat(SelfIds.parseEuid(status)).isZero();
        assertThat(SelfIds.parseEuid("Uid:\t0\t65534\t0\t0")).isEqualTo(65534);
    }

    @Test
    void aStatusWithoutAUidLineIsRefusedInOneLine() {
        assertThatThrownBy(() -> SelfIds.parseEuid("Name:\tjava\nGid:\t0\t0\t0\t0\n"))
                .isInstanceOf(IllegalStateException.class).hasMessage("/proc/self/status has no Uid line");
        assertThatThrownBy(() -> SelfIds.parseEuid("Name:\tx\nUid:\t7\n"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("unexpected Uid line: Uid:\t7");
    }
}
