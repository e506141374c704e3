package io.mdocker.internal.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * JSON trees read and written with Jackson's streaming parser and generator, without an
 * {@code ObjectMapper}: constructing the first one initialises most of jackson-databind, tens of
 * milliseconds of every mdocker-runtime {@code create}, and a fifth of a second or more of an
 * {@code mdocker inspect} or a {@code run} of an image, each a JVM of its own (docs/bench/cli.md,
 * docs/bench/oci-runtime.md). The trees are jackson-databind's nodes, read as {@code ObjectMapper.readTree} reads them (ints as int nodes,
 * longs as long nodes, larger as big integers, other numbers as doubles; a repeated key's last value;
 * empty input a missing node) and written as {@code writeValueAsBytes} writes them (compact, fields in
 * order, or indented as {@code INDENT_OUTPUT} indents them: {@link #pretty}). A node's own
 * {@code toString()} would use an ObjectMapper: {@link #text} instead.
 */
public final class Json {
    private Json() {}

    /** Makes the nodes of trees built here. */
    public static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final JsonFactory FACTORY = new JsonFactory();

    /** The tree of {@code json}; a parse error as Jackson's parser reports it. What follows the first value is not read. */
    public static JsonNode read(byte[] json) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            return p.nextToken() == null ? MissingNode.getInstance() : value(p);
        }
    }

    /**
     * As {@link #read}, and anything but white space after the first value is an error (as
     * {@code FAIL_ON_TRAILING_TOKENS} makes it): a second document is refused, not ignored.
     */
    public static JsonNode readStrict(byte[] json) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            if (p.nextToken() == null) {
                return MissingNode.getInstance();
            }
            JsonNode n = value(p);
            JsonToken next = p.nextToken();
            if (next != null) {
                throw new JsonParseException(p, "Trailing token (of type " + next + ") found after value");
            }
            return n;
        }
    }

    private static JsonNode value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.START_OBJECT) {
            ObjectNode o = NODES.objectNode();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                o.set(name, value(p));
            }
            return o;
        } else if (t == JsonToken.START_ARRAY) {
            ArrayNode a = NODES.arrayNode();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                a.add(value(p));
            }
            return a;
        } else if (t == JsonToken.VALUE_STRING) {
            return NODES.textNode(p.getText());
        } else if (t == JsonToken.VALUE_NUMBER_INT) {
            JsonParser.NumberType type = p.getNumberType();
            return type == JsonParser.NumberType.INT ? NODES.numberNode(p.getIntValue())
                    : type == JsonParser.NumberType.LONG ? NODES.numberNode(p.getLongValue())
                    : NODES.numberNode(p.getBigIntegerValue());
        } else if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            return NODES.numberNode(p.getDoubleValue());
        } else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) {
            return NODES.booleanNode(t == JsonToken.VALUE_TRUE);
        } else if (t == JsonToken.VALUE_NULL) {
            return NODES.nullNode();
        }
        throw new IOException("unexpected JSON token " + t + " at " + p.currentLocation().offsetDescription());
    }

    /** {@code node} as compact JSON text in UTF-8. */
    public static byte[] bytes(JsonNode node) {
        return written(node, false);
    }

    /** {@code node} as compact JSON text. */
    public static String text(JsonNode node) {
        return new String(bytes(node), StandardCharsets.UTF_8);
    }

    /** {@code node} as indented JSON text, as an ObjectMapper with {@code INDENT_OUTPUT} writes it. */
    public static String pretty(JsonNode node) {
        return new String(written(node, true), StandardCharsets.UTF_8);
    }

    private static byte[] written(JsonNode node, boolean indented) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            if (indented) {
                g.useDefaultPrettyPrinter();
            }
            write(g, node);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // into memory: not expected
        }
        return out.toByteArray();
    }

    private static void write(JsonGenerator g, JsonNode n) throws IOException {
        if (n.isObject()) {
            g.writeStartObject();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                g.writeFieldName(e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (n.isArray()) {
            g.writeStartArray();
            for (JsonNode e : n) {
                write(g, e);
            }
            g.writeEndArray();
        } else if (n.isTextual()) {
            g.writeString(n.textValue());
        } else if (n.isInt() || n.isShort()) {
            g.writeNumber(n.intValue());
        } else if (n.isFloat()) {
            g.writeNumber(n.floatValue());
        } else if (n.isLong()) {
            g.writeNumber(n.longValue());
        } else if (n.isBigInteger()) {
            g.writeNumber(n.bigIntegerValue());
        } else if (n.isBigDecimal()) {
            g.writeNumber(n.decimalValue());
        } else if (n.isNumber()) {
            g.writeNumber(n.doubleValue());
        } else if (n.isBoolean()) {
            g.writeBoolean(n.booleanValue());
        } else if (n.isNull()) {
            g.writeNull();
        } else {
            throw new IllegalArgumentException("not a JSON value: " + n.getNodeType());
        }
    }
}
