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
    private final String address;
    private final int port;
    private final Optional<Credentials> pushCredentials;

    private TestRegistry(Process process, String address, int port, Optional<Credentials> pushCredentials) {
        this.process = process;
        this.address = address;
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
    /**
     * A registry in a fresh {@code dir} holding one image, {@code repositoryAndTag}: busybox and a
     * layer of {@code layerSize} random bytes of {@code seed} (TestImages), pushed by skopeo.
     */
    static TestRegistry startWithImage(Path dir, String repositoryAndTag, long seed, int layerSize)
            throws IOException, InterruptedException {
        prerequisites();
        RegistryPullTest.deleteTree(dir);
        java.nio.file.Files.createDirectories(dir);
        TestRegistry registry = start(dir.resolve("registry"));
        String tag = repositoryAndTag.substring(repositoryAndTag.lastIndexOf(':') + 1);
        Path layout = TestImages.image(dir.resolve("oci"), tag, "amd64", seed, layerSize);
        registry.push(layout, tag, repositoryAndTag);
        return registry;
    }

    static TestRegistry start(Path dir) throws IOException, InterruptedException {
        return start(dir, Optional.empty());
    }

    /** A registry that wants basic auth (htpasswd, bcrypt) for {@code user}, storing under {@code dir}. */
    static TestRegistry start(Path dir, Optional<Credentials> user) throws IOException, InterruptedException {
        return start(dir, user, "127.0.0.1", Optional.empty());
    }

    /** An anonymous registry on {@code address} (a loopback address) over plain http, storing under {@code dir}. */
    static TestRegistry startOn(Path dir, String address) throws IOException, InterruptedException {
        return start(dir, Optional.empty(), address, Optional.empty());
    }

    /**
     * A registry on {@code address} serving https with a certificate for that address made here
     * (by the JDK's keytool; written as PEM for the registry); {@link #trust(Path)} gives the TLS
     * context that trusts it.
     */
    static TestRegistry startTls(Path dir, String address) throws Exception {
        Files.createDirectories(dir);
        Path p12 = dir.resolve("registry.p12");
        Files.deleteIfExists(p12);
        run(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair", "-alias", "registry",
                "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=" + address, "-ext", "SAN=ip:" + address,
                "-keystore", p12.toString(), "-storetype", "PKCS12", "-storepass", "changeit"));
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(p12)) {
            ks.load(in, "changeit".toCharArray());
        }
        java.util.Base64.Encoder b64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\n"
                + b64.encodeToString(ks.getCertificate("registry").getEncoded()) + "\n-----END CERTIFICATE-----\n");
        Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                + b64.encodeToString(ks.getKey("registry", "changeit".toCharArray()).getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        return start(dir, Optional.empty(), address, Optional.of(dir));
    }

    /** A TLS context that trusts the certificate {@link #startTls} made in {@code dir}, and nothing else. */
    static javax.net.ssl.SSLContext trust(Path dir) throws Exception {
        java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(dir.resolve("cert.pem"))) {
            trust.setCertificateEntry("registry", java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static TestRegistry start(Path dir, Optional<Credentials> user, String address, Optional<Path> tls)
            throws IOException, InterruptedException {
        prerequisites();
        Files.createDirectories(dir);
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName(address))) {
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
                  addr: %s:%d
                """.formatted(dir.resolve("storage"), address, port));
        if (tls.isPresent()) {
            yml.append("""
                      tls:
                        certificate: %s
                        key: %s
                    """.formatted(tls.get().resolve("cert.pem"), tls.get().resolve("key.pem")));
        }
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
        TestRegistry r = new TestRegistry(p, address, port, user);
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
                s.connect(new InetSocketAddress(address, port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(20); // a process's listening socket has no fd of ours to wait on
            }
        }
        fail("docker-registry did not listen on " + address + ":" + port + " within 20 s");
    }

    /** {@code ADDRESS:PORT} (127.0.0.1 unless it serves TLS). */
    String host() {
        return address + ":" + port;
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
