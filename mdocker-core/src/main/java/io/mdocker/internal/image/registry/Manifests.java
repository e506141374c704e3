package io.mdocker.internal.image.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads manifests and indexes, refusing one whose declared media type is not what its content is
 * (the registry's Content-Type, the {@code mediaType} field and the document's shape must all
 * agree: an index passed off as a manifest, or the reverse, is the confusion of CVE-2021-41190).
 */
final class Manifests {
    private Manifests() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a manifest request returned, read and checked. */
    sealed interface Parsed permits Index, Manifest {
        String mediaType();
    }

    /** An OCI image index or a Docker manifest list. */
    record Index(String mediaType, List<Descriptor> manifests) implements Parsed {}

    /** An OCI image manifest or a Docker schema 2 manifest. */
    record Manifest(String mediaType, Descriptor config, List<Descriptor> layers) implements Parsed {}

    /** The media type of a Content-Type header: without parameters, lower case. */
    static String baseType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses a manifest or an index whose media type was declared as {@code declared} (by the
     * registry's Content-Type or by the descriptor that pointed to it). {@code what} names it in
     * errors (the image and, for an index's entry, its digest).
     */
    static Parsed parse(String declared, byte[] bytes, String what) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new RegistryException(what + ": the manifest is not valid JSON (" + firstLine(e.getOriginalMessage()) + ")");
        } catch (java.io.IOException e) {
            throw new RegistryException(what + ": the manifest cannot be read (" + e.getMessage() + ")");
        }
        if (root == null || !root.isObject()) {
            throw new RegistryException(what + ": the manifest is not a JSON object");
        }
        if (root.path("schemaVersion").asInt(-1) != 2) {
            throw new RegistryException(what + ": manifest schemaVersion " + root.path("schemaVersion")
                    + " is not supported (expected 2: Docker schema 1 images must be converted first)");
        }
        String type = declared;
        JsonNode field = root.get("mediaType");
        if (field != null) {
            if (!field.isTextual() || !field.asText().equals(declared)) {
                throw new RegistryException(what + ": the manifest declares media type " + field
                        + " but was served as " + declared + "; refused (media type confusion)");
            }
        }
        if (!MediaTypes.isIndex(type) && !MediaTypes.isManifest(type)) {
            throw new RegistryException(what + ": media type " + (type.isEmpty() ? "(none)" : type)
                    + " is not a manifest or an index this client reads (" + MediaTypes.ACCEPT + ")");
        }
        boolean hasManifests = root.has("manifests");
        boolean hasImageParts = root.has("config") || root.has("layers");
        if (MediaTypes.isIndex(type)) {
            if (!hasManifests || hasImageParts) {
                throw new RegistryException(what + ": declared " + type + " but the content is "
                        + (hasImageParts ? "an image manifest (config, layers)" : "not an index (no manifests)") + "; refused (media type confusion)");
            }
            List<Descriptor> entries = new ArrayList<>();
            for (JsonNode m : array(root, "manifests", what)) {
                entries.add(descriptor(m, what + " index entry"));
            }
            return new Index(type, List.copyOf(entries));
        }
        if (hasManifests || !root.has("config") || !root.has("layers")) {
            throw new RegistryException(what + ": declared " + type + " but the content is "
                    + (hasManifests ? "an index (manifests)" : "not an image manifest (config and layers)") + "; refused (media type confusion)");
        }
        Descriptor config = descriptor(root.get("config"), what + " config");
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode l : array(root, "layers", what)) {
            layers.add(descriptor(l, what + " layer"));
        }
        return new Manifest(type, config, List.copyOf(layers));
    }

    private static Iterable<JsonNode> array(JsonNode root, String name, String what) {
        JsonNode a = root.get(name);
        if (a == null || !a.isArray()) {
            throw new RegistryException(what + ": the manifest's " + name + " is not an array");
        }
        return a;
    }

    private static Descriptor descriptor(JsonNode n, String what) {
        if (n == null || !n.isObject()) {
            throw new RegistryException(what + ": a descriptor is not a JSON object");
        }
        JsonNode type = n.get("mediaType");
        JsonNode digest = n.get("digest");
        JsonNode size = n.get("size");
        if (type == null || !type.isTextual() || digest == null || !digest.isTextual() || size == null || !size.canConvertToLong()) {
            throw new RegistryException(what + ": descriptor " + n + " lacks a mediaType, digest or size");
        }
        Digest d;
        try {
            d = Digest.parse(digest.asText());
        } catch (IllegalArgumentException e) {
            throw new RegistryException(what + ": " + e.getMessage());
        }
        if (size.asLong() < 0) {
            throw new RegistryException(what + ": descriptor " + d + " has a negative size " + size.asLong());
        }
        Optional<Platform> platform = Optional.empty();
        JsonNode p = n.get("platform");
        if (p != null && p.isObject() && p.path("os").isTextual() && p.path("architecture").isTextual()
                && !p.path("os").asText().isEmpty() && !p.path("architecture").asText().isEmpty()) {
            String variant = p.path("variant").asText("");
            platform = Optional.of(new Platform(p.get("os").asText(), p.get("architecture").asText(),
                    variant.isEmpty() ? Optional.empty() : Optional.of(variant)));
        }
        return new Descriptor(type.asText(), d, size.asLong(), platform);
    }

    private static String firstLine(String s) {
        int nl = s == null ? -1 : s.indexOf('\n');
        return nl < 0 ? String.valueOf(s) : s.substring(0, nl);
    }
}
