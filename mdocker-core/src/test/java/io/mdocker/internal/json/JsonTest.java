package io.mdocker.internal.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Json reads, writes and indents trees as ObjectMapper does, node types included, without constructing one. */
class JsonTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void readsAsReadTreeDoes() throws IOException {
        for (String json : List.of(
                "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\",\"-c\",\"x\\n\\u00e9\"],\"user\":{\"uid\":0,\"gid\":4294967295},"
                        + "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":18446744073709551615,\"soft\":1024}],"
                        + "\"oomScoreAdj\":-17,\"terminal\":false,\"noNewPrivileges\":true},\"cpu\":0.5,\"exp\":1e3,\"n\":null,"
                        + "\"a\":[],\"o\":{},\"dup\":1,\"dup\":\"last\"}",
                "[1,2.5,true,false,null,\"s\",[[]],{\"k\":{}}]",
                "\"top\"", "42", "", "  ")) {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            JsonNode expected = MAPPER.readTree(b);
            JsonNode actual = Json.read(b);
            assertThat(actual).as(json).isEqualTo(expected);
            assertThat(types(actual)).as(json).isEqualTo(types(expected));
        }
    }

    /** The node type of every value, depth first (equals compares values, not int against long nodes). */
    private static String types(JsonNode n) {
        StringBuilder b = new StringBuilder(n.getClass().getSimpleName());
        n.elements().forEachRemaining(e -> b.append('(').append(types(e)).append(')'));
        return b.toString();
    }

    @Test
    void writesAsWriteValueAsBytesDoes() throws IOException {
        JsonNode tree = MAPPER.readTree("{\"ociVersion\":\"1.0.2\",\"id\":\"a\\\"b\",\"pid\":12,\"big\":18446744073709551615,"
                + "\"l\":4294967296,\"d\":0.25,\"t\":true,\"n\":null,\"annotations\":{\"k\":\"v\\u0001\"},\"a\":[1,[],{}]}");
        assertThat(new String(Json.bytes(tree), StandardCharsets.UTF_8))
                .isEqualTo(new String(MAPPER.writeValueAsBytes(tree), StandardCharsets.UTF_8));
        assertThat(Json.text(Json.NODES.textNode("a \"quoted\"\nline"))).isEqualTo("\"a \\\"quoted\\\"\\nline\"");
    }

    @Test
    void indentsAsIndentOutputDoes() throws IOException {
        JsonNode tree = MAPPER.readTree("[{\"Id\":\"a\\\"b\",\"State\":{\"Pid\":12,\"ExitCode\":null,\"Running\":true},"
                + "\"big\":18446744073709551615,\"l\":4294967296,\"d\":0.25,\"Labels\":{},\"Ports\":[],"
                + "\"a\":[1,[],{\"k\":\"v\\u0001\"}]},{}]");
        assertThat(Json.pretty(tree)).isEqualTo(MAPPER.copy()
                .enable(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT).writeValueAsString(tree));
        assertThat(Json.pretty(Json.NODES.arrayNode())).isEqualTo("[ ]");
    }

    @Test
    void strictlyRefusesWhatFollowsTheValueAsFailOnTrailingTokensDoes() throws IOException {
        ObjectMapper strict = MAPPER.copy().enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        for (String json : List.of("{} {}", "{\"a\":1}x", "[1] 2", "1 2")) {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> strict.readTree(b)).as(json).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> Json.readStrict(b)).as(json).isInstanceOf(IOException.class);
            assertThat(Json.read(b)).as("lenient: " + json).isEqualTo(MAPPER.readTree(b));
        }
        for (String json : List.of("{\"a\":[1,{}]} \n\t", "", " ")) {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            assertThat(Json.readStrict(b)).as(json).isEqualTo(strict.readTree(b));
        }
    }

    @Test
    void writesShortAndFloatNodesAsWriteValueAsBytesDoes() throws IOException {
        var tree = Json.NODES.objectNode();
        tree.put("s", (short) 7).put("f", 0.1f).put("d", 0.1).put("b", new java.math.BigDecimal("1.50"));
        assertThat(new String(Json.bytes(tree), StandardCharsets.UTF_8))
                .isEqualTo(new String(MAPPER.writeValueAsBytes(tree), StandardCharsets.UTF_8));
    }

    @Test
    void refusesWhatReadTreeRefuses() {
        for (String json : List.of("{", "{\"a\":}", "[1,", "{\"a\" 1}")) {
            byte[] b = json.getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> MAPPER.readTree(b)).as(json).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> Json.read(b)).as(json).isInstanceOf(IOException.class);
        }
    }
}
