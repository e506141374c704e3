package io.mdocker.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code run --storage-opt size=SIZE} end to end, with real containers, and its refusals. */
class StorageOptTest {
    static final Path ROOTFS = MainTest.ROOTFS;
    static final Path STATE = Path.of("target").toAbsolutePath().resolve("cli-state");

    @TempDir
    Path tmp;

    @BeforeAll
    static void prerequisites() {
        MainTest.prerequisites();
    }

    private static int run(String... args) {
        return Cli.run(args);
    }

    @Test
    void theSizeBoundsTheWritableLayer() {
        // dd's own status: 1 when the write hits ENOSPC
        assertThat(run("--storage-opt", "size=16m", "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=24")).isEqualTo(1);
        assertThat(run("--storage-opt", "size=16m", "dd", "if=/dev/zero", "of=/big", "bs=1M", "count=8")).isZero();
        assertThat(run("--storage-opt", "size=16m", "sh", "-c", "df -k / | tail -n 1 | grep -q '^overlay  *16384 '")).isZero();
        assertThat(run("dd", "if=/dev/zero", "of=/big", "bs=1M", "count=24")).as("without the option").isZero();
    }

    @Test
    void badValuesAndOtherKeysAreRefusedInOneLineWithNothingMade() {
        String root = ROOTFS.toString();
        String state = tmp.resolve("state").toString();
        assertThat(MainTest.stderrOf(125, "run", "--rootfs", root, "--state-root", state, "--storage-opt", "size=0", "true"))
                .isEqualTo("mdocker: invalid --storage-opt size=0: invalid storage size 0 B (0 bytes): expected 1 MiB to 16 TiB\n");
        assertThat(MainTest.stderrOf(125, "run", "--rootfs", root, "--state-root", state, "--storage-opt", "size=-1m", "true"))
                .isEqualTo("mdocker: invalid --storage-opt size=-1m: invalid size '-1m': expected a number with an optional "
                        + "unit b, k, m or g, such as 64m\n");
        assertThat(MainTest.stderrOf(125, "run", "--rootfs", root, "--state-root", state, "--storage-opt", "size=20t", "true"))
                .isEqualTo("mdocker: invalid --storage-opt size=20t: invalid storage size 20 TiB (21990232555520 bytes): "
                        + "expected 1 MiB to 16 TiB\n");
        assertThat(MainTest.stderrOf(125, "run", "--rootfs", root, "--state-root", state, "--storage-opt", "dm.basesize=1g", "true"))
                .isEqualTo("mdocker: unsupported --storage-opt dm.basesize=1g: mdocker knows size=SIZE only\n");
        assertThat(tmp.resolve("state")).as("nothing created").doesNotExist();
    }
}
