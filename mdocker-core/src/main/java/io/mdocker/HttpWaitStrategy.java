package io.mdocker;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntPredicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Ready once {@code GET path} on a container port answers with an expected status, asked with
 * {@link HttpClient}: through the published host port when the port is published (the way a
 * test reaches it), otherwise at the container's own address; a container with neither cannot
 * be asked, which ends the wait at once. Over HTTPS with {@link #usingTls()} (the container's
 * certificate is not checked: it is a test's server), with request headers, and with a status
 * predicate. Immutable; each {@code with}/{@code for} method returns a new strategy.
 */
public final class HttpWaitStrategy extends PollingWait {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);

    private final int port;
    private final String path;
    private final IntPredicate status;
    private final String statusText;
    private final boolean tls;
    private final Map<String, String> headers;

    private HttpWaitStrategy(int port, String path, IntPredicate status, String statusText, boolean tls,
                             Map<String, String> headers, Duration timeout) {
        super(timeout);
        this.port = port;
        this.path = path;
        this.status = status;
        this.statusText = statusText;
        this.tls = tls;
        this.headers = Map.copyOf(headers);
    }

    static HttpWaitStrategy of(int port, String path, Duration timeout) {
        Wait.checkPort(port);
        if (path == null || !path.startsWith("/") || path.chars().anyMatch(ch -> ch <= ' ' || ch == 0x7f)) {
            throw new IllegalArgumentException("invalid HTTP path '" + path + "': expected an absolute path like /health, without spaces");
        }
        return new HttpWaitStrategy(port, path, s -> s == 200, "200", false, Map.of(), timeout);
    }

    /** The same wait for another status (100 to 599). */
    public HttpWaitStrategy forStatus(int expected) {
        if (expected < 100 || expected > 599) {
            throw new IllegalArgumentException("invalid HTTP status " + expected + ": expected 100 to 599");
        }
        return new HttpWaitStrategy(port, path, s -> s == expected, Integer.toString(expected), tls, headers, timeout());
    }

    /** The same wait for any status {@code accepted} takes, e.g. {@code s -> s < 500}; {@code description} names it in errors. */
    public HttpWaitStrategy forStatusMatching(IntPredicate accepted, String description) {
        Objects.requireNonNull(accepted, "accepted");
        Objects.requireNonNull(description, "description");
        return new HttpWaitStrategy(port, path, accepted, description, tls, headers, timeout());
    }

    /** The same wait over HTTPS; the server's certificate is accepted whoever signed it. */
    public HttpWaitStrategy usingTls() {
        return new HttpWaitStrategy(port, path, status, statusText, true, headers, timeout());
    }

    /** The same wait sending the request header {@code name: value} too. */
    public HttpWaitStrategy withHeader(String name, String value) {
        Objects.requireNonNull(name, "header name");
        Objects.requireNonNull(value, "header value");
        if (name.isEmpty() || name.chars().anyMatch(ch -> ch <= ' ' || ch == ':' || ch >= 0x7f)) {
            throw new IllegalArgumentException("invalid HTTP header name '" + name + "': expected a token like X-Probe");
        }
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new HttpWaitStrategy(port, path, status, statusText, tls, h, timeout());
    }

    @Override
    boolean probe(ContainerHandle c) throws IOException, InterruptedException, NotReady {
        URI uri = target(c);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).GET();
        headers.forEach(request::header);
        try (HttpClient client = client()) {
            HttpResponse<Void> response = client.send(request.build(), HttpResponse.BodyHandlers.discarding());
            if (!status.test(response.statusCode())) {
                throw new NotReady("GET " + path + " answered " + response.statusCode());
            }
            return true;
        }
    }

    private HttpClient client() {
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).version(HttpClient.Version.HTTP_1_1);
        if (tls) {
            SSLParameters params = new SSLParameters();
            params.setEndpointIdentificationAlgorithm(null);
            b.sslContext(TrustAll.CONTEXT).sslParameters(params);
        }
        return b.build();
    }

    private URI target(ContainerHandle c) {
        Optional<PortMapping> published = c.ports().stream().filter(p -> p.containerPort() == port).findFirst();
        String scheme = tls ? "https" : "http";
        if (published.isPresent()) {
            return URI.create(scheme + "://" + hostLiteral(c.host()) + ":" + published.get().hostPort() + path);
        }
        return c.ipAddress().map(ip -> URI.create(scheme + "://" + ip + ":" + port + path))
                .orElseThrow(() -> new IllegalStateException("cannot wait for HTTP on port " + port + " of container "
                        + c.shortId() + ": publish the port, or give the container a bridge or veth network"));
    }

    private static String hostLiteral(String host) {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    @Override
    public WaitStrategy withTimeout(Duration timeout) {
        return new HttpWaitStrategy(port, path, status, statusText, tls, headers, timeout);
    }

    @Override
    public String description() {
        return (tls ? "HTTPS " : "HTTP ") + statusText + " from GET " + path + " on port " + port;
    }

    /** Trusts any certificate: the wait asks a test's own server whether it is up, nothing more. */
    private static final class TrustAll implements X509TrustManager {
        static final SSLContext CONTEXT = context();

        private static SSLContext context() {
            try {
                SSLContext c = SSLContext.getInstance("TLS");
                c.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
                return c;
            } catch (java.security.GeneralSecurityException e) {
                throw new IllegalStateException("no TLS in this JDK: " + e.getMessage(), e);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // accepted: see the class comment
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // accepted: see the class comment
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
