package io.mdocker;

import java.util.Objects;
import java.util.Optional;

/**
 * A condition {@link ContainerRuntime#list(ContainerFilter...)} keeps the containers by, as Docker's
 * {@code ps --filter}: a label present ({@link #label(String)}), or present with a value
 * ({@link #label(String, String)}). Several filters must all match.
 */
public sealed interface ContainerFilter permits ContainerFilter.Label {
    /** Whether {@code container} passes this filter. */
    boolean matches(ContainerInfo container);

    /** Containers that have label {@code key}, whatever its value. */
    static ContainerFilter label(String key) {
        return new Label(key, Optional.empty());
    }

    /** Containers whose label {@code key} is {@code value}. */
    static ContainerFilter label(String key, String value) {
        return new Label(key, Optional.of(Objects.requireNonNull(value, "label value")));
    }

    /**
     * Parses Docker's {@code --filter} text: {@code label=KEY} or {@code label=KEY=VALUE}.
     *
     * @throws IllegalArgumentException for any other filter, naming it
     */
    static ContainerFilter parse(String filter) {
        Objects.requireNonNull(filter, "filter");
        if (!filter.startsWith("label=")) {
            throw new IllegalArgumentException("unsupported filter '" + Labels.oneLine(filter)
                    + "': expected label=KEY or label=KEY=VALUE");
        }
        String kv = filter.substring("label=".length());
        int eq = kv.indexOf('=');
        return eq < 0 ? label(kv) : label(kv.substring(0, eq), kv.substring(eq + 1));
    }

    /**
     * A container's label: present ({@code value} empty) or present with {@code value}.
     *
     * @param key   the label's key: non-empty, without '=', NUL or line breaks
     * @param value the value it must have; empty for any
     */
    record Label(String key, Optional<String> value) implements ContainerFilter {
        /** Checks the key. */
        public Label {
            Labels.checkKey(key);
            Objects.requireNonNull(value, "value");
        }

        @Override
        public boolean matches(ContainerInfo container) {
            String v = container.labels().get(key);
            return v != null && value.map(v::equals).orElse(true);
        }

        /** Docker's form: {@code label=KEY} or {@code label=KEY=VALUE}. */
        @Override
        public String toString() {
            return "label=" + key + value.map(v -> "=" + v).orElse("");
        }
    }
}
