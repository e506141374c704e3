package io.mdocker.internal.image;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image's configuration (OCI image config or Docker's container image JSON): what a container
 * of it runs, as Docker applies it.
 */
public record ImageConfig(String os, String architecture, List<String> diffIds, List<String> entrypoint, List<String> cmd,
                   List<String> env, String workingDir, String user, List<String> exposedPorts, String stopSignal,
                   Map<String, String> labels, Optional<Instant> created, Optional<Health> healthcheck) {
    /**
     * The config's Healthcheck; durations in nanoseconds, 0 where the image gives none (Docker's
     * defaults then apply), retries 0 likewise.
     */
    public record Health(List<String> test, long intervalNanos, long timeoutNanos, int retries, long startPeriodNanos) {}

    static ImageConfig parse(byte[] data, String what) throws IOException {
        JsonNode n = Json.parse(data, what);
        JsonNode rootfs = n.get("rootfs");
        if (rootfs == null || !"layers".equals(Json.text(rootfs, "type")) || !rootfs.has("diff_ids")) {
            throw new IOException(what + " has no rootfs of type 'layers' with diff_ids");
        }
        List<String> diffIds = new ArrayList<>();
        for (JsonNode d : rootfs.get("diff_ids")) {
            try {
                Digests.hex(d.asText(), what + " diff_id");
            } catch (IllegalArgumentException e) {
                throw new IOException(e.getMessage());
            }
            diffIds.add(d.asText());
        }
        JsonNode c = n.has("config") && n.get("config").isObject() ? n.get("config") : Json.object();
        Map<String, String> labels = new LinkedHashMap<>();
        if (c.has("Labels") && c.get("Labels").isObject()) {
            c.get("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        }
        List<String> ports = new ArrayList<>();
        if (c.has("ExposedPorts") && c.get("ExposedPorts").isObject()) {
            c.get("ExposedPorts").fieldNames().forEachRemaining(ports::add);
        }
        Optional<Instant> created = Optional.empty();
        try {
            if (n.hasNonNull("created")) {
                created = Optional.of(Instant.parse(n.get("created").asText()));
            }
        } catch (java.time.format.DateTimeParseException e) {
            // an unreadable creation time is shown as unknown
        }
        return new ImageConfig(Json.text(n, "os"), Json.text(n, "architecture"), diffIds, strings(c, "Entrypoint"),
                strings(c, "Cmd"), strings(c, "Env"), orEmpty(Json.text(c, "WorkingDir")), orEmpty(Json.text(c, "User")),
                ports, orEmpty(Json.text(c, "StopSignal")), labels, created, health(c.get("Healthcheck")));
    }

    private static Optional<Health> health(JsonNode h) {
        if (h == null || !h.isObject() || !h.has("Test")) {
            return Optional.empty();
        }
        List<String> test = strings(h, "Test");
        return Optional.of(new Health(test, h.path("Interval").asLong(0), h.path("Timeout").asLong(0),
                h.path("Retries").asInt(0), h.path("StartPeriod").asLong(0)));
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }

    private static List<String> strings(JsonNode c, String field) {
        JsonNode v = c.get(field);
        List<String> out = new ArrayList<>();
        if (v != null && v.isArray()) {
            v.forEach(x -> out.add(x.asText()));
        } else if (v != null && v.isTextual()) {
            out.add(v.asText());
        }
        return out;
    }

    /** A config for an imported root filesystem: one layer, nothing else set. */
    static byte[] minimal(String diffId, Instant created) {
        var n = Json.object();
        n.put("created", created.toString());
        n.put("architecture", Manifests.host().architecture());
        n.put("os", "linux");
        n.putObject("config");
        var r = n.putObject("rootfs");
        r.put("type", "layers");
        r.putArray("diff_ids").add(diffId);
        return Json.bytes(n);
    }
}
