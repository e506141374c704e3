package io.mdocker.internal.image;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An image reference normalised as Docker normalises it: {@code alpine} is
 * {@code docker.io/library/alpine:latest}, {@code host:5000/team/app:1} names the registry
 * {@code host:5000}, {@code app@sha256:<64 hex>} pins a digest (a digest without a tag keeps no
 * tag; a tag with a digest keeps both, the digest being what is fetched).
 *
 * <p>The first component before a {@code /} is a registry when it contains a {@code .} or a
 * {@code :}, is {@code localhost}, or has an upper-case letter; otherwise the name is on Docker
 * Hub ({@code docker.io}, {@code index.docker.io} being its older name), where a name of one
 * component is under {@code library/}. Repository components are lower case
 * ({@code [a-z0-9]+} separated by {@code .}, {@code _}, {@code __} or dashes), tags
 * {@code [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}}, the repository at most 255 characters.
 *
 * <p>Immutable; {@link #parse} throws {@link IllegalArgumentException} with a one-line message
 * naming the reference and what was expected.
 */
public final class ImageReference {

    /** Docker Hub's registry as references name it. */
    public static final String DOCKER_HUB = "docker.io";
    private static final String LEGACY_HUB = "index.docker.io";
    private static final String DEFAULT_TAG = "latest";

    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern DOMAIN = Pattern.compile(
            "(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
                    + "(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
                    + "|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final Pattern OTHER_DIGEST =
            Pattern.compile("[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");

    private final String registry;
    private final String repository;
    private final String tag;
    private final String digest;

    private ImageReference(String registry, String repository, String tag, String digest) {
        this.registry = registry;
        this.repository = repository;
        this.tag = tag;
        this.digest = digest;
    }

    /**
     * Parses and normalises a reference.
     *
     * @throws IllegalArgumentException naming the reference and the part that is invalid
     */
    public static ImageReference parse(String reference) {
        Objects.requireNonNull(reference, "reference");
        if (reference.isEmpty()) {
            throw new IllegalArgumentException("image reference is empty: expected NAME[:TAG][@sha256:DIGEST]");
        }
        for (int i = 0; i < reference.length(); i++) {
            char c = reference.charAt(i);
            if (c <= ' ' || c >= 0x7f) {
                throw bad(reference, "contains a space or control/non-ASCII character at index " + i);
            }
        }
        String rest = reference;
        String digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
            if (digest.startsWith("sha256:")) {
                if (!SHA256.matcher(digest).matches()) {
                    throw bad(reference, "digest '" + digest + "' is not sha256: followed by 64 lower-case hex digits");
                }
            } else if (!OTHER_DIGEST.matcher(digest).matches()) {
                throw bad(reference, "digest '" + digest + "' is not ALGORITHM:HEX");
            } else {
                throw bad(reference, "digest algorithm of '" + digest + "' is not supported (only sha256)");
            }
        }
        String tag = null;
        int slash = rest.lastIndexOf('/');
        int colon = rest.lastIndexOf(':');
        if (colon > slash) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
            if (!TAG.matcher(tag).matches()) {
                throw bad(reference, "tag '" + tag + "' is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
            }
        }
        if (rest.isEmpty()) {
            throw bad(reference, "has no repository name");
        }
        if (HEX64.matcher(rest).matches()) {
            throw bad(reference, "a 64-digit hex string is an image ID, not a repository name");
        }
        String registry;
        String path;
        int first = rest.indexOf('/');
        String head = first < 0 ? null : rest.substring(0, first);
        if (head == null || !(head.contains(".") || head.contains(":") || head.equals("localhost")
                || !head.equals(head.toLowerCase(Locale.ROOT)))) {
            registry = DOCKER_HUB;
            path = rest;
        } else {
            registry = head;
            path = rest.substring(first + 1);
            if (!DOMAIN.matcher(registry).matches()) {
                throw bad(reference, "registry '" + registry + "' is not HOST[:PORT]");
            }
            if (registry.equals(LEGACY_HUB)) {
                registry = DOCKER_HUB;
            }
        }
        if (registry.equals(DOCKER_HUB) && path.indexOf('/') < 0) {
            path = "library/" + path;
        }
        for (String component : path.split("/", -1)) {
            if (!COMPONENT.matcher(component).matches()) {
                if (!component.isEmpty() && COMPONENT.matcher(component.toLowerCase(Locale.ROOT)).matches()) {
                    throw bad(reference, "repository name must be lower case ('" + component + "')");
                }
                throw bad(reference, "repository component '" + component
                        + "' is not lower-case letters and digits separated by '.', '_', '__' or '-'");
            }
        }
        if (registry.length() + 1 + path.length() > 255) {
            throw bad(reference, "name is longer than 255 characters");
        }
        if (tag == null && digest == null) {
            tag = DEFAULT_TAG;
        }
        return new ImageReference(registry, path, tag, digest);
    }

    private static IllegalArgumentException bad(String reference, String what) {
        return new IllegalArgumentException("invalid image reference '" + reference + "': " + what);
    }

    /** The registry's host, with its port when given: {@code docker.io}, {@code localhost:5000}. */
    public String registry() {
        return registry;
    }

    /** The repository within the registry: {@code library/alpine}, {@code team/app}. */
    public String repository() {
        return repository;
    }

    /** The tag: {@code latest} when neither a tag nor a digest was given; empty for a bare digest. */
    public Optional<String> tag() {
        return Optional.ofNullable(tag);
    }

    /** The digest, {@code sha256:} and 64 hex digits, when the reference pins one. */
    public Optional<String> digest() {
        return Optional.ofNullable(digest);
    }

    /** {@code registry/repository} without tag or digest: {@code docker.io/library/alpine}. */
    public String name() {
        return registry + "/" + repository;
    }

    /** The same name with another tag and no digest. */
    public ImageReference withTag(String newTag) {
        return parse(name() + ":" + newTag);
    }

    /**
     * The short form Docker shows: {@code alpine:latest} for {@code docker.io/library/alpine:latest},
     * {@code user/app:1} for Docker Hub's {@code user/app}, the full name for other registries.
     */
    public String familiar() {
        String shortName;
        if (registry.equals(DOCKER_HUB)) {
            shortName = repository.startsWith("library/") && repository.indexOf('/', 8) < 0
                    ? repository.substring(8) : repository;
        } else {
            shortName = name();
        }
        return shortName + suffix();
    }

    private String suffix() {
        return (tag == null ? "" : ":" + tag) + (digest == null ? "" : "@" + digest);
    }

    /** The canonical form: {@code registry/repository[:tag][@digest]}. */
    @Override
    public String toString() {
        return name() + suffix();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ImageReference r && r.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }
}
