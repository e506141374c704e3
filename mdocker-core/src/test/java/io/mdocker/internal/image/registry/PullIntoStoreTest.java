package io.mdocker.internal.image.registry;

import io.mdocker.Container;
import io.mdocker.ExecResult;
import io.mdocker.Image;
import io.mdocker.ImageStore;
import io.mdocker.PullOptions;
import io.mdocker.PullPolicy;
import io.mdocker.PullProgress;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
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
    void aPruneDuringAPullKeepsWhatThePullWroteAndTheProgressListenerSeesEveryByte() throws Exception {
        ImageStore store = ImageStore.of(Fixtures.RUNTIME);
        try (TestRegistry own = TestRegistry.startWithImage(DIR.resolve("leased"), "test/leased:v1", 78, 96 << 10)) {
            String leased = own.host() + "/test/leased:v1";
            BlobStore blobs = new BlobStore(Fixtures.RUNTIME.libRoot().resolve("images/blobs"));
            Digest orphan = blobs.put(("no image has me " + System.nanoTime()).getBytes(java.nio.charset.StandardCharsets.UTF_8));

            Map<String, Long> sizes = new ConcurrentHashMap<>();
            Map<String, Long> bytes = new ConcurrentHashMap<>();
            List<String> done = new CopyOnWriteArrayList<>();
            AtomicBoolean pruned = new AtomicBoolean();
            PullProgress progress = new PullProgress() {
                @Override
                public void resolved(String image, String manifestDigest, List<Blob> list) {
                    list.forEach(b -> sizes.put(b.digest(), b.size()));
                }

                @Override
                public void blobProgress(Blob blob, long n) {
                    bytes.merge(blob.digest(), n, Math::max);
                }

                @Override
                public void blobDone(Blob blob) {
                    done.add(blob.digest());
                    if (pruned.compareAndSet(false, true)) {
                        // a blob is stored, the image not recorded: a prune now must keep what the pull wrote
                        store.prune();
                        assertThat(blobs.has(orphan)).as("the prune ran: it removed a blob nothing holds").isFalse();
                        assertThat(blobs.has(Digest.parse(blob.digest()))).as("the blob just pulled, held by the pull's lease").isTrue();
                    }
                }
            };
            try {
                Image pulled = store.pull(leased, PullOptions.builder().progress(progress).build());
                assertThat(pruned).isTrue();
                assertThat(sizes).as("config, busybox, random bytes").hasSize(3);
                assertThat(done).containsExactlyInAnyOrderElementsOf(sizes.keySet());
                assertThat(bytes).as("each blob's bytes, up to its size").isEqualTo(sizes);
                assertThat(store.inspect(leased)).hasValueSatisfying(i -> assertThat(i.id()).isEqualTo(pulled.id()));
                ExecResult r = Container.builder().image(leased).pullPolicy(PullPolicy.NEVER).runtime(Fixtures.RUNTIME)
                        .run("/bin/sh", "-c", "cat /etc/image-seed; wc -c < /data0/random-0.bin");
                assertThat(r.stdout()).as(r.stderr()).isEqualTo("v1 amd64 78\n" + (96 << 10) + "\n");
            } finally {
                store.inspect(leased).ifPresent(i -> store.remove(leased, true));
            }
        }
    }

    @Test
    void aTagTheRegistryLacksIsAOneLineErrorAndNoImage() {
        String missing = ref.replace(":v1", ":nope");
        assertThatThrownBy(() -> ImageStore.of(Fixtures.RUNTIME).pull(missing))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").contains("test/pulled"));
        assertThat(ImageStore.of(Fixtures.RUNTIME).inspect(missing)).isEmpty();
    }
}
