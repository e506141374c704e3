package io.mdocker.internal.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.bindings.posix_spawn_file_actions_t;
import io.mdocker.bindings.posix_spawnattr_t;
import io.mdocker.bindings.sigset_t;
import org.junit.jupiter.api.Test;

/** Spawner allocates posix_spawn_file_actions_t, posix_spawnattr_t and sigset_t by sizes and alignments written by hand: they must be jextract's. */
class SpawnerLayoutTest {

    @Test
    void fileActionsSizeAndAlignmentAreTheGeneratedLayouts() {
        assertThat(Spawner.FILE_ACTIONS_BYTES).isEqualTo(posix_spawn_file_actions_t.layout().byteSize());
        assertThat(Spawner.FILE_ACTIONS_ALIGNMENT).isEqualTo(posix_spawn_file_actions_t.layout().byteAlignment());
    }

    @Test
    void attributesAndSignalSetSizesAndAlignmentsAreTheGeneratedLayouts() {
        assertThat(Spawner.ATTR_BYTES).isEqualTo(posix_spawnattr_t.layout().byteSize());
        assertThat(Spawner.ATTR_ALIGNMENT).isEqualTo(posix_spawnattr_t.layout().byteAlignment());
        assertThat(Spawner.SIGSET_BYTES).isEqualTo(sigset_t.layout().byteSize());
        assertThat(Spawner.SIGSET_ALIGNMENT).isEqualTo(sigset_t.layout().byteAlignment());
    }
}
