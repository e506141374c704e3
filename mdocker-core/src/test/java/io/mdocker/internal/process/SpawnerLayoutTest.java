package io.mdocker.internal.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.bindings.posix_spawn_file_actions_t;
import org.junit.jupiter.api.Test;

/** Spawner allocates posix_spawn_file_actions_t by its size and alignment, written by hand: they must be jextract's. */
class SpawnerLayoutTest {

    @Test
    void fileActionsSizeAndAlignmentAreTheGeneratedLayouts() {
        assertThat(Spawner.FILE_ACTIONS_BYTES).isEqualTo(posix_spawn_file_actions_t.layout().byteSize());
        assertThat(Spawner.FILE_ACTIONS_ALIGNMENT).isEqualTo(posix_spawn_file_actions_t.layout().byteAlignment());
    }
}
