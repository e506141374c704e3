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

/** The small java.util.Properties files mdocker keeps its records in. */
public final class PropertiesFiles {
    private PropertiesFiles() {}

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
