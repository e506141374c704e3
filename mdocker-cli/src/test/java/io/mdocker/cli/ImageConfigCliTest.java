package io.mdocker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mdocker.testing.TestBridge;
import io.mdocker.testing.TestImages;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The image's config applied after the start, as the CLI's user sees it: StopSignal and
 * {@code --stop-signal}; ExposedPorts and {@code -P} (on the test bridge mdt81; traffic only to
 * 127.0.0.1).
 */
@TestBridge(name = ImageConfigCliTest.BRIDGE, address = ImageConfigCliTest.BIP)
class ImageConfigCliTest {
    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final Path STATE = TARGET.resolve("cli-image-config-state");
    static final String BRIDGE = "mdt81";
    static final String BIP = "10.201.81.1/24";

    @BeforeAll
    static void prerequisites() throws Exception {
        MainTest.prerequisites();
        Path layout = TestImages.umociLayout(TARGET.resolve("cli-image-config-fixture"));
        TestImages.stopTag(layout);
        TestImages.webTag(layout);
        TestImages.run("rm", "-rf", STATE.toString());
        assertThat(cli("load", "-i", "oci:" + layout + ":stop", "--name", "cfg/stop:1").status()).isZero();
        assertThat(cli("load", "-i", "oci:" + layout + ":web", "--name", "cfg/web:1").status()).isZero();
    }

    /** Detached containers outlive the JVM: what a failed test left goes before the bridge does. */
    @AfterAll
    static void removeWhatAFailureLeft() {
        io.mdocker.ContainerRuntime rt = RunCommand.runtime(STATE);
        for (io.mdocker.ContainerInfo c : rt.list()) {
            rt.attach(c.id()).remove(true);
        }
    }

    private static Cli.Out cli(String verb, String... args) {
        List<String> all = new ArrayList<>(List.of(verb.split(" ")));
        all.addAll(List.of("--state-root", STATE.toString()));
        all.addAll(List.of(args));
        return Cli.captured(all);
    }

    /** Starts the image detached, waits for its traps, stops it with {@code mdocker stop -t SECONDS}; its exit code. */
    private static String runAndStop(String seconds, String... runArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("-d", "--network", "none"));
        args.addAll(List.of(runArgs));
        args.add("cfg/stop:1");
        Cli.Out run = cli("run", args.toArray(String[]::new));
        assertThat(run.status()).as(run.stderr()).isZero();
        String id = run.stdout().trim().substring(0, 12);
        try {
            long end = System.nanoTime() + 20_000_000_000L;
            while (cli("exec", id, "/bin/ls", "/ready").status() != 0) {
                assertThat(System.nanoTime()).as("the entrypoint's traps set within 20 s").isLessThan(end);
                Thread.sleep(50);
            }
            assertThat(cli("stop", "-t", seconds, id).status()).isZero();
            return cli("wait", id).stdout().trim();
        } finally {
            cli("rm", "-f", id);
        }
    }

    @Test
    void stopSendsTheImagesStopSignalOrTheOneGiven() throws Exception {
        assertThat(runAndStop("20")).as("the image's SIGINT, trapped: exit 42").isEqualTo("42");
        assertThat(runAndStop("20", "--stop-signal", "SIGUSR1")).as("--stop-signal SIGUSR1: exit 44").isEqualTo("44");
        assertThat(runAndStop("20", "--stop-signal", "15")).as("--stop-signal 15: exit 43").isEqualTo("43");
        assertThat(runAndStop("1", "--stop-signal", "HUP")).as("HUP ignored, then SIGKILL").isEqualTo("137");
        Cli.Out bad = cli("run", "--network", "none", "--stop-signal", "BOGUS", "cfg/stop:1");
        assertThat(bad.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(bad.stderr()).startsWith("mdocker: unknown signal 'BOGUS': expected one of").hasLineCount(1);
    }

    @Test
    void dashCapitalPPublishesTheImagesTcpPorts() throws Exception {
        Cli.Out run = cli("run", "-d", "--network", "bridge", "--bridge", BRIDGE, "--bip", BIP, "-P", "cfg/web:1");
        assertThat(run.status()).as(run.stderr()).isZero();
        String id = run.stdout().trim().substring(0, 12);
        try {
            List<String> published = run.stderr().lines().toList();
            assertThat(published).hasSize(2);
            assertThat(published.get(0)).matches("mdocker: published 127\\.0\\.0\\.1:[1-9][0-9]*->80/tcp");
            assertThat(published.get(1)).matches("mdocker: published 127\\.0\\.0\\.1:[1-9][0-9]*->8081/tcp");
            JsonNode inspected = new ObjectMapper().readTree(cli("inspect", id).stdout()).get(0);
            String port = inspected.at("/NetworkSettings/Ports/80~1tcp/0/HostPort").asText();
            assertThat(published.get(0)).contains(":" + port + "->");
            assertThat(inspected.at("/NetworkSettings/Ports/80~1tcp/0/HostIp").asText()).isEqualTo("127.0.0.1");
            assertThat(inspected.at("/NetworkSettings/Ports/53~1udp").isMissingNode()).as("udp is not published").isTrue();
            assertThat(httpGet(Integer.parseInt(port))).isEqualTo("hello\n");
        } finally {
            cli("rm", "-f", id);
        }
        Cli.Out none = cli("run", "--network", "none", "-P", "cfg/web:1");
        assertThat(none.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(none.stderr()).startsWith("mdocker: published port 127.0.0.1:0->80/tcp needs a bridge").hasLineCount(1);
    }

    private static String httpGet(int port) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return client.send(get, HttpResponse.BodyHandlers.ofString()).body();
            } catch (java.io.IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20); // httpd starting in the container
            }
        }
    }
}
