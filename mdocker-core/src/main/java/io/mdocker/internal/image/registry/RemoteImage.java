package io.mdocker.internal.image.registry;

/**
 * What a pull asks a registry for: the registry's host ({@code host[:port]}, {@code docker.io}),
 * the repository in it, and a tag or a digest ({@code sha256:<hex>}). Made from an
 * {@code io.mdocker.internal.image.ImageReference} by the image store (its digest if it pins one,
 * else its tag); this package does not use that type itself, so the store may depend on this one.
 */
public record RemoteImage(String registry, String repository, String reference) {
    public RemoteImage {
        if (registry.isEmpty() || repository.isEmpty() || reference.isEmpty()) {
            throw new IllegalArgumentException("image " + registry + "/" + repository + ":" + reference
                    + ": expected a registry, a repository and a tag or digest");
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
