package io.mdocker.internal.image.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pulls an image from a registry (distribution API v2) into a {@link BlobStore}: the manifest (an
 * index's entry for the platform asked for), the config and the layers, each verified against its
 * digest while it streams, the layers {@value #PARALLEL_DOWNLOADS} at a time, a dropped connection
 * resumed with a Range request (or restarted) up to {@value #MAX_RETRIES} times.
 *
 * <p>Registries are reached over https, except the loopback ({@code localhost}, {@code 127.0.0.1},
 * {@code [::1]}) and the hosts the caller names insecure, which are reached over plain http.
 * Credentials come from the caller (per registry host) and else from Docker's config.json.
 * Immutable and safe for concurrent pulls; it holds one {@link HttpClient}, whose threads and
 * connections {@link #close()} releases.
 */
public final class RegistryClient implements AutoCloseable {
    /** How many blobs of one pull download at once. */
    public static final int PARALLEL_DOWNLOADS = 3;
    /** How many times a dropped blob download is resumed or restarted. */
    public static final int MAX_RETRIES = 3;
    static final int DEFAULT_STALL_SECONDS = 60;
    static final Duration DEFAULT_STALL_TIMEOUT = Duration.ofSeconds(DEFAULT_STALL_SECONDS);
    /** The largest manifest or index read (as containerd's limit). */
    static final int MAX_MANIFEST_BYTES = 4 << 20;
    /** How many indexes deep an index's entry for the platform is followed. */
    static final int MAX_INDEX_DEPTH = 4;

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final HttpClient http;
    private final Set<String> insecure;
    private final Map<String, Credentials> credentials;
    private final Map<String, String> tokens;
    private final DockerConfig dockerConfig;
    private final int parallel;
    private final Duration stallTimeout;
    /** Watches the downloads for stalls: one daemon thread, ended by {@link #close()}. */
    private final ScheduledExecutorService watchdog;

    private RegistryClient(Builder b) {
        HttpClient.Builder hb = HttpClient.newBuilder();
        if (b.sslContext != null) {
            hb.sslContext(b.sslContext);
        }
        this.http = hb
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NEVER) // RegistryHttp follows them, dropping credentials off-origin
                .build();
        this.insecure = Set.copyOf(b.insecure);
        this.credentials = Map.copyOf(b.credentials);
        this.tokens = Map.copyOf(b.tokens);
        this.dockerConfig = b.dockerConfig;
        this.parallel = b.parallel;
        this.stallTimeout = b.stallTimeout;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread t = new Thread(task, "mdocker-pull-watchdog-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options of a client; {@link #build()} reads Docker's config.json unless one was given. */
    public static final class Builder {
        private final java.util.HashSet<String> insecure = new java.util.HashSet<>();
        private final Map<String, Credentials> credentials = new HashMap<>();
        private final Map<String, String> tokens = new HashMap<>();
        private DockerConfig dockerConfig;
        private int parallel = PARALLEL_DOWNLOADS;
        private Duration stallTimeout = DEFAULT_STALL_TIMEOUT;
        private javax.net.ssl.SSLContext sslContext;

        private Builder() {}

        /** A registry ({@code host} or {@code host:port}) reached over plain http. */
        public Builder insecure(String registryHost) {
            insecure.add(registryHost.toLowerCase(Locale.ROOT));
            return this;
        }

        /** Credentials for a registry host, before any of config.json. */
        public Builder credentials(String registryHost, Credentials c) {
            credentials.put(DockerConfig.canonicalHost(registryHost.toLowerCase(Locale.ROOT)), c);
            return this;
        }

        /** A bearer token sent as it is to a registry host from the first request on, before any credentials. */
        public Builder token(String registryHost, String token) {
            tokens.put(DockerConfig.canonicalHost(registryHost.toLowerCase(Locale.ROOT)), token);
            return this;
        }

        /** The Docker client configuration to take credentials from (default: {@link DockerConfig#load()}). */
        public Builder dockerConfig(DockerConfig config) {
            this.dockerConfig = config;
            return this;
        }

        /** How many blobs download at once, 1 to 16. */
        public Builder parallelDownloads(int n) {
            if (n < 1 || n > 16) {
                throw new IllegalArgumentException("parallel downloads " + n + ": expected 1 to 16");
            }
            this.parallel = n;
            return this;
        }

        /**
         * How long a blob download may receive nothing before its connection counts as dropped
         * (and is resumed or retried like one); default {@value #DEFAULT_STALL_SECONDS} s.
         */
        public Builder stallTimeout(Duration d) {
            if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("stall timeout " + d + ": expected more than 0 and at most 1 hour");
            }
            this.stallTimeout = d;
            return this;
        }

        /** The TLS context for https registries, e.g. one trusting a private CA (default: the JDK's trust store). */
        public Builder sslContext(javax.net.ssl.SSLContext context) {
            this.sslContext = context;
            return this;
        }

        public RegistryClient build() {
            if (dockerConfig == null) {
                dockerConfig = DockerConfig.load();
            }
            return new RegistryClient(this);
        }
    }

    /** Pulls an image; see {@link #pull(String, String, String, BlobStore, Platform, PullListener)}. */
    public PullResult pull(RemoteImage image, Path blobsRoot, Platform platform, PullListener listener) {
        return pull(image, new BlobStore(blobsRoot), platform, listener);
    }

    /** Pulls an image; see {@link #pull(String, String, String, BlobStore, Platform, PullListener)}. */
    public PullResult pull(RemoteImage image, BlobStore store, Platform platform, PullListener listener) {
        return pull(image.registry(), image.repository(), image.reference(), store, platform, listener);
    }

    /** Pulls an image into the store on {@code blobsRoot}; see {@link #pull(String, String, String, BlobStore, Platform, PullListener)}. */
    public PullResult pull(String registry, String repository, String reference, Path blobsRoot, Platform platform,
                           PullListener listener) {
        return pull(registry, repository, reference, new BlobStore(blobsRoot), platform, listener);
    }

    /**
     * Pulls {@code registry/repository} at {@code reference} (a tag, or a digest
     * {@code sha256:<hex>}) into {@code store} (a content store's {@code blobs} directory, leased
     * by the caller when a prune may run meanwhile), choosing {@code platform}'s manifest from an index. Blobs already present are
     * not downloaded. Throws a {@link RegistryException} with a one-line message naming the image
     * and what failed; nothing of a blob that failed is left in the store.
     */
    public PullResult pull(String registry, String repository, String reference, BlobStore store, Platform platform,
                           PullListener listener) {
        RemoteImage remote;
        try {
            remote = new RemoteImage(registry, repository, reference);
        } catch (IllegalArgumentException e) {
            throw new RegistryException(e.getMessage());
        }
        String image = remote.toString();
        Optional<Digest> pinned = remote.byDigest() ? Optional.of(Digest.parse(reference)) : Optional.empty();
        store.removeAbandonedTemporaries();
        String host = DockerConfig.canonicalHost(registry.toLowerCase(Locale.ROOT));
        RegistryHttp session = tokens.containsKey(host)
                ? RegistryHttp.withToken(http, baseUri(registry), repository, tokens.get(host), image)
                : new RegistryHttp(http, baseUri(registry), repository, credentialsFor(registry), image);

        Fetched top = fetchManifest(session, image, reference, pinned, Optional.empty());
        Fetched chosen = top;
        Optional<PullResult.IndexBlob> index = Optional.empty();
        List<Fetched> indexes = new ArrayList<>();
        while (chosen.parsed() instanceof Manifests.Index idx) {
            // an index's entry may be an index itself (nested): followed, a few levels at most
            if (indexes.size() == MAX_INDEX_DEPTH) {
                throw new RegistryException(image + ": more than " + MAX_INDEX_DEPTH + " indexes nested (the last "
                        + chosen.digest() + "); refused");
            }
            indexes.add(chosen);
            Descriptor entry = choose(idx, platform, image);
            chosen = fetchManifest(session, image, entry.digest().toString(), Optional.of(entry.digest()), Optional.of(entry.mediaType()));
        }
        if (!indexes.isEmpty()) {
            index = Optional.of(new PullResult.IndexBlob(top.digest(), top.mediaType(), top.bytes()));
        }
        Manifests.Manifest manifest = (Manifests.Manifest) chosen.parsed();
        List<Descriptor> blobs = new ArrayList<>();
        blobs.add(manifest.config());
        blobs.addAll(manifest.layers());
        listener.resolved(image, chosen.digest(), List.copyOf(blobs));
        Map<Digest, Descriptor> distinct = new LinkedHashMap<>();
        for (Descriptor d : blobs) {
            Descriptor seen = distinct.putIfAbsent(d.digest(), d);
            if (seen != null && seen.size() != d.size()) {
                throw new RegistryException(image + ": the manifest gives blob " + d.digest() + " two sizes, " + seen.size() + " and " + d.size());
            }
        }
        downloadAll(session, store, List.copyOf(distinct.values()), image, listener);
        try {
            store.put(chosen.digest(), chosen.bytes());
            for (Fetched i : indexes.reversed()) {
                store.put(i.digest(), i.bytes());
            }
        } catch (IOException e) {
            throw new RegistryException(image + ": storing the manifest in " + store.root() + ": " + RegistryHttp.describe(e), e);
        }
        return new PullResult(image, chosen.digest(), chosen.mediaType(), chosen.bytes(), manifest.config(), manifest.layers(), index);
    }

    /**
     * Closes the HTTP client: its connections and its selector thread. A pull in progress has 5 s
     * to finish; then what is left (an exchange a stalled or abandoned download never completed,
     * which {@code HttpClient.close()} would wait for forever) is aborted.
     */
    @Override
    public void close() {
        watchdog.shutdownNow();
        http.shutdown();
        try {
            if (!http.awaitTermination(java.time.Duration.ofSeconds(5))) {
                http.shutdownNow();
            }
        } catch (InterruptedException e) {
            http.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** The base URI of a registry: http for the loopback and hosts named insecure, https otherwise. */
    URI baseUri(String registry) {
        String host = registry.toLowerCase(Locale.ROOT);
        if (host.equals("docker.io")) {
            host = "registry-1.docker.io";
        }
        return URI.create((plainHttp(registry) ? "http://" : "https://") + host);
    }

    boolean plainHttp(String registry) {
        String r = registry.toLowerCase(Locale.ROOT);
        String name = r.startsWith("[") ? r.substring(0, r.indexOf(']') + 1) : r.contains(":") ? r.substring(0, r.indexOf(':')) : r;
        return name.equals("localhost") || name.equals("127.0.0.1") || name.equals("[::1]") || insecure.contains(r) || insecure.contains(name);
    }

    private Optional<Credentials> credentialsFor(String registry) {
        String host = DockerConfig.canonicalHost(registry.toLowerCase(Locale.ROOT));
        Credentials given = credentials.get(host);
        return given != null ? Optional.of(given) : dockerConfig.credentialsFor(host);
    }

    private record Fetched(String mediaType, Digest digest, byte[] bytes, Manifests.Parsed parsed) {}

    private Fetched fetchManifest(RegistryHttp session, String image, String reference, Optional<Digest> expected,
                                  Optional<String> expectedType) {
        String what = "manifest " + reference;
        HttpResponse<InputStream> r = session.get("manifests/" + reference, Map.of("Accept", MediaTypes.ACCEPT), what);
        if (r.statusCode() != 200) {
            String body = RegistryHttp.errorBody(r);
            if (r.statusCode() == 404) {
                throw new RegistryException(image + ": not found in the registry (404" + (body.isEmpty() ? "" : " " + body) + ")");
            }
            throw new RegistryException(image + ": " + what + ": the registry answered " + r.statusCode() + RegistryHttp.suffix(body));
        }
        byte[] bytes;
        try (InputStream in = r.body()) {
            bytes = in.readNBytes(MAX_MANIFEST_BYTES + 1);
        } catch (IOException e) {
            throw new RegistryException(image + ": " + what + ": reading it: " + RegistryHttp.describe(e), e);
        }
        if (bytes.length > MAX_MANIFEST_BYTES) {
            throw new RegistryException(image + ": " + what + " is larger than " + (MAX_MANIFEST_BYTES >> 20) + " MiB; refused");
        }
        String type = Manifests.baseType(r.headers().firstValue("Content-Type").orElse(""));
        if (expectedType.isPresent() && !expectedType.get().equals(type)) {
            throw new RegistryException(image + ": " + what + ": the index names it " + expectedType.get()
                    + " but the registry serves " + (type.isEmpty() ? "no media type" : type) + "; refused (media type confusion)");
        }
        Digest digest;
        if (expected.isPresent()) {
            digest = expected.get();
            if (!digest.matches(digest.newHasher().digest(bytes))) {
                throw new RegistryException(image + ": " + what + ": the content does not match its digest "
                        + digest + " (got " + Digest.sha256(bytes) + ")");
            }
        } else {
            digest = Digest.sha256(bytes);
            Optional<String> header = r.headers().firstValue("Docker-Content-Digest");
            if (header.isPresent()) {
                Digest claimed;
                try {
                    claimed = Digest.parse(header.get().trim());
                } catch (IllegalArgumentException e) {
                    throw new RegistryException(image + ": " + what + ": Docker-Content-Digest " + e.getMessage());
                }
                if (!claimed.matches(claimed.newHasher().digest(bytes))) {
                    throw new RegistryException(image + ": " + what + ": the content does not match the registry's Docker-Content-Digest "
                            + claimed + " (got " + digest + ")");
                }
                digest = claimed;
            }
        }
        Manifests.Parsed parsed = Manifests.parse(type, bytes, image + ": " + what);
        return new Fetched(type, digest, bytes, parsed);
    }

    /** The index's manifest for a platform; a one-line error naming the platforms offered when none fits. */
    static Descriptor choose(Manifests.Index index, Platform platform, String image) {
        for (Descriptor d : index.manifests()) {
            if (d.platform().isPresent() && platform.matches(d.platform().get())) {
                return d;
            }
        }
        for (Descriptor d : index.manifests()) { // as containerd: an entry that declares no platform fits any
            if (d.platform().isEmpty() && (MediaTypes.isManifest(d.mediaType()) || MediaTypes.isIndex(d.mediaType()))) {
                return d;
            }
        }
        List<String> offered = index.manifests().stream().flatMap(d -> d.platform().stream()).map(Platform::toString)
                .filter(p -> !p.startsWith("unknown/")).distinct().toList();
        throw new RegistryException(image + ": no manifest for " + platform + " in the index; it offers "
                + (offered.isEmpty() ? "no platform" : String.join(", ", offered)));
    }

    private void downloadAll(RegistryHttp session, BlobStore store, List<Descriptor> blobs, String image, PullListener listener) {
        int threads = Math.min(parallel, blobs.size());
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(threads, 1), task -> {
            Thread t = new Thread(task, "mdocker-pull-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (Descriptor d : blobs) {
                futures.add(pool.submit(() -> {
                    fetchBlob(session, store, d, image, listener);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    futures.forEach(other -> other.cancel(true));
                    Throwable cause = e.getCause();
                    if (cause instanceof RegistryException re) {
                        throw re;
                    }
                    throw new RegistryException(image + ": " + cause, cause);
                }
            }
        } catch (InterruptedException e) {
            futures.forEach(other -> other.cancel(true));
            Thread.currentThread().interrupt();
            throw new RegistryException(image + ": pull interrupted");
        } finally {
            pool.shutdownNow();
            try {
                // the downloads remove their temporary files as they stop: wait for that
                if (!pool.awaitTermination(60, TimeUnit.SECONDS)) {
                    throw new RegistryException(image + ": blob downloads did not stop within 60 s of the pull's end");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void fetchBlob(RegistryHttp session, BlobStore store, Descriptor d, String image, PullListener listener) {
        try {
            BlobStore.Outcome o = store.ensure(d.digest(), d.size(), image + ": blob " + d.digest(),
                    sink -> download(session, d, sink, image, listener));
            if (o == BlobStore.Outcome.PRESENT) {
                listener.blobPresent(d);
            } else {
                listener.blobDone(d);
            }
        } catch (ClosedByInterruptException | InterruptedIOException e) {
            throw new RegistryException(image + ": blob " + d.digest() + ": interrupted");
        } catch (BlobStore.MismatchException e) {
            throw new RegistryException(e.getMessage(), e);
        } catch (IOException e) {
            throw new RegistryException(image + ": blob " + d.digest() + ": " + RegistryHttp.describe(e), e);
        }
    }

    /** A registry answer worth another try (429, 5xx, a 416 to a resume): not an I/O error, handled like one. */
    private static final class Transient extends Exception {
        private static final long serialVersionUID = 1L;

        Transient(String message) {
            super(message, null, false, false);
        }
    }

    private static String stallSeconds(AtomicLong lastByte) {
        return String.format(Locale.ROOT, "%.1f s", (System.nanoTime() - lastByte.get()) / 1e9);
    }

    /** Streams a blob into the store's sink (which hashes and verifies it); resumes a dropped connection. */
    private void download(RegistryHttp session, Descriptor d, BlobStore.Sink sink, String image, PullListener listener) throws IOException {
        String what = "blob " + d.digest();
        listener.blobStarted(d);
        // A connection that stays open but sends nothing would block a read for ever (the HTTP
        // client has no read timeout): the watchdog closes the body of a download that has received
        // nothing for the stall timeout, and the download treats that as a dropped connection.
        AtomicLong lastByte = new AtomicLong(System.nanoTime());
        AtomicReference<InputStream> body = new AtomicReference<>();
        AtomicBoolean stalled = new AtomicBoolean();
        long period = Math.max(stallTimeout.toMillis() / 5, 20);
        ScheduledFuture<?> dog = watchdog.scheduleWithFixedDelay(() -> {
            InputStream current = body.get();
            if (current != null && System.nanoTime() - lastByte.get() > stallTimeout.toNanos()) {
                stalled.set(true);
                try {
                    current.close();
                } catch (IOException ignored) {
                    // closing is all that matters: the reader wakes up
                }
            }
        }, period, period, TimeUnit.MILLISECONDS);
        try {
            download(session, d, sink, image, listener, lastByte, body, stalled);
        } finally {
            dog.cancel(false);
        }
    }

    private static void download(RegistryHttp session, Descriptor d, BlobStore.Sink out, String image, PullListener listener,
                                 AtomicLong lastByte, AtomicReference<InputStream> body, AtomicBoolean stalled) throws IOException {
        String what = "blob " + d.digest();
        long done = 0;
        int retries = 0;
        byte[] buf = new byte[128 * 1024];
        while (true) {
            Map<String, String> headers = done > 0 ? Map.of("Range", "bytes=" + done + "-") : Map.of();
            String dropped;
            HttpResponse<InputStream> r = null;
            try {
                r = session.get("blobs/" + d.digest(), headers, what);
                int status = r.statusCode();
                if (status == 200 && done > 0) {
                    // the registry does not resume: the body is the whole blob again
                    out.restart();
                    done = 0;
                } else if (status == 206) {
                    Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
                    if (done == 0 || !m.matches() || Long.parseLong(m.group(1)) != done) {
                        throw new RegistryException(image + ": " + what + ": asked to resume at byte " + done
                                + " and got Content-Range " + r.headers().firstValue("Content-Range").orElse("(none)"));
                    }
                } else if (status == 404) {
                    String body404 = RegistryHttp.errorBody(r);
                    throw new RegistryException(image + ": " + what + ": not found in the registry (404"
                            + (body404.isEmpty() ? "" : " " + body404) + ")");
                } else if (status == 416 && done > 0 || status == 429 || status >= 500) {
                    // a registry that will not resume, or one that is busy or failing for now: try again
                    // (from the first byte after a 416), within the retries
                    if (status == 416) {
                        out.restart();
                        done = 0;
                    }
                    String answer = "the registry answered " + status + RegistryHttp.suffix(RegistryHttp.errorBody(r));
                    r = null; // errorBody closed it
                    throw new Transient(answer);
                } else if (status != 200) {
                    throw new RegistryException(image + ": " + what + ": the registry answered " + status
                            + RegistryHttp.suffix(RegistryHttp.errorBody(r)));
                }
                lastByte.set(System.nanoTime());
                stalled.set(false);
                try (InputStream in = r.body()) {
                    body.set(in);
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        lastByte.set(System.nanoTime());
                        if (done + n > d.size()) {
                            throw new RegistryException(image + ": " + what + ": the registry sent more than the "
                                    + d.size() + " bytes its descriptor gives");
                        }
                        out.write(buf, 0, n);
                        done += n;
                        listener.blobProgress(d, done, d.size());
                    }
                }
                body.set(null);
                if (done == d.size()) {
                    break;
                }
                dropped = stalled.get() ? "nothing received for " + stallSeconds(lastByte) + " at byte " + done + " of " + d.size()
                        : "the connection ended at byte " + done + " of " + d.size();
            } catch (Transient e) {
                dropped = e.getMessage();
            } catch (InterruptedIOException | ClosedByInterruptException | BlobStore.MismatchException e) {
                throw e;
            } catch (IOException e) {
                body.set(null);
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedIOException("interrupted");
                }
                dropped = stalled.get() ? "nothing received for " + stallSeconds(lastByte) + " at byte " + done + " of " + d.size()
                        : RegistryHttp.describe(e);
            } catch (RegistryException e) {
                if (!(e.getCause() instanceof IOException io) || e.getCause() instanceof InterruptedIOException) {
                    throw e;
                }
                dropped = RegistryHttp.describe(io);
            } finally {
                if (r != null) {
                    RegistryHttp.closeQuietly(r);
                }
            }
            if (++retries > MAX_RETRIES) {
                throw new RegistryException(image + ": " + what + ": " + dropped + ", and " + MAX_RETRIES
                        + " retries did not finish it");
            }
            listener.blobRetrying(d, done, dropped);
        }
    }
}
