package io.mdocker.internal.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The small java.util.Properties files mdocker keeps its records in: read with
 * {@link Properties#load(java.io.Reader)}, written by {@link #format} (the lines
 * {@link Properties#store(java.io.Writer, String)} writes, without its date line and in the map's
 * order), which a container's start pays for once: {@code Properties.store} through its writers took
 * a tenth of a start of a short-lived JVM's code.
 */
public final class PropertiesFiles {
    private PropertiesFiles() {}

    /**
     * {@code values} as a properties file in UTF-8: the comment line, then one {@code key=value}
     * line per entry, escaped as {@code Properties.store(Writer, comment)} escapes them (keys'
     * spaces, a value's leading space, tab, newline, carriage return, form feed, {@code = : # !}
     * and the backslash; other characters as they are).
     */
    public static byte[] format(String comment, Map<String, String> values) {
        StringBuilder b = new StringBuilder(64 * (values.size() + 1));
        b.append('#').append(comment).append('\n');
        for (Map.Entry<String, String> e : values.entrySet()) {
            escape(b, e.getKey(), true);
            b.append('=');
            escape(b, e.getValue(), false);
            b.append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void escape(StringBuilder b, String s, boolean key) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 61 && c < 127) {
                if (c == '\\') {
                    b.append('\\');
                }
                b.append(c);
                continue;
            }
            switch (c) {
                case ' ' -> b.append(i == 0 || key ? "\\ " : " ");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\f' -> b.append("\\f");
                case '=', ':', '#', '!' -> b.append('\\').append(c);
                default -> b.append(c);
            }
        }
    }

    /** {@code file} as a map; null when it does not exist. */
    public static Map<String, String> read(Path file) {
        Properties p = new Properties();
        try { // read whole: these files are small, and list() reads one or two per container
            p.load(new java.io.StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> m = new HashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }
}
