package io.mdocker.internal.fs;

import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** PropertiesFiles.format writes what Properties.store writes (but its date line), and load reads it back. */
class PropertiesFilesTest {
    private static final String SPECIALS = " \t\n\r\f=:#!\\\u0000\u0001\u001f\u007f\u0085\u00e9\u2028\ud83d\ude00 ab\"'$";

    @Test
    void linesAreThoseOfPropertiesStoreAndLoadReadsThemBack() throws Exception {
        Random random = new Random(42);
        for (int round = 0; round < 500; round++) {
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 0; i < 1 + random.nextInt(8); i++) {
                values.put(randomString(random), randomString(random));
            }
            String written = new String(PropertiesFiles.format("mdocker container state", values), StandardCharsets.UTF_8);

            Properties stored = new Properties();
            stored.putAll(values);
            StringWriter reference = new StringWriter();
            stored.store(reference, "mdocker container state");
            // as the file holds it: UTF-8, an unpaired surrogate replaced by '?' (as an OutputStreamWriter does)
            List<String> expected = utf8(reference.toString()).lines().skip(2).sorted().toList(); // the comment and the date
            List<String> lines = written.lines().toList();
            assertThat(lines.getFirst()).isEqualTo("#mdocker container state");
            assertThat(lines.stream().skip(1).sorted().toList()).as("round %d: %s", round, values).isEqualTo(expected);

            Properties loaded = new Properties();
            loaded.load(new StringReader(written));
            Properties inUtf8 = new Properties();
            values.forEach((k, v) -> inUtf8.put(utf8(k), utf8(v)));
            assertThat(loaded).as("round %d", round).isEqualTo(inUtf8);
        }
    }

    @Test
    void keepsTheMapsOrder() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("id", "abc");
        values.put("env.HOME", "/root");
        values.put("a key", " leading space, then = and : and # and !");
        assertThat(new String(PropertiesFiles.format("c", values), StandardCharsets.UTF_8))
                .isEqualTo("#c\nid=abc\nenv.HOME=/root\na\\ key=\\ leading space, then \\= and \\: and \\# and \\!\n");
    }

    private static String utf8(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    private static String randomString(Random random) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < random.nextInt(12); i++) {
            b.append(random.nextInt(3) == 0 ? SPECIALS.charAt(random.nextInt(SPECIALS.length()))
                    : (char) ('a' + random.nextInt(26)));
        }
        return b.toString();
    }
}
