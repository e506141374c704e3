package io.mdocker.internal.image.registry;

import io.mdocker.testing.Fixtures;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Debian's {@code docker-registry} (distribution 2.8) started on 127.0.0.1 on a free port with its
 * storage in a directory of the test's, optionally behind htpasswd basic auth; and the tools that
 * make and push test images into it (umoci, skopeo). {@link #close()} kills the registry by its pid.
 */
final class TestRegistry implements AutoCloseable {
    static final Path BINARY = Path.of("/usr/bin/docker-registry");

    private final Process process;
    private final int port;
    private final Optional<Credentials> pushCredentials;

    private TestRegistry(Process process, int port, Optional<Credentials> pushCredentials) {
        this.process = process;
        this.port = port;
        this.pushCredentials = pushCredentials;
    }

    /** The tools these tests need, checked (failing under CI=true, aborting elsewhere). */
    static void prerequisites() {
        Fixtures.prerequisite(Files.isExecutable(BINARY), "Debian's docker-registry is needed (apt-get install docker-registry)");
        for (String tool : List.of("skopeo", "umoci", "htpasswd")) {
            Fixtures.prerequisite(onPath(tool), tool + " is needed (apt-get install skopeo umoci apache2-utils)");
        }
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** An anonymous registry storing under {@code dir}. */
    static TestRegistry start(Path dir) throws IOException, InterruptedException {
        return start(dir, Optional.empty());
    }

    /** A registry that wants basic auth (htpasswd, bcrypt) for {@code user}, storing under {@code dir}. */
    static TestRegistry start(Path dir, Optional<Credentials> user) throws IOException, InterruptedException {
        prerequisites();
        Files.createDirectories(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        StringBuilder yml = new StringBuilder("""
                version: 0.1
                log:
                  level: error
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                """.formatted(dir.resolve("storage"), port));
        if (user.isPresent()) {
            Path htpasswd = dir.resolve("htpasswd");
            run(List.of("htpasswd", "-Bbc", htpasswd.toString(), user.get().username(), user.get().password()));
            yml.append("""
                    auth:
                      htpasswd:
                        realm: mdocker-test
                        path: %s
                    """.formatted(htpasswd));
        }
        Path config = dir.resolve("config.yml");
        Files.writeString(config, yml);
        Process p = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("registry.log").toFile()).start();
        TestRegistry r = new TestRegistry(p, port, user);
        try {
            r.awaitListening(dir);
        } catch (RuntimeException | Error e) {
            r.close();
            throw e;
        }
        return r;
    }

    private void awaitListening(Path dir) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                fail("docker-registry exited (" + process.exitValue() + "): " + Files.readString(dir.resolve("registry.log")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(20); // a process's listening socket has no fd of ours to wait on
            }
        }
        fail("docker-registry did not listen on 127.0.0.1:" + port + " within 20 s");
    }

    /** {@code 127.0.0.1:PORT}. */
    String host() {
        return "127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** Pushes an OCI layout's tag to {@code repository:tag} here with skopeo, with extra skopeo options. */
    void push(Path layout, String layoutTag, String repositoryAndTag, String... options) throws IOException, InterruptedException {
        pushFrom("oci:" + layout + ":" + layoutTag, repositoryAndTag, options);
    }

    /** Pushes any skopeo source (oci:, dir:) to {@code repository:tag} here. */
    void pushFrom(String source, String repositoryAndTag, String... options) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "-q", "--dest-tls-verify=false"));
        pushCredentials.ifPresent(c -> cmd.addAll(List.of("--dest-creds", c.username() + ":" + c.password())));
        cmd.addAll(List.of(options));
        cmd.add(source);
        cmd.add("docker://" + host() + "/" + repositoryAndTag);
        run(cmd);
    }

    /** Runs a tool; its output in the failure when it does not exit 0. */
    static String run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(String.join(" ", cmd) + ": did not finish within 120 s");
        }
        if (p.exitValue() != 0) {
            fail(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out);
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy(); // SIGTERM to the pid we started
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
