package io.mdocker.internal.image.registry;

import io.mdocker.internal.image.ImageReference;
import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pulls from Debian's docker-registry (distribution 2.8) started on 127.0.0.1, with images that
 * umoci made and skopeo pushed: anonymous, basic auth, the bearer-token flow, indexes, Docker and
 * OCI manifests, gzip, zstd and uncompressed layers; and, through {@link RegistryProxy}, a
 * registry or network that misbehaves (a wrong blob, a dropped connection, a lying media type, a
 * redirect) and concurrent pulls of one image by two threads and by two JVMs.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RegistryPullTest {
    static final Path DIR = Fixtures.TARGET.resolve("registry-tests");
    static final Platform AMD64 = Platform.parse("linux/amd64");
    static final AtomicInteger STORES = new AtomicInteger();

    static TestRegistry registry;
    static RegistryProxy proxy;
    static RegistryClient client;
    /** The tests' own requests to the registry (setting up indexes and uploads). */
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final List<RegistryClient> OPENED = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void registryWithImages() throws Exception {
        TestRegistry.prerequisites();
        deleteTree(DIR);
        Files.createDirectories(DIR);
        registry = TestRegistry.start(DIR.resolve("registry"));
        Path layout = DIR.resolve("oci");
        // busybox, then 300 KiB and 3 MiB of random bytes: three layers
        TestImages.image(layout, "busy", "amd64", 1, 300 << 10, 3 << 20);
        registry.push(layout, "busy", "test/busy:v1");
        registry.push(layout, "busy", "test/docker:v1", "--format", "v2s2");
        proxy = new RegistryProxy(registry.host());
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (client != null) {
            client.close();
        }
        OPENED.forEach(RegistryClient::close);
        HTTP.close();
        if (proxy != null) {
            proxy.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    /** The class's client: no credentials (no config.json), closed after the class. */
    static synchronized RegistryClient client() {
        if (client == null) {
            client = RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("no-docker-config.json"))).build();
        }
        return client;
    }

    /** A client of a test's own options, closed after the class. */
    static RegistryClient opened(RegistryClient.Builder b) {
        RegistryClient c = b.build();
        OPENED.add(c);
        return c;
    }

    /** A reference as users write it, normalised as Docker does, into what a pull asks for. */
    static RemoteImage remote(String reference) {
        ImageReference ref = ImageReference.parse(reference);
        return new RemoteImage(ref.registry(), ref.repository(), ref.digest().or(ref::tag).orElseThrow());
    }

    static Path newStore() throws IOException {
        return Files.createDirectories(DIR.resolve("store-" + STORES.incrementAndGet()).resolve("images/blobs"));
    }

    @Test
    void anonymousPullByTagStoresEveryBlobVerifiedAndAPresentBlobIsNotDownloadedAgain() throws Exception {
        Path blobs = newStore();
        try (RegistryProxy proxy = new RegistryProxy(registry.host())) {
        RecordingListener events = new RecordingListener();
        PullResult r = client().pull(remote(proxy.host() + "/test/busy:v1"), blobs, Platform.host(), events);

        assertThat(r.manifestMediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(r.layers()).hasSize(3).allSatisfy(l -> assertThat(l.mediaType()).isEqualTo("application/vnd.oci.image.layer.v1.tar+gzip"));
        assertThat(r.config().mediaType()).isEqualTo(MediaTypes.OCI_CONFIG);
        assertThat(r.index()).isEmpty();
        assertThat(r.image()).isEqualTo(proxy.host() + "/test/busy:v1");
        assertVerified(blobs, r.manifest());
        assertThat(Files.readAllBytes(r.manifest().digest().pathUnder(blobs))).isEqualTo(r.manifestBytes());
        assertVerified(blobs, r.config());
        r.layers().forEach(l -> assertVerified(blobs, l));
        assertThat(partials(blobs)).isEmpty();
        // the store's contract: lock files stay, and nothing else is beside the blobs
        try (Stream<Path> s = Files.list(blobs.resolve("sha256"))) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> !n.endsWith(".lock")))
                    .containsExactlyInAnyOrderElementsOf(Stream.concat(Stream.of(r.manifest(), r.config()), r.layers().stream())
                            .map(d -> d.digest().hex()).toList());
        }

        assertThat(events.resolved).hasSize(4);
        assertThat(events.done).hasSize(4);
        for (Descriptor l : r.layers()) {
            assertThat(events.lastProgress.get(l.digest())).containsExactly(l.size(), l.size());
            assertThat(proxy.blobDownloads(l.digest())).isEqualTo(1);
        }

        RecordingListener again = new RecordingListener();
        client().pull(remote(proxy.host() + "/test/busy:v1"), blobs, Platform.host(), again);
        assertThat(again.present).hasSize(4);
        assertThat(again.started).isEmpty();
        for (Descriptor l : r.layers()) {
            assertThat(proxy.blobDownloads(l.digest())).as("downloads of " + l.digest()).isEqualTo(1);
        }
        }
    }

    @Test
    void dockerSchema2ByTagAndByDigest() throws Exception {
        Path blobs = newStore();
        PullResult byTag = client().pull(remote(registry.host() + "/test/docker:v1"), blobs, AMD64, PullListener.NONE);
        assertThat(byTag.manifestMediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(byTag.config().mediaType()).isEqualTo(MediaTypes.DOCKER_CONFIG);
        assertThat(byTag.layers()).hasSize(3).allSatisfy(l -> assertThat(l.mediaType()).isEqualTo("application/vnd.docker.image.rootfs.diff.tar.gzip"));
        byTag.layers().forEach(l -> assertVerified(blobs, l));

        PullResult byDigest = client().pull(remote(registry.host() + "/test/docker@" + byTag.manifestDigest()),
                newStore(), AMD64, PullListener.NONE);
        assertThat(byDigest.manifestDigest()).isEqualTo(byTag.manifestDigest());
        assertThat(byDigest.image()).isEqualTo(registry.host() + "/test/docker@" + byTag.manifestDigest());
    }

    @Test
    void aMissingTagIsAOneLine404NamingTheImageAndLeavesNothing() throws Exception {
        Path blobs = newStore();
        String image = registry.host() + "/test/busy:nope";
        assertThatThrownBy(() -> client().pull(remote(image), blobs, AMD64, PullListener.NONE))
                .isInstanceOf(RegistryException.class)
                .hasMessage(image + ": not found in the registry (404 MANIFEST_UNKNOWN: manifest unknown)");
        String missingRepo = registry.host() + "/test/nothing:v1";
        assertThatThrownBy(() -> client().pull(remote(missingRepo), blobs, AMD64, PullListener.NONE))
                .hasMessageStartingWith(missingRepo + ": not found in the registry (404 ");
        assertThat(Fixtures.list(blobs)).isEmpty();
    }

    @Test
    void basicAuthWithGoodBadAndMissingCredentialsFromTheApiAndFromDockerConfig() throws Exception {
        Credentials alice = new Credentials("alice", "s3cret-pass");
        try (TestRegistry secured = TestRegistry.start(DIR.resolve("registry-htpasswd"), Optional.of(alice))) {
            secured.push(DIR.resolve("oci"), "busy", "private/busy:v1");
            String image = secured.host() + "/private/busy:v1";

            PullResult r = opened(RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json"))).credentials(secured.host(), alice))
                    .pull(remote(image), newStore(), AMD64, PullListener.NONE);
            assertThat(r.layers()).hasSize(3);

            Path dockerDir = Files.createDirectories(DIR.resolve("docker-config"));
            String auth = java.util.Base64.getEncoder().encodeToString("alice:s3cret-pass".getBytes(StandardCharsets.UTF_8));
            Files.writeString(dockerDir.resolve("config.json"),
                    "{\"auths\":{\"https://" + secured.host() + "/v1/\":{\"auth\":\"" + auth + "\"},\"other:5000\":{\"auth\":\"eDp5\"}}}");
            DockerConfig config = DockerConfig.load(Map.of("DOCKER_CONFIG", dockerDir.toString(), "HOME", "/nonexistent"));
            Path fromConfig = newStore();
            PullResult r2 = opened(RegistryClient.builder().dockerConfig(config))
                    .pull(remote(image), fromConfig, AMD64, PullListener.NONE);
            assertThat(r2.manifestDigest()).isEqualTo(r.manifestDigest());

            Path refused = newStore();
            assertThatThrownBy(() -> opened(RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json"))).credentials(secured.host(), new Credentials("alice", "wrong")))
                    .pull(remote(image), refused, AMD64, PullListener.NONE))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageStartingWith(image + ": manifest v1: 401 Unauthorized: the registry refused the credentials of user alice")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong").doesNotContain("\n"));
            assertThatThrownBy(() -> client().pull(remote(image), refused, AMD64, PullListener.NONE))
                    .hasMessage(image + ": manifest v1: 401 Unauthorized: the registry asks for credentials (basic realm mdocker-test) and none were given");
            assertThat(Fixtures.list(refused)).isEmpty();
        }
    }

    @Test
    void aRegistryNotOnTheLoopbackNamesIsReachedOverHttpsAndItsCertificateChecked() throws Exception {
        // 127.0.0.2 is a loopback address, but not one the client reaches over plain http
        Path tlsDir = DIR.resolve("registry-tls");
        try (TestRegistry tls = TestRegistry.startTls(tlsDir, "127.0.0.2")) {
            tls.push(DIR.resolve("oci"), "busy", "secure/busy:v1");
            String image = tls.host() + "/secure/busy:v1";
            Path blobs = newStore();
            PullResult r = opened(RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json")))
                    .sslContext(TestRegistry.trust(tlsDir))).pull(remote(image), blobs, AMD64, PullListener.NONE);
            r.layers().forEach(l -> assertVerified(blobs, l));
            // the JDK's trust store does not know the registry's certificate: refused, in one line
            Path refused = newStore();
            assertThatThrownBy(() -> client().pull(remote(image), refused, AMD64, PullListener.NONE))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageStartingWith(image + ": manifest v1: " + tls.host() + ": SSLHandshakeException")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            assertThat(Fixtures.list(refused)).isEmpty();
        }
    }

    @Test
    void bearerChallengeGetsATokenForTheRepositorysScopeWithTheUsersCredentials() throws Exception {
        Credentials bob = new Credentials("bob", "token-pass");
        try (RegistryProxy guarded = new RegistryProxy(registry.host())) {
            guarded.requireBearer(new RegistryProxy.Bearer(Set.of("test/busy"), Optional.of(bob)));
            guarded.redirectBlobs = true; // blobs come from "storage" on another port, which must not see the token
            String image = guarded.host() + "/test/busy:v1";
            Path blobs = newStore();
            PullResult r = opened(RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json"))).credentials(guarded.host(), bob))
                    .pull(remote(image), blobs, AMD64, PullListener.NONE);
            r.layers().forEach(l -> assertVerified(blobs, l));

            assertThat(guarded.tokenRequests).isNotEmpty().allSatisfy(t -> {
                assertThat(t.scopes()).containsExactly("repository:test/busy:pull");
                assertThat(t.user()).contains("bob");
                assertThat(t.service()).contains("mdocker-test");
            });
            // one token serves the whole pull: the layer threads share it
            assertThat(guarded.tokenRequests).hasSize(1);
            List<RegistryProxy.Request> blobRequests = r.layers().stream().flatMap(l -> guarded.blobRequests(l.digest()).stream()).toList();
            assertThat(blobRequests).filteredOn(q -> q.server().equals("proxy")).isNotEmpty()
                    .allSatisfy(q -> assertThat(q.authorization()).hasValueSatisfying(a -> assertThat(a).startsWith("Bearer ")));
            assertThat(blobRequests).filteredOn(q -> q.server().equals("storage")).hasSize(3)
                    .allSatisfy(q -> assertThat(q.authorization()).isEmpty());

            // another repository: the token service grants bob only test/busy
            String other = guarded.host() + "/test/docker:v1";
            assertThatThrownBy(() -> opened(RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json"))).credentials(guarded.host(), bob))
                    .pull(remote(other), newStore(), AMD64, PullListener.NONE))
                    .hasMessage(other + ": token service " + guarded.host() + " refused repository:test/docker:pull (403, as user bob)");
            // a wrong password: the token service says 401
            assertThatThrownBy(() -> opened(RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json"))).credentials(guarded.host(), new Credentials("bob", "nope")))
                    .pull(remote(image), newStore(), AMD64, PullListener.NONE))
                    .hasMessage(image + ": token service " + guarded.host() + " refused repository:test/busy:pull (401, as user bob)");
        }
        try (RegistryProxy anonymous = new RegistryProxy(registry.host())) {
            anonymous.requireBearer(new RegistryProxy.Bearer(Set.of("test/docker"), Optional.empty()));
            PullResult r = client().pull(remote(anonymous.host() + "/test/docker:v1"), newStore(), AMD64, PullListener.NONE);
            assertThat(r.manifestMediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
            assertThat(anonymous.tokenRequests).hasSize(1).allSatisfy(t -> assertThat(t.user()).isEmpty());
        }
    }

    @Test
    void anIndexYieldsThePlatformAskedForAndNamesThoseOfferedWhenNoneFits() throws Exception {
        Path layout = DIR.resolve("oci-multi");
        TestImages.image(layout, "amd64", "amd64", 21, 64 << 10);
        TestImages.image(layout, "arm64", "arm64", 22, 64 << 10);
        registry.push(layout, "amd64", "test/multi:amd64");
        registry.push(layout, "arm64", "test/multi:arm64");
        Descriptor amd = headManifest("test/multi", "amd64");
        Descriptor arm = headManifest("test/multi", "arm64");
        String index = """
                {"schemaVersion":2,"mediaType":"%s","manifests":[
                 {"mediaType":"%s","digest":"%s","size":%d,"platform":{"os":"linux","architecture":"amd64"}},
                 {"mediaType":"%s","digest":"%s","size":%d,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
                 {"mediaType":"%s","digest":"%s","size":%d,"platform":{"os":"unknown","architecture":"unknown"}}]}
                """.formatted(MediaTypes.OCI_INDEX, amd.mediaType(), amd.digest(), amd.size(), arm.mediaType(), arm.digest(), arm.size(),
                amd.mediaType(), amd.digest(), amd.size());
        putManifest("test/multi", "latest", MediaTypes.OCI_INDEX, index);

        String image = registry.host() + "/test/multi:latest";
        Path blobs = newStore();
        PullResult onArm = client().pull(remote(image), blobs, Platform.parse("linux/arm64"), PullListener.NONE);
        assertThat(onArm.manifestDigest()).isEqualTo(arm.digest());
        assertThat(onArm.index()).hasValueSatisfying(i -> {
            assertThat(i.mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
            assertThat(new String(i.bytes(), StandardCharsets.UTF_8)).isEqualTo(index);
        });
        assertVerified(blobs, new Descriptor(MediaTypes.OCI_INDEX, onArm.index().get().digest(), index.length()));
        assertThat(new String(Files.readAllBytes(onArm.config().digest().pathUnder(blobs)), StandardCharsets.UTF_8)).contains("\"architecture\":\"arm64\"");

        PullResult onAmd = client().pull(remote(image), blobs, AMD64, PullListener.NONE);
        assertThat(onAmd.manifestDigest()).isEqualTo(amd.digest());
        assertThat(new String(Files.readAllBytes(onAmd.config().digest().pathUnder(blobs)), StandardCharsets.UTF_8)).contains("\"architecture\":\"amd64\"");

        Path none = newStore();
        assertThatThrownBy(() -> client().pull(remote(image), none, Platform.parse("linux/s390x"), PullListener.NONE))
                .isInstanceOf(RegistryException.class)
                .hasMessage(image + ": no manifest for linux/s390x in the index; it offers linux/amd64, linux/arm64/v8");
        assertThatThrownBy(() -> client().pull(remote(image), none, Platform.parse("linux/arm/v7"), PullListener.NONE))
                .hasMessageContaining("no manifest for linux/arm/v7");
        assertThat(Fixtures.list(none)).isEmpty();

        // a Docker manifest list of the same two
        putManifest("test/multi", "list", MediaTypes.DOCKER_LIST, index.replace(MediaTypes.OCI_INDEX, MediaTypes.DOCKER_LIST));
        PullResult fromList = client().pull(remote(registry.host() + "/test/multi:list"), newStore(),
                Platform.parse("linux/arm64/v8"), PullListener.NONE);
        assertThat(fromList.manifestDigest()).isEqualTo(arm.digest());
        assertThat(fromList.index().orElseThrow().mediaType()).isEqualTo(MediaTypes.DOCKER_LIST);

        // a lying media type: the index served as an image manifest, or an entry served as an index
        proxy.contentTypes.put("latest", MediaTypes.OCI_MANIFEST);
        proxy.contentTypes.put(arm.digest().toString(), MediaTypes.OCI_INDEX);
        try {
            Path lied = newStore();
            String viaProxy = proxy.host() + "/test/multi:latest";
            assertThatThrownBy(() -> client().pull(remote(viaProxy), lied, AMD64, PullListener.NONE))
                    .hasMessage(viaProxy + ": manifest latest: the manifest declares media type \"" + MediaTypes.OCI_INDEX
                            + "\" but was served as " + MediaTypes.OCI_MANIFEST + "; refused (media type confusion)");
            String byDigest = proxy.host() + "/test/multi@" + arm.digest();
            assertThatThrownBy(() -> client().pull(remote(byDigest), lied, AMD64, PullListener.NONE))
                    .hasMessageEndingWith("refused (media type confusion)");
            assertThat(Fixtures.list(lied)).isEmpty();
        } finally {
            proxy.contentTypes.clear();
        }
    }

    @Test
    void nestedIndexesAreFollowedToThePlatformsManifestAFewLevelsDeep() throws Exception {
        // the image in the repository (an index may name only manifests the repository has), then
        // n1: an index with it for linux/amd64; n2..n5: each an index whose one entry (no platform) is the one before
        registry.push(DIR.resolve("oci"), "busy", "test/nested:busy");
        Descriptor busy = headManifest("test/nested", "busy");
        putManifest("test/nested", "n1", MediaTypes.OCI_INDEX, """
                {"schemaVersion":2,"mediaType":"%s","manifests":[
                 {"mediaType":"%s","digest":"%s","size":%d,"platform":{"os":"linux","architecture":"amd64"}}]}
                """.formatted(MediaTypes.OCI_INDEX, busy.mediaType(), busy.digest(), busy.size()));
        for (int level = 2; level <= 5; level++) {
            Descriptor inner = headManifest("test/nested", "n" + (level - 1));
            putManifest("test/nested", "n" + level, MediaTypes.OCI_INDEX, """
                    {"schemaVersion":2,"mediaType":"%s","manifests":[{"mediaType":"%s","digest":"%s","size":%d}]}
                    """.formatted(MediaTypes.OCI_INDEX, inner.mediaType(), inner.digest(), inner.size()));
        }
        Path blobs = newStore();
        PullResult r = client().pull(remote(registry.host() + "/test/nested:n4"), blobs, AMD64, PullListener.NONE);
        assertThat(r.manifestDigest()).isEqualTo(busy.digest());
        Digest top = headManifest("test/nested", "n4").digest();
        assertThat(r.index()).hasValueSatisfying(i -> assertThat(i.digest()).isEqualTo(top));
        for (int level = 1; level <= 4; level++) {
            Descriptor idx = headManifest("test/nested", "n" + level);
            assertVerified(blobs, idx);
        }
        r.layers().forEach(l -> assertVerified(blobs, l));

        String tooDeep = registry.host() + "/test/nested:n5";
        Digest innermost = headManifest("test/nested", "n1").digest();
        Path none = newStore();
        assertThatThrownBy(() -> client().pull(remote(tooDeep), none, AMD64, PullListener.NONE))
                .isInstanceOf(RegistryException.class)
                .hasMessage(tooDeep + ": more than 4 indexes nested (the last " + innermost + "); refused");
        assertThat(Fixtures.list(none)).isEmpty();
    }

    @Test
    void credentialHelpersOfDockerConfigAreRunForTheirRegistries() throws Exception {
        Credentials alice = new Credentials("alice", "helper-pass");
        try (TestRegistry secured = TestRegistry.start(DIR.resolve("registry-helper"), Optional.of(alice))) {
            secured.push(DIR.resolve("oci"), "busy", "private/busy:v1");
            String image = secured.host() + "/private/busy:v1";
            Path bin = Files.createDirectories(DIR.resolve("helper-bin"));
            Path asked = DIR.resolve("helper-asked");
            Files.deleteIfExists(asked);
            // a credential helper as Docker's protocol has it: "get", the server on stdin, JSON out
            Path helper = bin.resolve("docker-credential-mdtest");
            Files.writeString(helper, """
                    #!/bin/sh
                    read server
                    echo "$1 $server" >> %s
                    if [ "$1" = get ] && [ "$server" = "%s" ]; then
                      printf '{"ServerURL":"%%s","Username":"alice","Secret":"helper-pass"}' "$server"
                    else
                      echo "credentials not found in native keychain"; exit 1
                    fi
                    """.formatted(asked, secured.host()));
            helper.toFile().setExecutable(true);
            String path = bin + ":/usr/bin:/bin";
            Path dockerDir = Files.createDirectories(DIR.resolve("docker-config-helpers"));
            Path configFile = dockerDir.resolve("config.json");

            Files.writeString(configFile, "{\"credsStore\":\"mdtest\",\"auths\":{\"" + secured.host() + "\":{}}}");
            PullResult fromStore = opened(RegistryClient.builder().dockerConfig(DockerConfig.read(configFile, path)))
                    .pull(remote(image), newStore(), AMD64, PullListener.NONE);
            assertThat(fromStore.layers()).hasSize(3);
            assertThat(Files.readAllLines(asked)).containsExactly("get " + secured.host());

            Files.writeString(configFile, "{\"credHelpers\":{\"" + secured.host() + "\":\"mdtest\"}}");
            DockerConfig helpers = DockerConfig.load(Map.of("DOCKER_CONFIG", dockerDir.toString(), "PATH", path));
            assertThat(opened(RegistryClient.builder().dockerConfig(helpers)).pull(remote(image), newStore(), AMD64, PullListener.NONE)
                    .manifestDigest()).isEqualTo(fromStore.manifestDigest());
            assertThat(Files.readAllLines(asked)).hasSize(2);

            // a helper with nothing for this registry: no credentials, the registry's 401 says so
            Files.writeString(configFile, "{\"credHelpers\":{\"" + secured.host() + "\":\"mdtest\"}}");
            Files.writeString(helper, Files.readString(helper).replace(secured.host(), "elsewhere:1"));
            assertThatThrownBy(() -> opened(RegistryClient.builder().dockerConfig(DockerConfig.read(configFile, path)))
                    .pull(remote(image), newStore(), AMD64, PullListener.NONE))
                    .hasMessageEndingWith("the registry asks for credentials (basic realm mdocker-test) and none were given");
            // a helper that is not there: one line naming it
            Files.writeString(configFile, "{\"credsStore\":\"absent\"}");
            assertThatThrownBy(() -> opened(RegistryClient.builder().dockerConfig(DockerConfig.read(configFile, path)))
                    .pull(remote(image), newStore(), AMD64, PullListener.NONE))
                    .isInstanceOf(RegistryException.class)
                    .hasMessage("docker config " + configFile + ": credsStore helper docker-credential-absent is not on the PATH (" + path + ")");
            Files.writeString(configFile, "{\"credsStore\":\"../evil\"}");
            assertThatThrownBy(() -> DockerConfig.read(configFile, path)).hasMessageContaining("credsStore '../evil' is not a credential helper's name");
        }
    }

    @Test
    void aBearerTokenThatExpiresMidPullIsRenewedAndThePullGoesOn() throws Exception {
        Credentials bob = new Credentials("bob", "token-pass");
        try (RegistryProxy guarded = new RegistryProxy(registry.host())) {
            guarded.requireBearer(new RegistryProxy.Bearer(Set.of("test/busy"), Optional.of(bob)));
            String image = guarded.host() + "/test/busy:v1";
            Path blobs = newStore();
            AtomicInteger done = new AtomicInteger();
            PullListener expireAfterTheFirstBlob = new PullListener() {
                @Override
                public void blobDone(Descriptor blob) {
                    if (done.incrementAndGet() == 1) {
                        guarded.expireTokens();
                    }
                }
            };
            PullResult r = opened(RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json")))
                    .credentials(guarded.host(), bob).parallelDownloads(1))
                    .pull(remote(image), blobs, AMD64, expireAfterTheFirstBlob);
            r.layers().forEach(l -> assertVerified(blobs, l));
            assertThat(done).hasValue(4);
            assertThat(guarded.tokenRequests).as("the first token, then one more when it expired").hasSize(2)
                    .allSatisfy(t -> assertThat(t.user()).contains("bob"));
        }
    }

    @Test
    void aCorruptBlobIsRefusedNamingImageAndBlobAndLeavesNothingOfIt() throws Exception {
        Path blobs = newStore();
        Descriptor big = layers("test/busy:v1").get(2);
        try (RegistryProxy corrupting = new RegistryProxy(registry.host())) {
            corrupting.corrupt.add(big.digest().toString());
            String image = corrupting.host() + "/test/busy:v1";
            assertThatThrownBy(() -> client().pull(remote(image), blobs, AMD64, PullListener.NONE))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageStartingWith(image + ": blob " + big.digest() + " does not match its digest (got sha256:")
                    .hasMessageEndingWith("); nothing stored");
        }
        assertThat(big.digest().pathUnder(blobs)).doesNotExist();
        assertThat(partials(blobs)).isEmpty();
        // no manifest either: a stored manifest means its blobs are all there
        try (Stream<Path> s = Files.list(blobs.resolve("sha256"))) {
            assertThat(s.filter(p -> !p.toString().endsWith(".lock")).count()).isLessThanOrEqualTo(3);
        }
    }

    @Test
    void aDroppedConnectionIsResumedWithARangeRequest() throws Exception {
        Path blobs = newStore();
        Descriptor big = layers("test/busy:v1").get(2);
        try (RegistryProxy dropping = new RegistryProxy(registry.host())) {
            long cut = big.size() / 2;
            dropping.dropOnce.put(big.digest().toString(), cut);
            RecordingListener events = new RecordingListener();
            PullResult r = client().pull(remote(dropping.host() + "/test/busy:v1"), blobs, AMD64, events);
            assertVerified(blobs, r.layers().get(2));
            List<RegistryProxy.Request> gets = dropping.blobRequests(big.digest());
            assertThat(gets).hasSize(2);
            assertThat(gets.get(0).range()).isEmpty();
            assertThat(gets.get(1).range()).hasValueSatisfying(range -> {
                long from = Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
                assertThat(from).isPositive().isLessThanOrEqualTo(cut);
            });
            assertThat(events.retries).hasSize(1).allSatisfy(s -> assertThat(s).startsWith(big.digest() + " at "));
        }
    }

    @Test
    void aConnectionThatFallsSilentIsClosedAfterTheStallTimeoutAndResumed() throws Exception {
        Path blobs = newStore();
        Descriptor big = layers("test/busy:v1").get(2);
        try (RegistryProxy silent = new RegistryProxy(registry.host());
             RegistryClient impatient = RegistryClient.builder().dockerConfig(DockerConfig.read(DIR.resolve("none.json")))
                     .stallTimeout(java.time.Duration.ofMillis(500)).build()) {
            silent.stallOnce.put(big.digest().toString(), 100_000L);
            RecordingListener events = new RecordingListener();
            long t0 = System.nanoTime();
            PullResult r = impatient.pull(remote(silent.host() + "/test/busy:v1"), blobs, AMD64, events);
            assertVerified(blobs, r.layers().get(2));
            assertThat(events.retries).hasSize(1).allSatisfy(s -> assertThat(s).contains("nothing received for"));
            assertThat(silent.blobRequests(big.digest())).hasSize(2);
            assertThat(silent.blobRequests(big.digest()).get(1).range()).hasValueSatisfying(v -> assertThat(v).startsWith("bytes="));
            assertThat(System.nanoTime() - t0).as("the pull waited for the stall timeout, not for the silent server")
                    .isLessThan(TimeUnit.SECONDS.toNanos(60));
        }
    }

    @Test
    void aBusyOrFailingRegistryIsAskedAgainAndANotFoundBlobIsAnError() throws Exception {
        Path blobs = newStore();
        List<Descriptor> layers = layers("test/busy:v1");
        try (RegistryProxy flaky = new RegistryProxy(registry.host())) {
            flaky.failOnce.put(layers.get(1).digest().toString(), 503);
            flaky.failOnce.put(layers.get(2).digest().toString(), 429);
            RecordingListener events = new RecordingListener();
            PullResult r = client().pull(remote(flaky.host() + "/test/busy:v1"), blobs, AMD64, events);
            r.layers().forEach(l -> assertVerified(blobs, l));
            assertThat(events.retries).hasSize(2).anySatisfy(s -> assertThat(s).contains("the registry answered 503 (UNAVAILABLE: try again)"))
                    .anySatisfy(s -> assertThat(s).contains("the registry answered 429"));
        }
        // a manifest naming a blob the registry does not have
        try (RegistryProxy proxy404 = new RegistryProxy(registry.host())) {
            proxy404.failOnce.put(layers.get(0).digest().toString(), 404);
            Path other = newStore();
            String image = proxy404.host() + "/test/busy:v1";
            assertThatThrownBy(() -> client().pull(remote(image), other, AMD64, PullListener.NONE))
                    .hasMessage(image + ": blob " + layers.get(0).digest() + ": not found in the registry (404 UNAVAILABLE: try again)");
            assertThat(layers.get(0).digest().pathUnder(other)).doesNotExist();
            assertThat(partials(other)).isEmpty();
        }
    }

    @Test
    void aRegistryThatDoesNotResumeIsReadAgainFromTheStart() throws Exception {
        Path blobs = newStore();
        Descriptor big = layers("test/busy:v1").get(2);
        try (RegistryProxy dropping = new RegistryProxy(registry.host())) {
            dropping.dropOnce.put(big.digest().toString(), big.size() / 3);
            dropping.ignoreRange = true;
            PullResult r = client().pull(remote(dropping.host() + "/test/busy:v1"), blobs, AMD64, PullListener.NONE);
            assertVerified(blobs, r.layers().get(2));
            List<RegistryProxy.Request> gets = dropping.blobRequests(big.digest());
            assertThat(gets).hasSize(2);
            assertThat(gets.get(1).range()).isPresent(); // asked to resume, answered 200 with the whole blob
        }
    }

    @Test
    void aConnectionThatKeepsDroppingFailsAfterTheBoundedRetriesLeavingNothing() throws Exception {
        Path blobs = newStore();
        Descriptor big = layers("test/busy:v1").get(2);
        try (RegistryProxy dropping = new RegistryProxy(registry.host())) {
            dropping.dropAlways.add(big.digest().toString());
            String image = dropping.host() + "/test/busy:v1";
            RecordingListener events = new RecordingListener();
            assertThatThrownBy(() -> client().pull(remote(image), blobs, AMD64, events))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageStartingWith(image + ": blob " + big.digest() + ": ")
                    .hasMessageEndingWith(", and " + RegistryClient.MAX_RETRIES + " retries did not finish it")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            assertThat(dropping.blobRequests(big.digest())).hasSize(RegistryClient.MAX_RETRIES + 1);
            assertThat(events.retries).hasSize(RegistryClient.MAX_RETRIES);
            // every attempt resumed where the last stopped
            assertThat(dropping.blobRequests(big.digest()).get(RegistryClient.MAX_RETRIES).range()).contains("bytes=3000-");
        }
        assertThat(big.digest().pathUnder(blobs)).doesNotExist();
        assertThat(partials(blobs)).isEmpty();
    }

    @Test
    void twoThreadsPullingOneImageDownloadEachBlobOnce() throws Exception {
        Path blobs = newStore();
        try (RegistryProxy slow = new RegistryProxy(registry.host())) {
            slow.blobDelay = java.time.Duration.ofMillis(300);
            String image = slow.host() + "/test/busy:v1";
            List<PullResult> results = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        results.add(client().pull(remote(image), blobs, AMD64, PullListener.NONE));
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertThat(errors).isEmpty();
            assertThat(results).hasSize(2);
            PullResult r = results.get(0);
            for (Descriptor d : Stream.concat(Stream.of(r.config()), r.layers().stream()).toList()) {
                assertThat(slow.blobDownloads(d.digest())).as("downloads of " + d.digest()).isEqualTo(1);
                assertVerified(blobs, d);
            }
        }
    }

    @Test
    void twoJvmsPullingOneImageDownloadEachBlobOnce() throws Exception {
        Path blobs = newStore();
        try (RegistryProxy slow = new RegistryProxy(registry.host())) {
            slow.blobDelay = java.time.Duration.ofMillis(500);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<Process> children = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                children.add(new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), PullChild.class.getName(),
                        slow.host(), "test/busy", "v1", blobs.toString())
                        .redirectError(DIR.resolve("child-" + i + ".err").toFile()).start());
            }
            List<String> digests = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Process p = children.get(i);
                digests.add(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
                assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
                assertThat(p.exitValue()).as(Files.readString(DIR.resolve("child-" + i + ".err"))).isZero();
            }
            assertThat(digests.get(0)).startsWith("sha256:").isEqualTo(digests.get(1));
            for (Descriptor d : layers("test/busy:v1")) {
                assertThat(slow.blobDownloads(d.digest())).as("downloads of " + d.digest()).isEqualTo(1);
                assertVerified(blobs, d);
            }
        }
    }

    @Test
    void zstdAndUncompressedLayersPassThroughAsBlobs() throws Exception {
        Path layout = DIR.resolve("oci-compression");
        TestImages.image(layout, "plain", "amd64", 31, 128 << 10);
        Path zstd = DIR.resolve("oci-zstd");
        TestRegistry.run(List.of("skopeo", "--insecure-policy", "copy", "-q", "--dest-compress", "--dest-compress-format", "zstd",
                "oci:" + layout + ":plain", "oci:" + zstd + ":zstd"));
        registry.push(zstd, "zstd", "test/zstd:v1");
        // skopeo compresses what it pushes to a registry: it makes the uncompressed image as a directory,
        // and the test uploads its blobs and manifest as they are through the distribution API
        Path dir = DIR.resolve("dir-uncompressed");
        TestRegistry.run(List.of("skopeo", "--insecure-policy", "copy", "-q", "--dest-decompress", "oci:" + layout + ":plain", "dir:" + dir));
        byte[] manifest = Files.readAllBytes(dir.resolve("manifest.json"));
        Manifests.Manifest m = (Manifests.Manifest) Manifests.parse(MediaTypes.OCI_MANIFEST, manifest, "dir manifest");
        for (Descriptor d : Stream.concat(Stream.of(m.config()), m.layers().stream()).toList()) {
            uploadBlob("test/uncompressed", d.digest(), Files.readAllBytes(dir.resolve(d.digest().hex())));
        }
        putManifest("test/uncompressed", "v1", MediaTypes.OCI_MANIFEST, new String(manifest, StandardCharsets.UTF_8));

        Path blobs = newStore();
        PullResult z = client().pull(remote(registry.host() + "/test/zstd:v1"), blobs, AMD64, PullListener.NONE);
        assertThat(z.layers()).hasSize(2).allSatisfy(l -> {
            assertThat(l.mediaType()).isEqualTo("application/vnd.oci.image.layer.v1.tar+zstd");
            assertVerified(blobs, l);
            assertThat(head(l.digest().pathUnder(blobs), 4)).isEqualTo(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd});
        });
        PullResult u = client().pull(remote(registry.host() + "/test/uncompressed:v1"), blobs, AMD64, PullListener.NONE);
        assertThat(u.layers()).hasSize(2).allSatisfy(l -> {
            assertThat(l.mediaType()).isEqualTo("application/vnd.oci.image.layer.v1.tar");
            assertVerified(blobs, l);
            byte[] header = head(l.digest().pathUnder(blobs), 262);
            assertThat(new String(header, 257, 5, StandardCharsets.US_ASCII)).isEqualTo("ustar");
        });
    }

    // ---- helpers

    /** The layers of an image in the registry, as its manifest lists them. */
    static List<Descriptor> layers(String repoAndTag) throws Exception {
        String[] parts = repoAndTag.split(":");
        byte[] body = getManifest(parts[0], parts[1]).body();
        return ((Manifests.Manifest) Manifests.parse(MediaTypes.OCI_MANIFEST, body, repoAndTag)).layers();
    }

    static HttpResponse<byte[]> getManifest(String repo, String ref) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + registry.host() + "/v2/" + repo + "/manifests/" + ref))
                .header("Accept", MediaTypes.ACCEPT).GET().build();
        HttpResponse<byte[]> r = HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).as("GET " + req.uri()).isEqualTo(200);
        return r;
    }

    static Descriptor headManifest(String repo, String ref) throws Exception {
        HttpResponse<byte[]> r = getManifest(repo, ref);
        return new Descriptor(Manifests.baseType(r.headers().firstValue("Content-Type").orElseThrow()), Digest.sha256(r.body()), r.body().length);
    }

    static void putManifest(String repo, String ref, String mediaType, String body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + registry.host() + "/v2/" + repo + "/manifests/" + ref))
                .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("PUT " + req.uri() + ": " + r.body()).isEqualTo(201);
    }

    /** A blob upload as the distribution spec's monolithic PUT: POST for a session, then PUT the bytes with the digest. */
    static void uploadBlob(String repo, Digest d, byte[] bytes) throws Exception {
        HttpClient http = HTTP;
        URI start = URI.create("http://" + registry.host() + "/v2/" + repo + "/blobs/uploads/");
        HttpResponse<String> session = http.send(HttpRequest.newBuilder(start).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(session.statusCode()).as("POST " + start + ": " + session.body()).isEqualTo(202);
        String location = session.headers().firstValue("Location").orElseThrow();
        URI put = start.resolve(location + (location.contains("?") ? "&" : "?") + "digest=" + d);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(put).header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("PUT " + put + ": " + r.body()).isEqualTo(201);
    }

    /** The blob is in the store, of the descriptor's size, and hashes to its digest. */
    static void assertVerified(Path blobs, Descriptor d) {
        Path p = d.digest().pathUnder(blobs);
        try {
            assertThat(p).isRegularFile();
            assertThat(Files.size(p)).as("size of " + p).isEqualTo(d.size());
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(p)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
            assertThat(HexFormat.of().formatHex(md.digest())).as("sha256 of " + p).isEqualTo(d.digest().hex());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static List<Path> partials(Path blobs) {
        return Fixtures.list(blobs.resolve("tmp"));
    }

    static byte[] head(Path p, int n) throws IOException {
        try (var in = Files.newInputStream(p)) {
            return in.readNBytes(n);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
