package io.mdocker;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How {@link ImageStore#pull(String, PullOptions)} reaches a registry: credentials per registry
 * (a user name and password, or a bearer token sent as it is), the registries reached over plain
 * http, and a listener for the pull's progress. Immutable; made by {@link #builder()}.
 *
 * <p>Without credentials given here a registry's come from Docker's {@code config.json}
 * ({@code $DOCKER_CONFIG}, else {@code ~/.docker}): its {@code auths}, and its credential helpers
 * ({@code credHelpers}, {@code credsStore}: {@code docker-credential-NAME get} on the PATH).
 * Plain http is used for the registries named insecure and for the loopback (127.0.0.1,
 * localhost, [::1]); https with the JDK's trust store for every other.
 */
public final class PullOptions {
    private static final Pattern REGISTRY = Pattern.compile(
            "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+])(?::[0-9]{1,5})?");
    private static final PullOptions DEFAULTS = builder().build();

    /** A user and password for one registry (kept out of {@link #toString()}). */
    record Login(String user, String password) {}

    private final Map<String, Login> logins;
    private final Map<String, String> tokens;
    private final Set<String> insecure;
    private final Optional<PullProgress> progress;

    private PullOptions(Builder b) {
        this.logins = Map.copyOf(b.logins);
        this.tokens = Map.copyOf(b.tokens);
        this.insecure = Set.copyOf(b.insecure);
        this.progress = b.progress;
    }

    /** No credentials but Docker's, no insecure registry, no listener. */
    public static PullOptions defaults() {
        return DEFAULTS;
    }

    /** A builder of options, empty. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder that starts from these options. */
    public Builder newBuilder() {
        Builder b = new Builder();
        b.logins.putAll(logins);
        b.tokens.putAll(tokens);
        b.insecure.addAll(insecure);
        b.progress = progress;
        return b;
    }

    /** The registries ({@code host[:port]}, lower case) reached over plain http. */
    public Set<String> insecureRegistries() {
        return insecure;
    }

    /** The registries ({@code host[:port]}, lower case) given credentials or a token here. */
    public Set<String> registriesWithCredentials() {
        Set<String> out = new HashSet<>(logins.keySet());
        out.addAll(tokens.keySet());
        return Set.copyOf(out);
    }

    /** The listener of the pull's progress, if one was given. */
    public Optional<PullProgress> progress() {
        return progress;
    }

    Map<String, Login> logins() {
        return logins;
    }

    Map<String, String> tokens() {
        return tokens;
    }

    @Override
    public String toString() {
        return "PullOptions[insecure=" + insecure + ", credentials for " + registriesWithCredentials()
                + (progress.isPresent() ? ", with progress" : "") + "]";
    }

    /** Builds {@link PullOptions}; a registry is named {@code host} or {@code host:port}, as in an image reference. */
    public static final class Builder {
        private final Map<String, Login> logins = new HashMap<>();
        private final Map<String, String> tokens = new HashMap<>();
        private final Set<String> insecure = new HashSet<>();
        private Optional<PullProgress> progress = Optional.empty();

        private Builder() {}

        /**
         * Logs in to {@code registry} with a user name and password (basic authentication, or the
         * token service's when the registry sends a bearer challenge); replaces a token given for it.
         *
         * @param registry {@code host[:port]}; {@code docker.io} for Docker Hub
         * @param user     the user name, not empty
         * @param password the password
         * @return this builder
         * @throws IllegalArgumentException for a registry that is no host name or an empty user name
         */
        public Builder credentials(String registry, String user, String password) {
            String host = registry(registry);
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(password, "password");
            if (user.isEmpty()) {
                throw new IllegalArgumentException("credentials for registry " + registry + ": the user name is empty");
            }
            tokens.remove(host);
            logins.put(host, new Login(user, password));
            return this;
        }

        /**
         * Sends {@code token} to {@code registry} as {@code Authorization: Bearer TOKEN} from the
         * first request on (a registry token, not asked from a token service); replaces
         * credentials given for it.
         *
         * @param registry {@code host[:port]}
         * @param token    the bearer token, not empty, without spaces
         * @return this builder
         * @throws IllegalArgumentException for a registry that is no host name or an empty token
         */
        public Builder token(String registry, String token) {
            String host = registry(registry);
            Objects.requireNonNull(token, "token");
            if (token.isEmpty() || token.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
                throw new IllegalArgumentException("token for registry " + registry
                        + ": expected a non-empty token of printable ASCII without spaces");
            }
            logins.remove(host);
            tokens.put(host, token);
            return this;
        }

        /**
         * Reaches {@code registry} over plain http (its traffic, credentials included, unencrypted).
         *
         * @param registry {@code host[:port]}
         * @return this builder
         * @throws IllegalArgumentException for a registry that is no host name
         */
        public Builder insecure(String registry) {
            insecure.add(registry(registry));
            return this;
        }

        /**
         * The listener of the pull's progress.
         *
         * @param listener called from the pull's threads
         * @return this builder
         */
        public Builder progress(PullProgress listener) {
            this.progress = Optional.of(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** The options. */
        public PullOptions build() {
            return new PullOptions(this);
        }

        private static String registry(String registry) {
            Objects.requireNonNull(registry, "registry");
            if (!REGISTRY.matcher(registry).matches()) {
                throw new IllegalArgumentException("registry '" + registry + "': expected host or host:port (as in host:5000/app:1)");
            }
            return registry.toLowerCase(Locale.ROOT);
        }
    }
}
