package io.mdocker.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.DataSize;
import io.mdocker.DetachedContainer;
import io.mdocker.ExecResult;
import io.mdocker.Network;
import io.mdocker.RunningContainer;
import io.mdocker.Wait;
import io.mdocker.testing.Fixtures;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's code, compiled by the build so that it cannot drift from the API: every {@code java}
 * block of README.md is one of the regions marked {@code README snippet begin}/{@code end} here or in
 * {@link HelloSandboxTest} (compared line by line, leading blanks, blank lines and imports aside), each
 * region is in the README, and the README's imports are imports of these two files. The one-shot and
 * handle snippets run against real containers (on the default state roots, as the README's code
 * does); the networked and detached ones are compiled only, as they would make the default bridge
 * mdocker0 and a container that outlives the test. The quick start runs as {@link HelloSandboxTest}.
 * The Maven snippet is held to the parent pom's plugin versions, argLine and version.
 */
class ReadmeSnippetsTest {
    private static final Path README = Path.of("..", "README.md");
    private static final List<Path> SOURCES = List.of(Path.of("src/test/java/io/mdocker/examples/ReadmeSnippetsTest.java"),
            Path.of("src/test/java/io/mdocker/examples/HelloSandboxTest.java"));

    static ExecResult oneShot(Path rootfs) {
        // README snippet begin
        // one-shot: run to the end, capture exit code and output
        ExecResult r = Container.builder()
                .rootfs(rootfs)                                      // the overlay's lower layer, never written
                .hostname("box").env("GREETING", "hi")
                .memory(DataSize.ofMiB(64)).cpus(0.5).pidsLimit(64)  // cgroup limits
                .run("/bin/sh", "-c", "echo $GREETING from $(hostname)");
        r.exitCode(); r.stdout(); r.stderr(); r.oomKilled();
        // README snippet end
        return r;
    }

    static void handle(Path rootfs, Path config) {
        // README snippet begin
        // long-lived: a handle that owns what was made for it; close() removes all of it
        try (RunningContainer c = Container.builder().rootfs(rootfs).start("sleep", "600")) {
            ExecResult ps = c.exec("ps");                            // as docker exec
            c.copyIn(config, "/etc/app.conf");                       // and copyOut(...)
            c.stats(); c.logs(); c.pause(); c.unpause();
            int exitCode = c.stop(Duration.ofSeconds(5));            // SIGTERM, then SIGKILL
        }
        // README snippet end
    }

    /** Compiled, not run: it would make the default bridge mdocker0 on the test machine. */
    static void networked(Path rootfs) {
        // README snippet begin
        // networked: a bridge, port 80 published on a free host port, a readiness wait
        try (RunningContainer web = Container.builder().rootfs(rootfs)
                .network(Network.bridge())                           // none() is the library's default
                .publish("127.0.0.1", 0, 80)
                .start("httpd", "-f", "-p", "80")) {
            web.await(Wait.forHttp(80, "/").forStatusMatching(s -> s < 500, "any answer"));
            URI uri = URI.create("http://" + web.host() + ":" + web.mappedPort(80) + "/");
        }
        // README snippet end
    }

    /** Compiled, not run: its container would outlive the test. */
    static void detached(Path rootfs) {
        // README snippet begin
        // detached: outlives this JVM; any process finds it by id, unique prefix or name
        DetachedContainer d = Container.builder().rootfs(rootfs).name("worker").startDetached("sleep", "600");
        ContainerRuntime.defaults().attach("worker").stop(Duration.ofSeconds(1));
        d.remove(false);
        // README snippet end
    }

    @Test
    void theOneShotSnippetRuns() {
        ExecResult r = oneShot(Fixtures.rootfs());
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("hi from box\n");
        assertThat(r.oomKilled()).isFalse();
    }

    @Test
    void theHandleSnippetRuns() throws IOException {
        Path config = Files.createDirectories(Fixtures.TARGET.resolve("readme-snippets")).resolve("app.conf");
        Files.writeString(config, "key=value\n");
        handle(Fixtures.rootfs(), config);
    }

    @Test
    void theReadmeShowsExactlyTheseSnippets() throws IOException {
        String readme = Files.readString(README);
        List<List<String>> regions = new ArrayList<>();
        StringBuilder imports = new StringBuilder();
        for (Path source : SOURCES) {
            String text = Files.readString(source);
            regions.addAll(regions(text));
            text.lines().filter(l -> l.startsWith("import ")).forEach(l -> imports.append(l).append('\n'));
        }
        List<List<String>> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(readme);
        while (m.find()) {
            for (String line : m.group(1).lines().toList()) {
                if (line.startsWith("import ")) {
                    assertThat(imports.toString()).as("README's import in " + SOURCES).contains(line + "\n");
                }
            }
            blocks.add(normalized(m.group(1)));
        }
        assertThat(blocks).as("java blocks of README.md").isNotEmpty();
        assertThat(regions).as("README snippet regions of " + SOURCES).containsExactlyInAnyOrderElementsOf(blocks);
    }

    /**
     * The README's Maven snippet pins the compiler and surefire plugins at the versions this build
     * uses (the parent pom's), passes the argLine the build passes, and names this version.
     */
    @Test
    void theMavenSnippetMatchesTheBuild() throws IOException {
        String readme = Files.readString(README);
        Matcher block = Pattern.compile("```xml\n(.*?)```", Pattern.DOTALL).matcher(readme);
        assertThat(block.find()).as("an xml block in README.md").isTrue();
        String xml = block.group(1).replaceAll("\\s+", "");
        String parent = Files.readString(Path.of("..", "pom.xml")).replaceAll("\\s+", "");
        for (String plugin : List.of("maven-compiler-plugin", "maven-surefire-plugin")) {
            Matcher v = Pattern.compile("<artifactId>" + plugin + "</artifactId><version>([^<]+)</version>").matcher(parent);
            assertThat(v.find()).as(plugin + " pinned in the parent pom").isTrue();
            assertThat(xml).as("README's " + plugin).contains("<artifactId>" + plugin + "</artifactId><version>" + v.group(1) + "</version>");
        }
        Matcher access = Pattern.compile("<native.access>([^<]+)</native.access>").matcher(parent);
        assertThat(access.find()).isTrue();
        assertThat(xml).contains("<argLine>" + access.group(1) + "</argLine>");
        Matcher version = Pattern.compile("<artifactId>mdocker-parent</artifactId><version>([^<]+)</version>").matcher(parent);
        assertThat(version.find()).isTrue();
        assertThat(xml).contains("<artifactId>mdocker-bom</artifactId><version>" + version.group(1) + "</version>");
    }

    private static List<List<String>> regions(String source) {
        List<List<String>> found = new ArrayList<>();
        Matcher m = Pattern.compile("// README snippet begin\n(.*?)\n\\s*// README snippet end", Pattern.DOTALL).matcher(source);
        while (m.find()) {
            found.add(normalized(m.group(1)));
        }
        return found;
    }

    /** The lines without leading and trailing blanks, blank lines and imports. */
    private static List<String> normalized(String code) {
        return code.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("import ")).toList();
    }
}
