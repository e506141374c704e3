package io.mdocker.internal.image.registry;

import java.util.regex.Pattern;

/**
 * What a pull asks a registry for: the registry's host ({@code host[:port]}, {@code docker.io}),
 * the repository in it, and a tag or a digest ({@code sha256:<hex>}). Made from an
 * {@code io.mdocker.internal.image.ImageReference} by the image store (its digest if it pins one,
 * else its tag); this package does not use that type itself, so the store may depend on this one.
 */
public record RemoteImage(String registry, String repository, String reference) {
    // the distribution spec's grammar: they go into the request's path, so nothing else may
    private static final Pattern REGISTRY = Pattern.compile("(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
            + "|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");
    private static final Pattern REPOSITORY = Pattern.compile("[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

    public RemoteImage {
        String shown = registry + "/" + repository + (reference.contains(":") ? "@" : ":") + reference;
        if (!REGISTRY.matcher(registry).matches()) {
            throw new IllegalArgumentException("image " + shown + ": registry '" + registry + "' is not a host name or address with an optional port");
        }
        if (repository.length() > 255 || !REPOSITORY.matcher(repository).matches()) {
            throw new IllegalArgumentException("image " + shown + ": repository '" + repository
                    + "' is not lower-case path components of letters and digits separated by . _ __ or -");
        }
        if (reference.contains(":")) {
            try {
                Digest.parse(reference);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("image " + shown + ": " + e.getMessage());
            }
        } else if (!TAG.matcher(reference).matches()) {
            throw new IllegalArgumentException("image " + shown + ": tag '" + reference
                    + "' is not 1 to 128 letters, digits, _ . or - (not starting with . or -)");
        }
    }

    /** Whether the reference is a digest rather than a tag (a tag holds no colon). */
    public boolean byDigest() {
        return reference.contains(":");
    }

    /** {@code registry/repository:tag} or {@code registry/repository@digest}, as errors name it. */
    @Override
    public String toString() {
        return registry + "/" + repository + (byDigest() ? "@" : ":") + reference;
    }
}
