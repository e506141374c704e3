package io.mdocker.internal.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The credentials of Docker's client configuration: {@code $DOCKER_CONFIG/config.json}, else
 * {@code ~/.docker/config.json}; its {@code auths} map, keyed by registry (with or without a scheme
 * and path, {@code https://index.docker.io/v1/} for Docker Hub), each with a base64
 * {@code user:password} {@code auth} or a {@code username} and {@code password}. Credential
 * helpers ({@code credsStore}, {@code credHelpers}) are not run.
 */
public final class DockerConfig {
    private final Path file;
    private final Map<String, Credentials> byHost;

    private DockerConfig(Path file, Map<String, Credentials> byHost) {
        this.file = file;
        this.byHost = byHost;
    }

    /** The configuration this process's environment names (DOCKER_CONFIG, else HOME's .docker). */
    public static DockerConfig load() {
        return load(System.getenv());
    }

    /** The configuration an environment names; a file that does not exist holds no credentials. */
    public static DockerConfig load(Map<String, String> env) {
        String dir = env.get("DOCKER_CONFIG");
        Path base = dir != null && !dir.isEmpty() ? Path.of(dir)
                : Path.of(env.getOrDefault("HOME", System.getProperty("user.home")), ".docker");
        return read(base.resolve("config.json"));
    }

    /** Reads one config.json; a one-line error naming it when it is not what Docker writes. */
    public static DockerConfig read(Path file) {
        if (!Files.isRegularFile(file)) {
            return new DockerConfig(file, Map.of());
        }
        Map<String, Credentials> byHost = new HashMap<>();
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(file));
            JsonNode auths = root == null ? null : root.get("auths");
            if (auths != null && auths.isObject()) {
                for (var it = auths.properties().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    credentialsOf(e.getKey(), e.getValue(), file).ifPresent(c -> byHost.put(hostOf(e.getKey()), c));
                }
            }
        } catch (IOException e) {
            throw new RegistryException("docker config " + file + ": cannot be read (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        return new DockerConfig(file, Map.copyOf(byHost));
    }

    private static Optional<Credentials> credentialsOf(String key, JsonNode entry, Path file) {
        String auth = entry.path("auth").asText("");
        if (!auth.isEmpty()) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new RegistryException("docker config " + file + ": auths." + key + ".auth is not base64");
            }
            int colon = decoded.indexOf(':');
            if (colon <= 0) {
                throw new RegistryException("docker config " + file + ": auths." + key + ".auth does not decode to user:password");
            }
            return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1)));
        }
        String user = entry.path("username").asText("");
        if (!user.isEmpty()) {
            return Optional.of(new Credentials(user, entry.path("password").asText("")));
        }
        return Optional.empty();
    }

    /** {@code https://host:port/v1/} → {@code host:port}; Docker Hub's names → {@code docker.io}. */
    static String hostOf(String key) {
        String h = key;
        int scheme = h.indexOf("://");
        if (scheme >= 0) {
            h = h.substring(scheme + 3);
        }
        int slash = h.indexOf('/');
        if (slash >= 0) {
            h = h.substring(0, slash);
        }
        return canonicalHost(h);
    }

    /** Docker Hub has several names; they share one entry. */
    static String canonicalHost(String host) {
        return switch (host) {
            case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com" -> "docker.io";
            default -> host;
        };
    }

    /** The credentials recorded for a registry host ({@code host[:port]}). */
    public Optional<Credentials> credentialsFor(String registryHost) {
        return Optional.ofNullable(byHost.get(canonicalHost(registryHost)));
    }

    /** The file read (it may not exist). */
    public Path file() {
        return file;
    }
}
