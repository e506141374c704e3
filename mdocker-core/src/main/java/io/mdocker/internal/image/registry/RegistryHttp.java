package io.mdocker.internal.image.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The requests of one pull to one repository of one registry: authentication (anonymous, basic,
 * the bearer-token challenge flow with the scope {@code repository:NAME:pull}) and redirects
 * (followed by hand, so that the registry's credentials never go to another host, such as the
 * storage a blob request is redirected to). Safe for the pull's threads: they share the token.
 */
final class RegistryHttp {
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 16 * 1024;
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(60);

    private final HttpClient client;
    private final URI base;
    private final String repository;
    private final Optional<Credentials> credentials;
    private final String image;
    /** The Authorization header that the registry last accepted or was last sent, empty for none. */
    private volatile Optional<String> authorization = Optional.empty();
    /** A bearer token the caller gave, sent as it is: nothing to renew it with. */
    private final boolean givenToken;

    RegistryHttp(HttpClient client, URI base, String repository, Optional<Credentials> credentials, String image) {
        this(client, base, repository, credentials, image, Optional.empty());
    }

    private RegistryHttp(HttpClient client, URI base, String repository, Optional<Credentials> credentials, String image,
                         Optional<String> token) {
        this.client = client;
        this.base = base;
        this.repository = repository;
        this.credentials = credentials;
        this.image = image;
        this.givenToken = token.isPresent();
        this.authorization = token.map(t -> "Bearer " + t);
    }

    /** The requests of a pull that sends {@code token} as a bearer token from the first request on. */
    static RegistryHttp withToken(HttpClient client, URI base, String repository, String token, String image) {
        return new RegistryHttp(client, base, repository, Optional.empty(), image, Optional.of(token));
    }

    /** The scope a pull needs: {@code repository:NAME:pull}. */
    String scope() {
        return "repository:" + repository + ":pull";
    }

    /**
     * GETs {@code /v2/<repository>/<path>} with the given headers; authenticates as the registry
     * asks and follows redirects. Returns the final response, whatever its status; its body is the
     * caller's to close. {@code what} names the object in errors.
     */
    HttpResponse<InputStream> get(String path, Map<String, String> headers, String what) {
        URI uri = base.resolve("/v2/" + repository + "/" + path);
        Optional<String> sent = authorization;
        boolean triedCredentials = false;
        for (int round = 0; ; round++) {
            HttpResponse<InputStream> r = followRedirects(uri, headers, sent, what);
            if (r.statusCode() != 401 || round == 2) {
                if (r.statusCode() == 401) {
                    throw refused(r, what, triedCredentials);
                }
                return r;
            }
            List<Challenge> challenges = Challenge.parseAll(r.headers().allValues("WWW-Authenticate"));
            String body = errorBody(r);
            if (givenToken) {
                throw new RegistryException(image + ": " + what + ": 401 Unauthorized: the registry refused the token given for it"
                        + suffix(body));
            }
            synchronized (this) {
                if (!authorization.equals(sent)) {
                    sent = authorization; // another thread has authenticated meanwhile
                    continue;
                }
                Optional<Challenge> bearer = challenges.stream().filter(c -> c.scheme().equals("bearer")).findFirst();
                Optional<Challenge> basic = challenges.stream().filter(c -> c.scheme().equals("basic")).findFirst();
                if (bearer.isPresent()) {
                    authorization = Optional.of("Bearer " + token(bearer.get(), what));
                    triedCredentials = credentials.isPresent();
                } else if (basic.isPresent()) {
                    if (credentials.isEmpty()) {
                        throw new RegistryException(image + ": " + what + ": 401 Unauthorized: the registry asks for credentials (basic"
                                + basic.get().param("realm").map(realm -> " realm " + realm).orElse("") + ") and none were given");
                    }
                    if (triedCredentials) {
                        throw refusedCredentials(what, body);
                    }
                    authorization = Optional.of(credentials.get().basicHeader());
                    triedCredentials = true;
                } else {
                    throw new RegistryException(image + ": " + what + ": 401 Unauthorized with no challenge this client answers ("
                            + r.headers().allValues("WWW-Authenticate") + ")" + suffix(body));
                }
                sent = authorization;
            }
        }
    }

    private RegistryException refused(HttpResponse<InputStream> r, String what, boolean triedCredentials) {
        String body = errorBody(r);
        if (triedCredentials) {
            return refusedCredentials(what, body);
        }
        return new RegistryException(image + ": " + what + ": 401 Unauthorized: access to " + scope() + " refused" + suffix(body));
    }

    private RegistryException refusedCredentials(String what, String body) {
        return new RegistryException(image + ": " + what + ": 401 Unauthorized: the registry refused the credentials of user "
                + credentials.map(Credentials::username).orElse("(none)") + suffix(body));
    }

    /** Asks a challenge's realm for a token for this pull's scope (and the challenge's, if it names another). */
    private String token(Challenge c, String what) {
        String realm = c.param("realm").orElseThrow(() -> new RegistryException(
                image + ": " + what + ": the registry's bearer challenge names no realm (" + c + ")"));
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(image + ": " + what + ": token realm " + realm + " is not a URL");
        }
        if (!"https".equals(realmUri.getScheme()) && !"http".equals(realmUri.getScheme())) {
            throw new RegistryException(image + ": " + what + ": token realm " + realm + " is not an http(s) URL");
        }
        if ("https".equals(base.getScheme()) && "http".equals(realmUri.getScheme())) {
            throw new RegistryException(image + ": " + what + ": the registry is reached over https but names a plain-http token realm ("
                    + realm + "); refused");
        }
        StringBuilder query = new StringBuilder();
        c.param("service").ifPresent(s -> query.append("service=").append(enc(s)));
        for (String scope : c.param("scope").filter(s -> !s.equals(scope())).map(s -> List.of(s, scope())).orElse(List.of(scope()))) {
            query.append(query.isEmpty() ? "" : "&").append("scope=").append(enc(scope));
        }
        URI tokenUri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        HttpRequest.Builder req = HttpRequest.newBuilder(tokenUri).timeout(HEADERS_TIMEOUT).GET();
        credentials.ifPresent(cr -> req.header("Authorization", cr.basicHeader()));
        HttpResponse<byte[]> r;
        try {
            r = client.send(req.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new RegistryException(image + ": token service " + realmUri.getAuthority() + ": " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(image + ": interrupted while asking the token service " + realmUri.getAuthority());
        }
        if (r.statusCode() == 401 || r.statusCode() == 403) {
            throw new RegistryException(image + ": token service " + realmUri.getAuthority() + " refused " + scope() + " ("
                    + r.statusCode() + (credentials.isPresent() ? ", as user " + credentials.get().username() : ", anonymously") + ")");
        }
        if (r.statusCode() != 200) {
            throw new RegistryException(image + ": token service " + realmUri.getAuthority() + " answered " + r.statusCode()
                    + " for " + scope() + suffix(truncate(new String(r.body(), StandardCharsets.UTF_8))));
        }
        try {
            JsonNode json = new ObjectMapper().readTree(r.body());
            String token = json == null ? "" : json.path("token").asText(json.path("access_token").asText(""));
            if (token.isEmpty()) {
                throw new RegistryException(image + ": token service " + realmUri.getAuthority() + " answered without a token");
            }
            return token;
        } catch (IOException e) {
            throw new RegistryException(image + ": token service " + realmUri.getAuthority() + " answered with what is not JSON");
        }
    }

    private HttpResponse<InputStream> followRedirects(URI uri, Map<String, String> headers, Optional<String> auth, String what) {
        URI current = uri;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder req = HttpRequest.newBuilder(current).timeout(HEADERS_TIMEOUT).GET();
            headers.forEach(req::header);
            if (sameOrigin(current, base)) {
                auth.ifPresent(a -> req.header("Authorization", a));
            }
            HttpResponse<InputStream> r = send(req.build(), what);
            int s = r.statusCode();
            if (s != 301 && s != 302 && s != 303 && s != 307 && s != 308) {
                return r;
            }
            closeQuietly(r);
            Optional<String> location = r.headers().firstValue("Location");
            if (location.isEmpty()) {
                throw new RegistryException(image + ": " + what + ": redirect " + s + " without a Location");
            }
            if (hop == MAX_REDIRECTS) {
                throw new RegistryException(image + ": " + what + ": more than " + MAX_REDIRECTS + " redirects (last to " + location.get() + ")");
            }
            URI next = current.resolve(location.get());
            if ("http".equals(next.getScheme()) && "https".equals(current.getScheme())) {
                throw new RegistryException(image + ": " + what + ": redirected from https to plain http (" + next + "); refused");
            }
            current = next;
        }
    }

    private HttpResponse<InputStream> send(HttpRequest request, String what) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedIOException e) {
            throw new RegistryException(image + ": " + what + ": " + request.uri().getAuthority() + " did not answer within " + HEADERS_TIMEOUT.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new RegistryException(image + ": " + what + ": " + request.uri().getAuthority() + ": " + describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryException(image + ": " + what + ": interrupted");
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost()) && a.getPort() == b.getPort();
    }

    /** An error response's body, short, on one line; the response is closed. */
    static String errorBody(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            byte[] bytes = in.readNBytes(MAX_ERROR_BODY);
            String text = new String(bytes, StandardCharsets.UTF_8);
            try {
                JsonNode errors = new ObjectMapper().readTree(bytes).path("errors");
                if (errors.isArray() && !errors.isEmpty()) {
                    StringBuilder sb = new StringBuilder();
                    for (JsonNode e : errors) {
                        sb.append(sb.isEmpty() ? "" : "; ").append(e.path("code").asText("?")).append(": ").append(e.path("message").asText(""));
                    }
                    return truncate(sb.toString());
                }
            } catch (IOException | RuntimeException notJson) {
                // plain text
            }
            return truncate(text);
        } catch (IOException e) {
            return "";
        }
    }

    static void closeQuietly(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException ignored) {
            // nothing to release beyond the connection, which the client discards
        }
    }

    static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isEmpty() ? "" : " (" + m.lines().findFirst().orElse("") + ")");
    }

    private static String truncate(String s) {
        String one = s.replaceAll("\\s+", " ").trim();
        return one.length() > 300 ? one.substring(0, 300) + "…" : one;
    }

    static String suffix(String body) {
        return body.isEmpty() ? "" : " (" + body + ")";
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
