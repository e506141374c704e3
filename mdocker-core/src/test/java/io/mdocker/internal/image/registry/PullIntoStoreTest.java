package io.mdocker.internal.image.registry;

import io.mdocker.Container;
import io.mdocker.ExecResult;
import io.mdocker.Image;
import io.mdocker.ImageStore;
import io.mdocker.PullPolicy;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A pull from Debian's registry on 127.0.0.1 into the image store, end to end: the pull policy
 * of {@code Container.Builder.image}, a container run from the pulled layers, {@link ImageStore#pull}
 * finding every blob present the second time, a stored image running with the registry gone,
 * and a failed pull (a tag the registry lacks) leaving no image behind.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PullIntoStoreTest {
    static final Path DIR = Fixtures.TARGET.resolve("pull-into-store");
    static TestRegistry registry;
    static String ref;

    @BeforeAll
    static void registryWithAnImage() throws Exception {
        registry = TestRegistry.startWithImage(DIR, "test/pulled:v1", 77, 64 << 10);
        ref = registry.host() + "/test/pulled:v1";
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (registry != null) {
            registry.close();
        }
        ImageStore store = ImageStore.of(Fixtures.RUNTIME);
        store.inspect(ref).ifPresent(i -> store.remove(ref, true));
    }

    private static Container.Builder fromRegistry() {
        return Container.builder().image(ref).runtime(Fixtures.RUNTIME);
    }

    @Test
    void anImageIsPulledOnFirstUseRunsAndThenRunsWithoutItsRegistry() throws Exception {
        ImageStore store = ImageStore.of(Fixtures.RUNTIME);
        store.inspect(ref).ifPresent(i -> store.remove(ref, true));
        assertThatThrownBy(() -> fromRegistry().pullPolicy(PullPolicy.NEVER).build())
                .hasMessageContaining("image " + ref).hasMessageContaining("the pull policy is never");
        assertThat(store.inspect(ref)).as("nothing pulled under the policy never").isEmpty();

        ExecResult r = fromRegistry().run("/bin/sh", "-c", "cat /etc/image-seed; wc -c < /data0/random-0.bin");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("v1 amd64 77\n" + (64 << 10) + "\n");
        Image pulled = store.inspect(ref).orElseThrow();
        assertThat(pulled.names()).contains(ref);

        // a second pull finds every blob present and records the same image
        assertThat(store.pull(ref).id()).isEqualTo(pulled.id());

        registry.close();
        registry = null;
        assertThat(fromRegistry().run("/bin/cat", "/etc/image-seed").stdout()).as("run from the store, registry gone")
                .isEqualTo("v1 amd64 77\n");
        assertThatThrownBy(() -> fromRegistry().pullPolicy(PullPolicy.ALWAYS).build())
                .as("the policy always needs the registry").hasMessageContaining(ref.substring(0, ref.indexOf('/')));
    }

    @Test
    void aTagTheRegistryLacksIsAOneLineErrorAndNoImage() {
        String missing = ref.replace(":v1", ":nope");
        assertThatThrownBy(() -> ImageStore.of(Fixtures.RUNTIME).pull(missing))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").contains("test/pulled"));
        assertThat(ImageStore.of(Fixtures.RUNTIME).inspect(missing)).isEmpty();
    }
}
