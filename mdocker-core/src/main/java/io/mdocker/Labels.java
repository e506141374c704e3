package io.mdocker;

import java.util.Objects;

/** The checks and parsing of container labels (Docker's {@code --label KEY=VALUE}), shared by the API's classes. */
final class Labels {
    private Labels() {}

    /**
     * Checks a label: a key that is not empty and holds no '=', NUL or line break; any value.
     *
     * @throws IllegalArgumentException naming the key, on one line
     */
    static void check(String key, String value) {
        Objects.requireNonNull(key, "label key");
        Objects.requireNonNull(value, "label value of " + key);
        checkKey(key);
    }

    static String checkKey(String key) {
        Objects.requireNonNull(key, "label key");
        if (key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0 || key.indexOf('\n') >= 0
                || key.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("invalid label key '" + oneLine(key)
                    + "': expected a non-empty key without '=', NUL or line breaks");
        }
        return key;
    }

    /** {@code KEY=VALUE} split at its first '=' (Docker's {@code --label}; {@code KEY} alone is an empty value). */
    static String[] parse(String keyEqualsValue) {
        Objects.requireNonNull(keyEqualsValue, "label");
        int eq = keyEqualsValue.indexOf('=');
        String[] kv = eq < 0 ? new String[] {keyEqualsValue, ""}
                : new String[] {keyEqualsValue.substring(0, eq), keyEqualsValue.substring(eq + 1)};
        if (kv[0].isEmpty()) {
            throw new IllegalArgumentException("invalid label '" + oneLine(keyEqualsValue) + "': expected KEY=VALUE");
        }
        check(kv[0], kv[1]);
        return kv;
    }

    /** {@code s} with NUL and line breaks escaped, for a one-line message. */
    static String oneLine(String s) {
        return s.replace("\\", "\\\\").replace("\0", "\\0").replace("\n", "\\n").replace("\r", "\\r");
    }
}
