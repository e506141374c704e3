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
 * {@code user:password} {@code auth} or a {@code username} and {@code password}; and its credential
 * helpers, as Docker runs them: {@code credHelpers} (registry to helper name) first, then
 * {@code credsStore} (one helper for every registry), then {@code auths}. A helper {@code NAME} is
 * the program {@code docker-credential-NAME} on the PATH, run as {@code docker-credential-NAME get}
 * with the registry's name on its standard input ({@code https://index.docker.io/v1/} for Docker
 * Hub), answering {@code {"Username":…,"Secret":…}}; "credentials not found" is no credentials.
 */
public final class DockerConfig {
    /** How long a credential helper may take. */
    static final long HELPER_TIMEOUT_SECONDS = 30;

    private final Path file;
    private final Map<String, Credentials> byHost;
    private final Map<String, String> helpers;
    private final Optional<String> store;
    private final String path;

    private DockerConfig(Path file, Map<String, Credentials> byHost, Map<String, String> helpers, Optional<String> store,
                         String path) {
        this.file = file;
        this.byHost = byHost;
        this.helpers = helpers;
        this.store = store;
        this.path = path;
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
        return read(base.resolve("config.json"), env.getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    }

    /** Reads one config.json (helpers looked for on this process's PATH); see {@link #read(Path, String)}. */
    public static DockerConfig read(Path file) {
        return read(file, System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin"));
    }

    /**
     * Reads one config.json, its credential helpers looked for in the directories of {@code path}
     * (as the PATH variable lists them); a one-line error naming it when it is not what Docker writes.
     */
    public static DockerConfig read(Path file, String path) {
        if (!Files.isRegularFile(file)) {
            return new DockerConfig(file, Map.of(), Map.of(), Optional.empty(), path);
        }
        Map<String, Credentials> byHost = new HashMap<>();
        Map<String, String> helpers = new HashMap<>();
        Optional<String> store = Optional.empty();
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readAllBytes(file));
            JsonNode auths = root == null ? null : root.get("auths");
            if (auths != null && auths.isObject()) {
                for (var it = auths.properties().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    credentialsOf(e.getKey(), e.getValue(), file).ifPresent(c -> byHost.put(hostOf(e.getKey()), c));
                }
            }
            JsonNode credHelpers = root == null ? null : root.get("credHelpers");
            if (credHelpers != null && credHelpers.isObject()) {
                for (var it = credHelpers.properties().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    helpers.put(hostOf(e.getKey()), helperName(e.getValue().asText(""), "credHelpers." + e.getKey(), file));
                }
            }
            JsonNode credsStore = root == null ? null : root.get("credsStore");
            if (credsStore != null && !credsStore.asText("").isEmpty()) {
                store = Optional.of(helperName(credsStore.asText(), "credsStore", file));
            }
        } catch (IOException e) {
            throw new RegistryException("docker config " + file + ": cannot be read (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        return new DockerConfig(file, Map.copyOf(byHost), Map.copyOf(helpers), store, path);
    }

    private static String helperName(String name, String key, Path file) {
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
            throw new RegistryException("docker config " + file + ": " + key + " '" + name
                    + "' is not a credential helper's name (letters, digits, '.', '_', '-')");
        }
        return name;
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

    /**
     * The credentials for a registry host ({@code host[:port]}): its credential helper's, else the
     * credential store's, else those of {@code auths}. A helper that fails otherwise than by
     * having none is a one-line {@link RegistryException} naming it.
     */
    public Optional<Credentials> credentialsFor(String registryHost) {
        String host = canonicalHost(registryHost);
        String helper = helpers.get(host);
        if (helper != null) {
            return runHelper(helper, "credHelpers", host);
        }
        if (store.isPresent()) {
            Optional<Credentials> stored = runHelper(store.get(), "credsStore", host);
            if (stored.isPresent()) {
                return stored;
            }
        }
        return Optional.ofNullable(byHost.get(host));
    }

    /** Runs {@code docker-credential-NAME get} for a host, as Docker does. */
    private Optional<Credentials> runHelper(String name, String key, String host) {
        String program = "docker-credential-" + name;
        String what = "docker config " + file + ": " + key + " helper " + program;
        Path exe = null;
        for (String dir : path.split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, program);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                exe = p;
                break;
            }
        }
        if (exe == null) {
            throw new RegistryException(what + " is not on the PATH (" + path + ")");
        }
        String server = host.equals("docker.io") ? "https://index.docker.io/v1/" : host;
        Process p;
        try {
            p = new ProcessBuilder(exe.toString(), "get").redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new RegistryException(what + ": cannot run it (" + e.getMessage() + ")");
        }
        try {
            try (var in = p.getOutputStream()) {
                in.write((server + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException closedEarly) {
                // a helper that does not read its input: its answer says what it thinks
            }
            CompletableOutput out = new CompletableOutput(p);
            if (!p.waitFor(HELPER_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new RegistryException(what + ": no answer for " + server + " within " + HELPER_TIMEOUT_SECONDS + " s");
            }
            String answer = out.text();
            if (p.exitValue() != 0) {
                if (answer.toLowerCase(java.util.Locale.ROOT).contains("credentials not found")) {
                    return Optional.empty();
                }
                throw new RegistryException(what + " failed for " + server + " (exit " + p.exitValue() + "): "
                        + answer.lines().findFirst().orElse("no output"));
            }
            JsonNode json;
            try {
                json = new ObjectMapper().readTree(answer);
            } catch (IOException e) {
                json = null;
            }
            if (json == null || !json.isObject()) {
                throw new RegistryException(what + " answered for " + server + " with what is not JSON");
            }
            String user = json.path("Username").asText("");
            String secret = json.path("Secret").asText("");
            if (user.equals("<token>")) {
                throw new RegistryException(what + " answered with an identity token for " + server
                        + "; identity tokens are not supported: log in with a user name and password");
            }
            if (user.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new Credentials(user, secret));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(what + ": interrupted");
        } finally {
            p.destroyForcibly();
        }
    }

    /** A process's output, read on a thread of its own so that a helper that writes much cannot block. */
    private static final class CompletableOutput {
        private final java.util.concurrent.CompletableFuture<String> text;

        CompletableOutput(Process p) {
            text = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (var in = p.getInputStream()) {
                    return new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "";
                }
            }, r -> Thread.ofVirtual().start(r));
        }

        String text() throws InterruptedException {
            try {
                return text.get(HELPER_TIMEOUT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return "";
            }
        }
    }

    /** The file read (it may not exist). */
    public Path file() {
        return file;
    }
}
