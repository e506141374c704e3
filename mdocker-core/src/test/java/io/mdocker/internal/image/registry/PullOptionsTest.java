package io.mdocker.internal.image.registry;

import io.mdocker.Container;
import io.mdocker.ExecResult;
import io.mdocker.Image;
import io.mdocker.ImageStore;
import io.mdocker.PullOptions;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The public pull options ({@link ImageStore#pull(String, PullOptions)}) against Debian's registry
 * on loopback addresses: credentials given by the caller to an htpasswd registry, a bearer token
 * given as it is to a registry guarded by the bearer flow (the token service not asked), a plain
 * http registry on 127.0.0.2 reached only when named insecure, and the options' own refusals.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class PullOptionsTest {
    static final Path DIR = Fixtures.TARGET.resolve("pull-options");
    static Path layout;
    final List<String> pulled = new ArrayList<>();

    @BeforeAll
    static void image() throws Exception {
        TestRegistry.prerequisites();
        RegistryPullTest.deleteTree(DIR);
        Files.createDirectories(DIR);
        layout = TestImages.image(DIR.resolve("oci"), "v1", "amd64", 81, 32 << 10);
    }

    @AfterEach
    void removeImages() {
        ImageStore store = ImageStore.of(Fixtures.RUNTIME);
        pulled.forEach(ref -> store.inspect(ref).ifPresent(i -> store.remove(ref, true)));
    }

    private Image pull(String ref, PullOptions options) {
        pulled.add(ref);
        return ImageStore.of(Fixtures.RUNTIME).pull(ref, options);
    }

    @Test
    void credentialsGivenByTheCallerAreUsedAndAWrongPasswordIsAOneLineRefusal() throws Exception {
        Credentials alice = new Credentials("alice", "opt-pass");
        try (TestRegistry secured = TestRegistry.start(DIR.resolve("registry-basic"), Optional.of(alice))) {
            secured.push(layout, "v1", "private/opt:v1");
            String ref = secured.host() + "/private/opt:v1";
            assertThatThrownBy(() -> pull(ref, PullOptions.defaults()))
                    .hasMessageContaining("the registry asks for credentials").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            assertThatThrownBy(() -> pull(ref, PullOptions.builder().credentials(secured.host(), "alice", "wrong-pass").build()))
                    .hasMessageContaining("the registry refused the credentials of user alice")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-pass").doesNotContain("\n"));
            assertThat(ImageStore.of(Fixtures.RUNTIME).inspect(ref)).isEmpty();

            PullOptions good = PullOptions.builder().credentials(secured.host(), "alice", "opt-pass").build();
            assertThat(good.toString()).doesNotContain("opt-pass");
            assertThat(good.registriesWithCredentials()).containsExactly(secured.host());
            Image image = pull(ref, good);
            assertThat(image.names()).contains(ref);
            assertThat(image.layers()).isEqualTo(2);

            // the builder's pull on first use takes the same options
            ImageStore.of(Fixtures.RUNTIME).remove(ref, true);
            assertThatThrownBy(() -> Container.builder().image(ref).runtime(Fixtures.RUNTIME).build())
                    .hasMessageContaining("the registry asks for credentials");
            ExecResult r = Container.builder().image(ref).pullOptions(good).runtime(Fixtures.RUNTIME).run("/bin/cat", "/etc/image-seed");
            assertThat(r.stdout()).as(r.stderr()).isEqualTo("v1 amd64 81\n");
        }
    }

    @Test
    void aBearerTokenGivenByTheCallerIsSentAsItIsWithoutAskingTheTokenService() throws Exception {
        try (TestRegistry plain = TestRegistry.start(DIR.resolve("registry-token"));
             RegistryProxy guarded = new RegistryProxy(plain.host());
             HttpClient http = HttpClient.newHttpClient()) {
            plain.push(layout, "v1", "test/tok:v1");
            guarded.requireBearer(new RegistryProxy.Bearer(Set.of("test/tok"), Optional.empty()));
            // a token from the token service, as a CI system would hand one to the test
            HttpResponse<String> t = http.send(HttpRequest.newBuilder(URI.create("http://" + guarded.host()
                    + "/token?service=mdocker-test&scope=repository:test/tok:pull")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(t.statusCode()).isEqualTo(200);
            String token = t.body().replaceAll(".*\"token\":\"([^\"]+)\".*", "$1");
            String ref = guarded.host() + "/test/tok:v1";

            assertThatThrownBy(() -> pull(ref, PullOptions.builder().token(guarded.host(), "not-a-granted-token").build()))
                    .hasMessageContaining("401 Unauthorized: the registry refused the token given for it");
            Image image = pull(ref, PullOptions.builder().token(guarded.host(), token).build());
            assertThat(image.names()).contains(ref);
            assertThat(guarded.tokenRequests).as("only the test's own request").hasSize(1);
            assertThat(guarded.requests).filteredOn(r -> r.path().startsWith("/v2/test/tok/"))
                    .allSatisfy(r -> assertThat(r.authorization()).isPresent());
        }
    }

    @Test
    void aPlainHttpRegistryOffTheLoopbacksNamesIsReachedOnlyWhenNamedInsecure() throws Exception {
        try (TestRegistry plain = TestRegistry.startOn(DIR.resolve("registry-insecure"), "127.0.0.2")) {
            plain.push(layout, "v1", "test/ins:v1");
            String ref = plain.host() + "/test/ins:v1";
            assertThatThrownBy(() -> pull(ref, PullOptions.defaults()))
                    .hasMessageContaining(plain.host()).hasMessageContaining("SSL")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            Image image = pull(ref, PullOptions.builder().insecure(plain.host()).build());
            assertThat(image.names()).contains(ref);
        }
    }

    @Test
    void optionsRefuseWhatIsNoRegistryOrNoCredentialBeforeAnyPull() {
        assertThatThrownBy(() -> PullOptions.builder().insecure("host/path"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("registry 'host/path': expected host or host:port (as in host:5000/app:1)");
        assertThatThrownBy(() -> PullOptions.builder().credentials("r.example", "", "p"))
                .hasMessage("credentials for registry r.example: the user name is empty");
        assertThatThrownBy(() -> PullOptions.builder().token("r.example", "two words"))
                .hasMessage("token for registry r.example: expected a non-empty token of printable ASCII without spaces");
        assertThatThrownBy(() -> ImageStore.of(Fixtures.RUNTIME).pull("Upper/Case", PullOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class);
        PullOptions o = PullOptions.builder().insecure("Reg.Example:5000").token("a.example", "t").credentials("a.example", "u", "p").build();
        assertThat(o.insecureRegistries()).containsExactly("reg.example:5000");
        assertThat(o.registriesWithCredentials()).containsExactly("a.example");
        assertThat(o.progress()).isEmpty();
        assertThat(o.newBuilder().build().insecureRegistries()).isEqualTo(o.insecureRegistries());
    }
}
