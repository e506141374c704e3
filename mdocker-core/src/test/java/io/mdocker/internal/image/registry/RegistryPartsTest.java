package io.mdocker.internal.image.registry;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry client's parts on their own: challenge headers, platforms, Docker's config.json,
 * manifests whose media types lie, the choice of http or https, and the blob store's
 * temporary files and locks.
 */
class RegistryPartsTest {
    static final Path DIR = Fixtures.TARGET.resolve("registry-parts");

    @Test
    void challengesParseAsDockerHubAndDistributionSendThem() {
        List<Challenge> cs = Challenge.parse("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                + "scope=\"repository:library/alpine:pull\"");
        assertThat(cs).containsExactly(new Challenge("bearer", Map.of("realm", "https://auth.docker.io/token",
                "service", "registry.docker.io", "scope", "repository:library/alpine:pull")));
        assertThat(Challenge.parse("Basic realm=\"my \\\"realm\\\"\", Bearer realm=x")).containsExactly(
                new Challenge("basic", Map.of("realm", "my \"realm\"")), new Challenge("bearer", Map.of("realm", "x")));
        assertThat(Challenge.parseAll(List.of("Basic", "Negotiate abc=="))).extracting(Challenge::scheme).containsExactly("basic", "negotiate");
    }

    @Test
    void platformsParseMatchWithDefaultVariantsAndRefuseBadInput() {
        assertThat(Platform.parse("linux/arm64").matches(Platform.parse("linux/arm64/v8"))).isTrue();
        assertThat(Platform.parse("linux/amd64").matches(Platform.parse("linux/amd64/v1"))).isTrue();
        assertThat(Platform.parse("linux/arm/v7").matches(Platform.parse("linux/arm/v6"))).isFalse();
        assertThat(Platform.parse("linux/amd64").matches(Platform.parse("windows/amd64"))).isFalse();
        assertThat(Platform.parse("linux/arm/v7")).hasToString("linux/arm/v7");
        assertThat(Platform.host().os()).isEqualTo("linux");
        assertThat(Platform.host().architecture()).isIn("amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64");
        for (String bad : List.of("linux", "linux/", "/amd64", "linux/arm/", "a/b/c/d")) {
            assertThatThrownBy(() -> Platform.parse(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("platform " + bad + ": expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8");
        }
    }

    @Test
    void digestsAreSha256OrSha512InLowerCaseHex() {
        Digest d = Digest.sha256("abc".getBytes(StandardCharsets.UTF_8));
        assertThat(d).hasToString("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(Digest.parse(d.toString())).isEqualTo(d);
        for (String bad : List.of("sha256:ABC", "md5:" + "0".repeat(32), "sha256:" + "0".repeat(63), "nocolon")) {
            assertThatThrownBy(() -> Digest.parse(bad)).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("digest ");
        }
    }

    @Test
    void dockerConfigAuthsFromDockerConfigOrHomeWithHubAliases() throws Exception {
        Path dir = Files.createDirectories(DIR.resolve("docker-config"));
        Files.writeString(dir.resolve("config.json"), """
                {"auths": {
                  "https://index.docker.io/v1/": {"auth": "aHViOmh1YnBhc3M="},
                  "registry.example:5000": {"username": "u", "password": "p:w"},
                  "http://plain.example/": {"auth": "cGxhaW46cA=="},
                  "empty.example": {}
                }}
                """);
        DockerConfig c = DockerConfig.load(Map.of("DOCKER_CONFIG", dir.toString()));
        assertThat(c.credentialsFor("docker.io")).contains(new Credentials("hub", "hubpass"));
        assertThat(c.credentialsFor("registry-1.docker.io")).contains(new Credentials("hub", "hubpass"));
        assertThat(c.credentialsFor("registry.example:5000")).contains(new Credentials("u", "p:w"));
        assertThat(c.credentialsFor("plain.example")).contains(new Credentials("plain", "p"));
        assertThat(c.credentialsFor("empty.example")).isEmpty();
        assertThat(c.credentialsFor("other.example")).isEmpty();
        assertThat(new Credentials("hub", "hubpass").toString()).doesNotContain("hubpass");

        Path home = Files.createDirectories(DIR.resolve("home/.docker"));
        Files.copy(dir.resolve("config.json"), home.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThat(DockerConfig.load(Map.of("HOME", home.getParent().toString())).credentialsFor("docker.io")).isPresent();
        assertThat(DockerConfig.load(Map.of("HOME", "/nonexistent")).credentialsFor("docker.io")).isEmpty();

        Files.writeString(dir.resolve("config.json"), "{\"auths\":{\"bad.example\":{\"auth\":\"***\"}}}");
        assertThatThrownBy(() -> DockerConfig.load(Map.of("DOCKER_CONFIG", dir.toString())))
                .isInstanceOf(RegistryException.class)
                .hasMessage("docker config " + dir.resolve("config.json") + ": auths.bad.example.auth is not base64");
    }

    @Test
    void aManifestWhoseDeclaredMediaTypeLiesIsRefused() {
        String layer = "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:" + "a".repeat(64) + "\",\"size\":3}";
        String manifest = "{\"schemaVersion\":2,\"config\":" + layer.replace("layer.v1.tar+gzip", "config.v1+json") + ",\"layers\":[" + layer + "]}";
        String index = "{\"schemaVersion\":2,\"manifests\":[" + layer.replace("layer.v1.tar+gzip", "manifest.v1+json") + "]}";
        assertThat(Manifests.parse(MediaTypes.OCI_MANIFEST, bytes(manifest), "m")).isInstanceOf(Manifests.Manifest.class);
        assertThat(Manifests.parse(MediaTypes.OCI_INDEX, bytes(index), "i")).isInstanceOf(Manifests.Index.class);
        // served as an index, but an image manifest, and the reverse
        assertThatThrownBy(() -> Manifests.parse(MediaTypes.OCI_INDEX, bytes(manifest), "img"))
                .hasMessage("img: declared " + MediaTypes.OCI_INDEX + " but the content is an image manifest (config, layers); refused (media type confusion)");
        assertThatThrownBy(() -> Manifests.parse(MediaTypes.OCI_MANIFEST, bytes(index), "img"))
                .hasMessage("img: declared " + MediaTypes.OCI_MANIFEST + " but the content is an index (manifests); refused (media type confusion)");
        // both shapes at once (the ambiguous document of CVE-2021-41190)
        String both = manifest.substring(0, manifest.length() - 1) + ",\"manifests\":[]}";
        assertThatThrownBy(() -> Manifests.parse(MediaTypes.OCI_MANIFEST, bytes(both), "img")).hasMessageEndingWith("refused (media type confusion)");
        assertThatThrownBy(() -> Manifests.parse(MediaTypes.OCI_INDEX, bytes(both), "img")).hasMessageEndingWith("refused (media type confusion)");
        // a mediaType field that disagrees with the Content-Type
        String typed = manifest.replace("{\"schemaVersion\":2,", "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",");
        assertThatThrownBy(() -> Manifests.parse(MediaTypes.OCI_MANIFEST, bytes(typed), "img"))
                .hasMessage("img: the manifest declares media type \"" + MediaTypes.DOCKER_MANIFEST + "\" but was served as "
                        + MediaTypes.OCI_MANIFEST + "; refused (media type confusion)");
        assertThatThrownBy(() -> Manifests.parse("application/json", bytes(manifest), "img"))
                .hasMessageStartingWith("img: media type application/json is not a manifest or an index this client reads");
        assertThatThrownBy(() -> Manifests.parse(MediaTypes.OCI_MANIFEST, bytes("{\"schemaVersion\":1}"), "img"))
                .hasMessageStartingWith("img: manifest schemaVersion 1 is not supported");
        assertThatThrownBy(() -> Manifests.parse(MediaTypes.OCI_MANIFEST, bytes(manifest.replace("\"size\":3", "\"size\":-3")), "img"))
                .hasMessageContaining("negative size -3");
        assertThatThrownBy(() -> Manifests.parse(MediaTypes.OCI_MANIFEST, bytes("{not json"), "img"))
                .hasMessageStartingWith("img: the manifest is not valid JSON").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void plainHttpOnlyForTheLoopbackAndHostsNamedInsecure() {
        try (RegistryClient c = RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json")))
                .insecure("registry.lan:5000").insecure("mirror.lan").build()) {
            assertThat(c.baseUri("docker.io")).hasToString("https://registry-1.docker.io");
            assertThat(c.baseUri("quay.io")).hasToString("https://quay.io");
            assertThat(c.baseUri("registry.lan:5001")).hasToString("https://registry.lan:5001");
            assertThat(c.baseUri("registry.lan:5000")).hasToString("http://registry.lan:5000");
            assertThat(c.baseUri("mirror.lan:443")).hasToString("http://mirror.lan:443");
            assertThat(c.baseUri("127.0.0.1:5000")).hasToString("http://127.0.0.1:5000");
            assertThat(c.baseUri("localhost:5000")).hasToString("http://localhost:5000");
            assertThat(c.baseUri("[::1]:5000")).hasToString("http://[::1]:5000");
            assertThat(c.baseUri("127.0.0.1.example.com")).hasToString("https://127.0.0.1.example.com");
        }
    }

    @Test
    void whatGoesIntoARequestPathIsCheckedFirst() {
        assertThat(new RemoteImage("docker.io", "library/alpine", "3.20")).hasToString("docker.io/library/alpine:3.20");
        assertThat(new RemoteImage("[::1]:5000", "a/b-c__d.e", "sha256:" + "0".repeat(64)).byDigest()).isTrue();
        assertThatThrownBy(() -> new RemoteImage("127.0.0.1:5000", "../etc", "v1"))
                .hasMessage("image 127.0.0.1:5000/../etc:v1: repository '../etc' is not lower-case path components of letters"
                        + " and digits separated by . _ __ or -");
        assertThatThrownBy(() -> new RemoteImage("127.0.0.1:5000", "app", "v1?x=y"))
                .hasMessageStartingWith("image 127.0.0.1:5000/app:v1?x=y: tag 'v1?x=y' is not 1 to 128 letters");
        assertThatThrownBy(() -> new RemoteImage("host/evil", "app", "v1")).hasMessageContaining("registry 'host/evil' is not a host name");
        assertThatThrownBy(() -> new RemoteImage("host", "app", "sha256:zz"))
                .hasMessageStartingWith("image host/app@sha256:zz: digest sha256:zz: expected");
        try (RegistryClient c = RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json"))).build()) {
            Path store = DIR.resolve("never-made");
            assertThatThrownBy(() -> c.pull("127.0.0.1:1", "Upper", "v1", store, Platform.host(), PullListener.NONE))
                    .isInstanceOf(RegistryException.class).hasMessageStartingWith("image 127.0.0.1:1/Upper:v1: repository 'Upper'");
            assertThat(store).doesNotExist();
        }
    }

    @Test
    void aFailedWriteLeavesNoBlobAndNoTemporaryAndAnAbandonedTemporaryIsRemoved() throws Exception {
        Path root = DIR.resolve("store-" + System.nanoTime());
        BlobStore store = new BlobStore(root);
        Digest d = Digest.sha256(bytes("content"));
        assertThatThrownBy(() -> store.ensure(d, sink -> {
            write(sink, "half of it");
            throw new java.io.IOException("connection reset");
        })).hasMessage("connection reset");
        assertThat(store.has(d)).isFalse();
        assertThat(Fixtures.list(store.tmpDir())).isEmpty();

        // a temporary file of a writer that died (no one holds its blob's lock) goes; one whose lock is held stays
        Path abandoned = Files.writeString(store.tmpDir().resolve(d.hex() + ".999999.1.partial"), "x");
        Digest other = Digest.sha256(bytes("other"));
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                store.ensure(other, sink -> {
                    write(sink, "other");
                    writing.countDown();
                    try {
                        finish.await();
                    } catch (InterruptedException e) {
                        throw new java.io.InterruptedIOException();
                    }
                });
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        writing.await();
        List<Path> live = Fixtures.list(store.tmpDir()).stream().filter(p -> p.getFileName().toString().startsWith(other.hex())).toList();
        assertThat(live).hasSize(1);
        store.removeAbandonedTemporaries();
        assertThat(abandoned).doesNotExist();
        assertThat(live.get(0)).exists();
        finish.countDown();
        writer.join();
        assertThat(store.has(other)).isTrue();
        assertThat(Files.readString(store.path(other))).isEqualTo("other");
        assertThat(Fixtures.list(store.tmpDir())).isEmpty();
    }

    @Test
    void threadsEnsuringOneBlobWriteItOnceAndTheJvmLocksAreReleased() throws Exception {
        BlobStore store = new BlobStore(DIR.resolve("store-" + System.nanoTime()));
        Digest d = Digest.sha256(bytes("once"));
        AtomicInteger writes = new AtomicInteger();
        List<Thread> threads = new java.util.ArrayList<>();
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    store.ensure(d, sink -> {
                        writes.incrementAndGet();
                        write(sink, "once");
                        try {
                            Thread.sleep(50); // a slow write, so the others wait for it
                        } catch (InterruptedException e) {
                            throw new java.io.InterruptedIOException();
                        }
                    });
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(writes).hasValue(1);
        assertThat(Files.readString(store.path(d))).isEqualTo("once");
        KeyedLocks<String> locks = new KeyedLocks<>();
        try (KeyedLocks.Held h = locks.lock("a")) {
            assertThat(locks.tryLock("b")).isPresent().get().satisfies(KeyedLocks.Held::close);
            assertThat(locks.size()).isEqualTo(1);
        }
        assertThat(locks.size()).isZero();
    }

    @Test
    void aFileLockHeldElsewhereInThisJvmIsWaitedFor() throws Exception {
        BlobStore store = new BlobStore(DIR.resolve("store-" + System.nanoTime()));
        Digest d = Digest.sha256(bytes("waited"));
        Files.createDirectories(store.path(d).getParent());
        CountDownLatch done = new CountDownLatch(1);
        Thread writer;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(store.root().resolve("sha256/" + d.hex() + ".lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
             java.nio.channels.FileLock held = ch.lock()) {
            writer = Thread.ofPlatform().start(() -> {
                try {
                    store.ensure(d, sink -> write(sink, "waited"));
                    done.countDown();
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(done.await(300, java.util.concurrent.TimeUnit.MILLISECONDS)).as("written while the lock was held").isFalse();
            assertThat(store.has(d)).isFalse();
        }
        writer.join();
        assertThat(done.getCount()).isZero();
        assertThat(Files.readString(store.path(d))).isEqualTo("waited");
    }

    @Test
    void indexChoiceFallsBackToAnEntryWithoutPlatformOnlyWhenNoneMatches() {
        Descriptor arm = new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(bytes("arm")), 1, Optional.of(Platform.parse("linux/arm64/v8")));
        Descriptor bare = new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(bytes("bare")), 1);
        Manifests.Index idx = new Manifests.Index(MediaTypes.OCI_INDEX, List.of(bare, arm));
        assertThat(RegistryClient.choose(idx, Platform.parse("linux/arm64"), "img")).isEqualTo(arm);
        assertThat(RegistryClient.choose(idx, Platform.parse("linux/amd64"), "img")).isEqualTo(bare);
        assertThatThrownBy(() -> RegistryClient.choose(new Manifests.Index(MediaTypes.OCI_INDEX, List.of()), Platform.parse("linux/amd64"), "img"))
                .hasMessage("img: no manifest for linux/amd64 in the index; it offers no platform");
    }

    private static void write(BlobStore.Sink sink, String s) throws java.io.IOException {
        byte[] b = bytes(s);
        sink.write(b, 0, b.length);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
