package io.mdocker.internal.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * OCI and Docker schema 2 manifests and indexes: parsing with the media-type checks that stop a
 * manifest posing as an index or the reverse (a document's own {@code mediaType} must be the one
 * its descriptor gave, and it may not carry both {@code manifests} and {@code layers}), and the
 * choice of the platform in an index.
 */
final class Manifests {
    private Manifests() {}

    static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    static final String DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    static final String REF_NAME = "org.opencontainers.image.ref.name";

    record Platform(String os, String architecture, String variant) {
        @Override
        public String toString() {
            return os + "/" + architecture + (variant == null || variant.isEmpty() ? "" : "/" + variant);
        }
    }

    record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations,
                      Optional<Platform> platform) {
        static Descriptor of(JsonNode n, String what) throws IOException {
            String mt = Json.text(n, "mediaType");
            String digest = Json.text(n, "digest");
            try {
                Digests.hex(digest, what + " digest");
            } catch (IllegalArgumentException e) {
                throw new IOException(e.getMessage());
            }
            JsonNode size = n.get("size");
            if (mt == null || size == null || !size.canConvertToLong() || size.asLong() < 0) {
                throw new IOException(what + " lacks a mediaType or a size");
            }
            Map<String, String> ann = new LinkedHashMap<>();
            JsonNode a = n.get("annotations");
            if (a != null && a.isObject()) {
                a.fields().forEachRemaining(e -> ann.put(e.getKey(), e.getValue().asText()));
            }
            Optional<Platform> p = Optional.empty();
            JsonNode pn = n.get("platform");
            if (pn != null && pn.isObject()) {
                p = Optional.of(new Platform(Json.text(pn, "os"), Json.text(pn, "architecture"), Json.text(pn, "variant")));
            }
            return new Descriptor(mt, digest, size.asLong(), ann, p);
        }

        ObjectNode toJson() {
            ObjectNode n = Json.object();
            n.put("mediaType", mediaType);
            n.put("digest", digest);
            n.put("size", size);
            if (!annotations.isEmpty()) {
                ObjectNode a = n.putObject("annotations");
                annotations.forEach(a::put);
            }
            return n;
        }
    }

    record Manifest(String mediaType, Descriptor config, List<Descriptor> layers) {}

    static boolean isIndex(String mediaType) {
        return mediaType.equals(OCI_INDEX) || mediaType.equals(DOCKER_LIST);
    }

    static boolean isManifest(String mediaType) {
        return mediaType.equals(OCI_MANIFEST) || mediaType.equals(DOCKER_MANIFEST);
    }

    /** Checks that {@code doc} is what {@code declared} says; returns the parsed JSON. */
    static JsonNode check(byte[] doc, String declared, String what) throws IOException {
        JsonNode n = Json.parse(doc, what);
        String own = Json.text(n, "mediaType");
        boolean hasManifests = n.has("manifests");
        boolean hasLayers = n.has("layers") || n.has("config");
        if (hasManifests && hasLayers) {
            throw new IOException(what + " has both 'manifests' and 'layers': neither an index nor a manifest");
        }
        if (own != null && !own.equals(declared)) {
            throw new IOException(what + " says it is " + own + " but was referenced as " + declared);
        }
        if (isIndex(declared) && !hasManifests) {
            throw new IOException(what + " was referenced as an index (" + declared + ") but has no 'manifests'");
        }
        if (isManifest(declared) && (!n.has("config") || !n.has("layers"))) {
            throw new IOException(what + " was referenced as a manifest (" + declared + ") but lacks 'config' or 'layers'");
        }
        if (!isIndex(declared) && !isManifest(declared)) {
            throw new IOException(what + " has media type " + declared + ", not an image manifest or index");
        }
        return n;
    }

    static Manifest manifest(JsonNode n, String mediaType, String what) throws IOException {
        Descriptor config = Descriptor.of(n.get("config"), what + " config");
        if (!config.mediaType().equals(OCI_CONFIG) && !config.mediaType().equals(DOCKER_CONFIG)) {
            throw new IOException(what + ": config media type " + config.mediaType() + " is not an image config");
        }
        List<Descriptor> layers = new ArrayList<>();
        JsonNode ls = n.get("layers");
        if (!ls.isArray()) {
            throw new IOException(what + ": 'layers' is not an array");
        }
        for (JsonNode l : ls) {
            Descriptor d = Descriptor.of(l, what + " layer");
            if (Compression.ofMediaType(d.mediaType()).isEmpty()) {
                throw new IOException(what + ": layer " + d.digest() + " has media type " + d.mediaType()
                        + ", not a layer's");
            }
            layers.add(d);
        }
        return new Manifest(mediaType, config, layers);
    }

    static List<Descriptor> entries(JsonNode index, String what) throws IOException {
        List<Descriptor> out = new ArrayList<>();
        for (JsonNode m : index.get("manifests")) {
            out.add(Descriptor.of(m, what + " entry"));
        }
        return out;
    }

    /** This machine's platform as images name it. */
    static Platform host() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return new Platform("linux", switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "arm" -> "arm";
            default -> arch;
        }, null);
    }

    /** The index entry for linux and this machine's architecture; an error naming the platforms offered. */
    static Descriptor choose(List<Descriptor> entries, String what) throws IOException {
        Platform host = host();
        List<String> offered = new ArrayList<>();
        for (Descriptor d : entries) {
            if (!isManifest(d.mediaType())) {
                continue; // attestations and nested indexes are not images to run
            }
            if (d.platform().isEmpty()) {
                offered.add("(none)");
                continue;
            }
            Platform p = d.platform().get();
            if ("unknown".equals(p.os())) {
                continue; // BuildKit's attestation manifests
            }
            offered.add(p.toString());
            if (host.os().equals(p.os()) && host.architecture().equals(p.architecture())) {
                return d;
            }
        }
        throw new IOException(what + " offers no image for " + host + " (offered: "
                + (offered.isEmpty() ? "none" : String.join(", ", offered)) + ")");
    }

    /** An OCI manifest for {@code config} and {@code layers}. */
    static byte[] ociManifest(Descriptor config, List<Descriptor> layers) {
        ObjectNode n = Json.object();
        n.put("schemaVersion", 2);
        n.put("mediaType", OCI_MANIFEST);
        n.set("config", config.toJson());
        ArrayNode ls = n.putArray("layers");
        for (Descriptor d : layers) {
            ls.add(d.toJson());
        }
        return Json.bytes(n);
    }
}
