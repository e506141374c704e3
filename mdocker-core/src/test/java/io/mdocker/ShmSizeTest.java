package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The size of {@code /dev/shm} (Docker's {@code --shm-size}): 64 MiB by default; {@code shmSize}
 * or a tmpfs on /dev/shm replaces the built-in mount (one mount, not two stacked), keeping
 * nosuid, nodev and noexec; the two together, and a size below 4 KiB, are one-line errors before
 * anything is made.
 */
class ShmSizeTest {
    /** The size of /dev/shm in KiB (busybox df), then its mount lines in the container's mount table. */
    private static final String SHOW = "df -k /dev/shm | awk 'NR == 2 { print $2 }'; grep ' /dev/shm ' /proc/self/mounts";

    @Test
    void theDefaultIs64MiB() {
        ExecResult r = Fixtures.container().run("/bin/sh", "-c", SHOW);
        assertThat(r.stdout().lines().toList()).as(r.stderr()).hasSize(2).first().isEqualTo("65536");
    }

    @Test
    void shmSizeReplacesTheBuiltInMount() {
        ExecResult r = Fixtures.container().shmSize(DataSize.ofMiB(256)).run("/bin/sh", "-c", SHOW
                + "; stat -c %a /dev/shm; dd if=/dev/zero of=/dev/shm/f bs=1M count=100 2>/dev/null && echo wrote 100M");
        var lines = r.stdout().lines().toList();
        assertThat(lines).as(r.stderr()).hasSize(4);
        assertThat(lines.get(0)).isEqualTo("262144");
        assertThat(lines.get(1)).startsWith("tmpfs /dev/shm tmpfs ").contains("nosuid").contains("nodev").contains("noexec")
                .contains("size=262144k");
        assertThat(lines.get(2)).isEqualTo("1777");
        assertThat(lines.get(3)).isEqualTo("wrote 100M"); // more than the default's 64 MiB
        assertThat(Fixtures.container().shmSize(DataSize.ofMiB(256)).build().shmSize()).contains(DataSize.ofMiB(256));
    }

    @Test
    void aTmpfsOnDevShmReplacesItToo() {
        ExecResult r = Fixtures.container().tmpfs("/dev/shm/", "size=32m").run("/bin/sh", "-c", SHOW);
        var lines = r.stdout().lines().toList();
        assertThat(lines).as(r.stderr()).hasSize(2);
        assertThat(lines.get(0)).isEqualTo("32768");
        assertThat(lines.get(1)).contains("noexec");
    }

    @Test
    void badInputIsOneLine() {
        assertThatThrownBy(() -> Fixtures.container().shmSize(DataSize.ofBytes(1024)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid shm size " + DataSize.ofBytes(1024) + " (1024 bytes): expected at least 4k");
        assertThatThrownBy(() -> Fixtures.container().shmSize(DataSize.ofMiB(8)).tmpfs("/dev/shm", "size=1m").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("shm size " + DataSize.ofMiB(8) + " and a tmpfs on /dev/shm: expected one of them (both set /dev/shm)");
    }
}
