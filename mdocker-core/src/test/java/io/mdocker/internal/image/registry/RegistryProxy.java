package io.mdocker.internal.image.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An HTTP server on 127.0.0.1 in front of a {@link TestRegistry}, which the tests point the client
 * at: it forwards every request to the registry and logs it (so tests count blob GETs and see
 * Range and Authorization headers), and, when a test asks, misbehaves as a faulty registry or
 * network would: a wrong body for a blob, a connection dropped partway, a slow blob, a lying
 * Content-Type, blob requests redirected to a "storage" server on another port. It can also guard
 * the registry with the bearer-token flow: a 401 challenge naming its own token service, which
 * grants {@code repository:NAME:pull} for the repositories it was told, to the user it was told.
 */
final class RegistryProxy implements AutoCloseable {
    private static final Pattern REPO = Pattern.compile("^/v2/(.+)/(manifests|blobs)/([^/]+)$");
    private static final Set<String> RESTRICTED = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "transfer-encoding", "keep-alive");

    /** One request the proxy (or its storage server) received. */
    record Request(String server, String method, String path, Optional<String> range, Optional<String> authorization) {}

    /** A token request: the scopes asked and the basic user, if any. */
    record TokenRequest(List<String> scopes, Optional<String> user, Optional<String> service) {}

    private final URI upstream;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER).build();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "registry-proxy");
        t.setDaemon(true);
        return t;
    });
    private final HttpServer server;
    private final HttpServer storage;

    final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    final List<TokenRequest> tokenRequests = Collections.synchronizedList(new ArrayList<>());
    /** Blob digests served with one byte changed. */
    final Set<String> corrupt = ConcurrentHashMap.newKeySet();
    /** Blob digests whose next full GET is cut after this many bytes. */
    final Map<String, Long> dropOnce = new ConcurrentHashMap<>();
    /** Manifest references served with this Content-Type instead of the registry's. */
    final Map<String, String> contentTypes = new ConcurrentHashMap<>();
    /** Blob digests whose next GET is answered with this status (a registry busy or failing for a moment). */
    final Map<String, Integer> failOnce = new ConcurrentHashMap<>();
    /** Blob digests whose next full GET stops sending after this many bytes, the connection left open. */
    final Map<String, Long> stallOnce = new ConcurrentHashMap<>();
    /** Blob digests whose every GET (ranged or not) is cut after 1000 bytes. */
    final Set<String> dropAlways = ConcurrentHashMap.newKeySet();
    /** A registry that does not resume: Range headers are not passed on, so it answers 200 with the whole blob. */
    volatile boolean ignoreRange;
    volatile Duration blobDelay = Duration.ZERO;
    volatile boolean redirectBlobs;

    private volatile Bearer bearer;
    private final Map<String, Set<String>> tokens = new ConcurrentHashMap<>();

    /** The bearer mode: the repositories it grants, to {@code user} (anyone when empty). */
    record Bearer(Set<String> repositories, Optional<Credentials> user) {}

    RegistryProxy(String upstreamHost) throws IOException {
        this.upstream = URI.create("http://" + upstreamHost);
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        this.storage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(executor);
        storage.setExecutor(executor);
        server.createContext("/", ex -> handle(ex, "proxy"));
        server.createContext("/token", this::token);
        storage.createContext("/", ex -> handle(ex, "storage"));
        server.start();
        storage.start();
    }

    /** {@code 127.0.0.1:PORT} of the proxy. */
    String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    void requireBearer(Bearer b) {
        this.bearer = b;
    }

    /** Forgets every token granted so far, as a token service does when they expire: the next request with one gets a 401. */
    void expireTokens() {
        tokens.clear();
    }

    /** How many GETs of a blob reached the proxy or its storage server with no Range (whole downloads). */
    long blobDownloads(Digest d) {
        synchronized (requests) {
            return requests.stream().filter(r -> r.method().equals("GET") && r.path().endsWith("/blobs/" + d)
                    && r.range().isEmpty() && (!redirectBlobs || r.server().equals("storage"))).count();
        }
    }

    List<Request> blobRequests(Digest d) {
        synchronized (requests) {
            return requests.stream().filter(r -> r.path().endsWith("/blobs/" + d)).toList();
        }
    }

    private void handle(HttpExchange ex, String which) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            Optional<String> range = Optional.ofNullable(ex.getRequestHeaders().getFirst("Range"));
            Optional<String> auth = Optional.ofNullable(ex.getRequestHeaders().getFirst("Authorization"));
            requests.add(new Request(which, ex.getRequestMethod(), path, range, auth));
            Matcher m = REPO.matcher(path);
            Bearer b = bearer;
            if (b != null && which.equals("proxy")) {
                String repo = m.matches() ? m.group(1) : "";
                String scope = "repository:" + repo + ":pull";
                Set<String> granted = auth.filter(a -> a.startsWith("Bearer ")).map(a -> tokens.get(a.substring(7))).orElse(null);
                if (granted == null || !granted.contains(scope)) {
                    ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + host() + "/token\",service=\"mdocker-test\""
                            + (repo.isEmpty() ? "" : ",scope=\"" + scope + "\""));
                    ex.getResponseHeaders().add("Content-Type", "application/json");
                    byte[] body = "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes(StandardCharsets.UTF_8);
                    ex.sendResponseHeaders(401, body.length);
                    ex.getResponseBody().write(body);
                    return;
                }
            }
            boolean blob = m.matches() && m.group(2).equals("blobs");
            if (blob && redirectBlobs && which.equals("proxy")) {
                ex.getResponseHeaders().add("Location", "http://127.0.0.1:" + storage.getAddress().getPort() + path + "?signed=yes");
                ex.sendResponseHeaders(307, -1);
                return;
            }
            Integer fail = blob ? failOnce.remove(m.group(3)) : null;
            if (fail != null) {
                byte[] body = "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"try again\"}]}".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(fail, body.length);
                ex.getResponseBody().write(body);
                return;
            }
            if (blob && !blobDelay.isZero()) {
                try {
                    Thread.sleep(blobDelay); // a slow registry: lets concurrent pulls overlap
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            forward(ex, path, m.matches() ? m.group(3) : "", blob, range);
        } catch (IOException e) {
            // a connection the proxy cut on purpose, or the client went away
        }
    }

    private void forward(HttpExchange ex, String path, String reference, boolean blob, Optional<String> range) throws IOException {
        String query = ex.getRequestURI().getRawQuery();
        URI target = upstream.resolve(path + (query == null || blob ? "" : "?" + query));
        HttpRequest.Builder req = HttpRequest.newBuilder(target).method(ex.getRequestMethod(), HttpRequest.BodyPublishers.noBody());
        ex.getRequestHeaders().forEach((k, vs) -> {
            if (!RESTRICTED.contains(k.toLowerCase(Locale.ROOT)) && !(bearer != null && k.equalsIgnoreCase("Authorization"))
                    && !(ignoreRange && k.equalsIgnoreCase("Range"))) {
                vs.forEach(v -> req.header(k, v));
            }
        });
        HttpResponse<InputStream> r;
        try {
            r = client.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        try (InputStream in = r.body()) {
            r.headers().map().forEach((k, vs) -> {
                if (!RESTRICTED.contains(k.toLowerCase(Locale.ROOT)) && !k.equalsIgnoreCase("date") && !k.startsWith(":")) {
                    ex.getResponseHeaders().put(k, vs);
                }
            });
            if (!blob && contentTypes.containsKey(reference)) {
                ex.getResponseHeaders().put("Content-Type", List.of(contentTypes.get(reference)));
            }
            long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            String digest = blob ? reference : "";
            if (blob && r.statusCode() == 200 && range.isEmpty() && corrupt.contains(digest)) {
                byte[] body = in.readAllBytes();
                body[body.length / 2] ^= 0x5a;
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                return;
            }
            Long cut = blob && r.statusCode() == 200 && range.isEmpty() ? dropOnce.remove(digest) : null;
            Long stall = blob && r.statusCode() == 200 && range.isEmpty() ? stallOnce.remove(digest) : null;
            if (stall != null) {
                ex.sendResponseHeaders(200, Math.max(length, 0));
                ex.getResponseBody().write(in.readNBytes((int) (long) stall));
                ex.getResponseBody().flush();
                try {
                    Thread.sleep(Duration.ofMinutes(5)); // silent, connection open; close() interrupts
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("stalled on purpose");
            }
            if (blob && dropAlways.contains(digest) && (r.statusCode() == 200 || r.statusCode() == 206)) {
                cut = 1000L;
            }
            ex.sendResponseHeaders(r.statusCode(), length == 0 || ex.getRequestMethod().equals("HEAD") ? -1 : Math.max(length, 0));
            OutputStream out = ex.getResponseBody();
            if (cut != null) {
                out.write(in.readNBytes((int) (long) cut));
                out.flush();
                throw new IOException("dropping the connection on purpose"); // the exchange closes short: the client sees EOF
            }
            in.transferTo(out);
        }
    }

    private void token(HttpExchange ex) throws IOException {
        try (ex) {
            Bearer b = bearer;
            Map<String, List<String>> params = query(ex.getRequestURI().getRawQuery());
            List<String> scopes = params.getOrDefault("scope", List.of());
            Optional<String> user = Optional.empty();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            Optional<String> password = Optional.empty();
            if (auth != null && auth.startsWith("Basic ")) {
                String decoded = new String(Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8);
                user = Optional.of(decoded.substring(0, decoded.indexOf(':')));
                password = Optional.of(decoded.substring(decoded.indexOf(':') + 1));
            }
            tokenRequests.add(new TokenRequest(scopes, user, Optional.ofNullable(params.get("service")).map(l -> l.get(0))));
            if (b == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            if (b.user().isPresent() && !(user.equals(Optional.of(b.user().get().username()))
                    && password.equals(Optional.of(b.user().get().password())))) {
                ex.sendResponseHeaders(401, -1);
                return;
            }
            Set<String> granted = ConcurrentHashMap.newKeySet();
            for (String s : scopes) {
                String[] parts = s.split(":");
                if (parts.length == 3 && parts[0].equals("repository") && b.repositories().contains(parts[1])
                        && Arrays.asList(parts[2].split(",")).contains("pull")) {
                    granted.add("repository:" + parts[1] + ":pull");
                }
            }
            if (granted.isEmpty()) {
                ex.sendResponseHeaders(403, -1); // as Docker Hub's token service: no access to what was asked
                return;
            }
            String token = UUID.randomUUID().toString();
            tokens.put(token, granted);
            byte[] body = ("{\"token\":\"" + token + "\",\"expires_in\":300}").getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
        }
    }

    private static Map<String, List<String>> query(String raw) {
        Map<String, List<String>> out = new java.util.HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    @Override
    public void close() {
        server.stop(0);
        storage.stop(0);
        executor.shutdownNow();
        client.close();
    }
}
