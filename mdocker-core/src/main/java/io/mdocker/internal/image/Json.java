package io.mdocker.internal.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/**
 * The images' one way to read and write JSON: jackson-databind's tree nodes, through the streaming
 * parser and generator of {@link io.mdocker.internal.json.Json} (no ObjectMapper to set up: a CLI
 * {@code run} of an image starts a JVM).
 */
final class Json {
    private Json() {}

    /**
     * The object {@code data} holds; an IOException names {@code what} when it is not JSON, not an
     * object, or followed by more than white space (a second document is refused, not ignored).
     */
    static JsonNode parse(byte[] data, String what) throws IOException {
        JsonNode n = tree(data, what);
        if (!n.isObject()) {
            throw new IOException(what + " is not a JSON object");
        }
        return n;
    }

    /** Any JSON value {@code data} holds (a missing node when empty), strict as {@link #parse}. */
    static JsonNode tree(byte[] data, String what) throws IOException {
        try {
            return io.mdocker.internal.json.Json.readStrict(data);
        } catch (JsonProcessingException e) {
            throw new IOException(what + " is not valid JSON: " + e.getOriginalMessage());
        }
    }

    static ObjectNode object() {
        return io.mdocker.internal.json.Json.NODES.objectNode();
    }

    static ArrayNode array() {
        return io.mdocker.internal.json.Json.NODES.arrayNode();
    }

    static byte[] bytes(JsonNode n) {
        return io.mdocker.internal.json.Json.bytes(n);
    }

    static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
