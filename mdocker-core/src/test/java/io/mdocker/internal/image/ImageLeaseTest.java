package io.mdocker.internal.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.internal.image.registry.BlobStore;
import io.mdocker.internal.image.registry.Digest;
import io.mdocker.internal.image.registry.Lease;
import io.mdocker.internal.sys.Posix;
import io.mdocker.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A prune (garbage collection of the image store) that runs while an image is being added keeps
 * what the image has written so far: its lease holds its blobs and layers until its name is
 * recorded. The prune is run from inside the add, between its config blob and its layer, so the
 * moment is the same every run.
 */
class ImageLeaseTest {
    private static Path base;

    @BeforeAll
    static void dir() throws Exception {
        Fixtures.prerequisite(Posix.geteuid() == 0, "image tests need root (euid is " + Posix.geteuid() + ")");
        base = Fixtures.TARGET.resolve("image-tests").resolve("leases");
        if (Files.exists(base)) {
            LayerUnpacker.removeTree(base);
        }
        Files.createDirectories(base);
    }

    private static LocalImages store(String name) {
        return new LocalImages(base.resolve(name));
    }

    @Test
    void aPruneDuringAnAddKeepsTheImagesBlobsAndLayerAndRemovesTheRest() throws Exception {
        LocalImages images = store("during-add");
        BlobStore blobs = new BlobStore(images.dir().resolve("blobs"));
        Digest orphan = blobs.put("no image has me".getBytes(StandardCharsets.UTF_8));

        byte[] layer = new TestTar().dir("etc", 0755).file("etc/leased", "kept\n").bytes();
        String diffId = Digests.of(layer);
        byte[] config = ImageConfig.minimal(diffId, Instant.parse("2026-01-01T00:00:00Z"));
        Manifests.Descriptor configDesc = new Manifests.Descriptor(Manifests.OCI_CONFIG, Digests.of(config), config.length,
                Map.of(), Optional.empty());
        Manifests.Descriptor layerDesc = new Manifests.Descriptor("application/vnd.oci.image.layer.v1.tar", Digests.of(layer),
                layer.length, Map.of(), Optional.empty());
        byte[] manifest = Manifests.ociManifest(configDesc, List.of(layerDesc));
        Digest configDigest = Digest.parse(configDesc.digest());

        AtomicBoolean pruned = new AtomicBoolean();
        LocalImages.BlobSource source = d -> {
            if (d.digest().equals(configDesc.digest())) {
                return () -> new ByteArrayInputStream(config);
            }
            return () -> {
                if (pruned.compareAndSet(false, true)) {
                    // the config is stored, the layer not yet, the image not recorded: a prune now
                    images.collectGarbage(Set.of());
                    assertThat(blobs.has(orphan)).as("the prune ran: it removed a blob no image or lease holds").isFalse();
                    assertThat(blobs.has(configDigest)).as("the config the lease holds").isTrue();
                    assertThat(Fixtures.list(images.dir().resolve("leases"))).as("the lease's list and lock file").hasSize(2);
                }
                return new ByteArrayInputStream(layer);
            };
        };
        try (Lease lease = Lease.take(images.dir().resolve("leases"), images.dir().resolve("index.lock"))) {
            images.add(manifest, Manifests.OCI_MANIFEST, Manifests.manifest(Json.parse(manifest, "test"), Manifests.OCI_MANIFEST,
                    "test"), source, List.of(ImageReference.parse("test/leased:v1")), "image test/leased:v1", lease);
        }
        assertThat(pruned).isTrue();
        LocalImages.Stored s = images.find("test/leased:v1").orElseThrow();
        assertThat(Files.readString(images.layerDirs(s).get(0).resolve("etc/leased"))).isEqualTo("kept\n");
        assertThat(Fixtures.list(images.dir().resolve("leases"))).as("the lease ends with the add").isEmpty();

        // recorded now: a prune keeps it by its name, and with the name gone removes it
        images.collectGarbage(Set.of());
        assertThat(blobs.has(configDigest)).isTrue();
        images.remove("test/leased:v1", false, id -> false, Set.of());
        assertThat(blobs.list()).isEmpty();
    }

    @Test
    void aLeaseHoldsWhatItListsUntilClosedAndADeadOnesFileIsRemoved() throws Exception {
        LocalImages images = store("dead");
        BlobStore blobs = new BlobStore(images.dir().resolve("blobs"));
        Path leases = images.dir().resolve("leases");
        Digest held = blobs.put("held by a live lease".getBytes(StandardCharsets.UTF_8));
        Digest orphan = blobs.put("listed by a dead lease".getBytes(StandardCharsets.UTF_8));
        // a lease no one holds locked: a process that died while adding an image
        Files.createDirectories(leases);
        Path dead = Files.writeString(leases.resolve("dead"), orphan + "\n");
        Path deadLock = Files.createFile(leases.resolve("dead.lock"));
        try (Lease live = Lease.take(leases, images.dir().resolve("index.lock"))) {
            live.protect(held.toString());
            images.collectGarbage(Set.of());
            assertThat(blobs.has(held)).isTrue();
            assertThat(blobs.has(orphan)).isFalse();
            assertThat(dead).doesNotExist();
            assertThat(deadLock).doesNotExist();
        }
        assertThat(Fixtures.list(leases)).isEmpty();
        images.collectGarbage(Set.of());
        assertThat(blobs.has(held)).as("its lease closed, nothing holds it").isFalse();
    }

    @Test
    void aLeaseHeldByAnotherJvmKeepsWhatItListsEvenAfterItsAppends() throws Exception {
        LocalImages images = store("other-jvm");
        BlobStore blobs = new BlobStore(images.dir().resolve("blobs"));
        Digest first = blobs.put("held by the child, added first".getBytes(StandardCharsets.UTF_8));
        Digest second = blobs.put("held by the child, added second".getBytes(StandardCharsets.UTF_8));
        Digest orphan = blobs.put("held by no one".getBytes(StandardCharsets.UTF_8));
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), LeaseChild.class.getName(),
                images.dir().toString(), first.toString(), second.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("held");
            // the child's appends (each through a descriptor of the list) have not dropped its lock: the prune sees it live
            images.collectGarbage(Set.of());
            assertThat(blobs.has(first)).isTrue();
            assertThat(blobs.has(second)).isTrue();
            assertThat(blobs.has(orphan)).isFalse();
        } finally {
            child.getOutputStream().close();
            assertThat(child.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
        assertThat(child.exitValue()).isZero();
        images.collectGarbage(Set.of());
        assertThat(blobs.list()).as("the child's lease ended with it").isEmpty();
        assertThat(Fixtures.list(images.dir().resolve("leases"))).isEmpty();
    }
}
