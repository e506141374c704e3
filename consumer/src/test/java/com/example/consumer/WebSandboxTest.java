package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.ExecResult;
import io.mdocker.RunningContainer;
import io.mdocker.Wait;
import io.mdocker.junit.MdockerTest;
import io.mdocker.junit.Sandbox;
import io.mdocker.junit.SandboxContainer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a user's test does with mdocker-junit: a busybox httpd in a sandbox of its own for each
 * test, its port 80 published on a free port of 127.0.0.1 and read from the host with the JDK's
 * HttpClient, and commands exec'd into it.
 */
@MdockerTest
class WebSandboxTest {
    private static final Path TARGET = Path.of("target").toAbsolutePath();
    /** State roots of this project's own (ContainerRuntime.defaults() would do as well). */
    private static final ContainerRuntime RUNTIME = ContainerRuntime.at(TARGET.resolve("mdocker/lib"),
            TARGET.resolve("mdocker/run"));

    @Sandbox
    SandboxContainer web = SandboxContainer.of(Container.builder()
                    .rootfs(TestMachine.ROOTFS).runtime(RUNTIME).hostname("web")
                    .network(TestMachine.bridge()).publish("127.0.0.1", 0, 80)
                    .command("/bin/sh", "-c", "mkdir -p /www && echo \"hello from $(hostname)\" > /www/index.html"
                            + " && exec httpd -f -p 80 -h /www")
                    .build())
            .waitingFor(Wait.forHttp(80, "/index.html"));

    @BeforeAll
    static void machine() {
        TestMachine.prepare();
    }

    @AfterAll
    static void removeTheBridge() {
        TestMachine.cleanUp(); // the sandboxes, one per test, are closed by now
    }

    private HttpResponse<String> get(String path) throws Exception {
        URI uri = URI.create("http://" + web.host() + ":" + web.mappedPort(80) + path);
        try (HttpClient client = HttpClient.newHttpClient()) {
            return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void servesItsPageOnAPublishedPortOfTheHost() throws Exception {
        assertEquals("127.0.0.1", web.host());
        assertNotEquals(80, web.mappedPort(80), "host port 0 asks the kernel for a free port");
        HttpResponse<String> r = get("/index.html");
        assertEquals(200, r.statusCode());
        assertEquals("hello from web\n", r.body());
        assertEquals(404, get("/missing.html").statusCode());
    }

    @Test
    void execRunsInsideTheSameContainer(@Sandbox("web") RunningContainer server) throws Exception {
        assertSame(web.container(), server);
        assertTrue(server.isRunning());
        ExecResult r = server.exec("sh", "-c", "echo changed by exec > /www/index.html; hostname; id -u; pidof httpd");
        assertEquals(0, r.exitCode(), r.stderr());
        String[] lines = r.stdout().split("\n");
        assertEquals("web", lines[0]);
        assertEquals("0", lines[1]);
        assertTrue(lines[2].matches("[0-9]+"), "httpd runs in the container: " + r.stdout());
        assertEquals("changed by exec\n", get("/index.html").body());
        assertEquals(3, server.exec("sh", "-c", "echo to stderr >&2; exit 3").exitCode());
        assertEquals("to stderr\n", server.exec("sh", "-c", "echo to stderr >&2").stderr());
    }

    @Test
    void eachTestGetsAFreshSandbox() throws Exception {
        assertEquals("hello from web\n", get("/index.html").body(), "the other test's change is not seen here");
        assertTrue(web.startToReady().compareTo(Duration.ofSeconds(10)) < 0, "ready in " + web.startToReady());
    }
}
