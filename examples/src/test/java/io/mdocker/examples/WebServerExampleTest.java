package io.mdocker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.RunningContainer;
import io.mdocker.junit.MdockerTest;
import io.mdocker.junit.Sandbox;
import io.mdocker.junit.SandboxContainer;
import io.mdocker.testing.TestBridge;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The JUnit example: a web server in a sandbox of its own for each test (busybox httpd serving a
 * page copied in), reached through its published port on 127.0.0.1, ready once it answers HTTP.
 * The test bridge goes after the class, once its sandboxes are closed ({@code @TestBridge} before
 * {@code @MdockerTest}).
 */
@TestBridge(name = ExampleNet.BRIDGE, address = ExampleNet.BRIDGE_ADDRESS)
@MdockerTest
class WebServerExampleTest {
    static final Path SITE = site();

    @Sandbox
    SandboxContainer web = WebServer.sandbox(ExampleNet.bridge(), SITE);

    private static Path site() {
        try {
            Path dir = Files.createDirectories(ExampleSetup.dir().resolve("site"));
            Files.writeString(dir.resolve("index.html"), "<h1>hello from a sandbox</h1>\n");
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> get(String path) throws Exception {
        URI uri = URI.create("http://" + web.host() + ":" + web.mappedPort(80) + path);
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void servesThePageCopiedIn() throws Exception {
        HttpResponse<String> r = get("/index.html");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("<h1>hello from a sandbox</h1>\n");
        assertThat(web.host()).isEqualTo("127.0.0.1");
        assertThat(web.startToReady()).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void answers404ForWhatIsNotThere(@Sandbox("web") RunningContainer server) throws Exception {
        assertThat(get("/missing.html").statusCode()).isEqualTo(404);
        assertThat(server).isSameAs(web.container());
        assertThat(server.ipAddress()).hasValueSatisfying(ip -> assertThat(ip).startsWith("10.201.7."));
    }
}
