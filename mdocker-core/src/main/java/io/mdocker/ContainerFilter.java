package io.mdocker;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A condition {@link ContainerRuntime#list(ContainerFilter...)} keeps the containers by, as Docker's
 * {@code ps --filter}: a label present ({@link #label(String)}) or present with a value
 * ({@link #label(String, String)}), a state ({@link #status}), a name ({@link #name}), an id
 * ({@link #id}), an exit code ({@link #exited}), a health status ({@link #health}) or the image
 * ({@link #ancestor}). As in Docker,
 * every label filter must match, and of the other kinds at least one filter of each kind given.
 */
public sealed interface ContainerFilter permits ContainerFilter.Label, ContainerFilter.Status, ContainerFilter.Name,
        ContainerFilter.Id, ContainerFilter.Exited, ContainerFilter.Health, ContainerFilter.Ancestor {
    /** Whether {@code container} passes this filter. */
    boolean matches(ContainerInfo container);

    /**
     * Whether {@code container} passes {@code filters} together: all the label filters, and one
     * filter at least of each other kind among them (Docker's {@code --filter}, repeated).
     */
    static boolean matchesAll(List<ContainerFilter> filters, ContainerInfo container) {
        for (ContainerFilter f : filters) {
            if (f instanceof Label ? !f.matches(container)
                    : filters.stream().noneMatch(g -> g.getClass() == f.getClass() && g.matches(container))) {
                return false;
            }
        }
        return true;
    }

    /** Containers that have label {@code key}, whatever its value. */
    static ContainerFilter label(String key) {
        return new Label(key, Optional.empty());
    }

    /** Containers whose label {@code key} is {@code value}. */
    static ContainerFilter label(String key, String value) {
        return new Label(key, Optional.of(Objects.requireNonNull(value, "label value")));
    }

    /**
     * Containers in Docker's status {@code status}: {@code running} (not paused), {@code paused}
     * or {@code exited}; Docker's {@code created}, {@code restarting}, {@code removing} and
     * {@code dead}, which mdocker's containers never are, match none.
     *
     * @throws IllegalArgumentException for any other word
     */
    static ContainerFilter status(String status) {
        return new Status(status);
    }

    /**
     * Containers whose name {@code pattern} (a regular expression, as Docker's) is found in:
     * {@code name("web")} matches {@code web-1} and {@code my-web}, {@code name("^web$")} only {@code web}.
     *
     * @throws IllegalArgumentException when {@code pattern} is not a regular expression
     */
    static ContainerFilter name(String pattern) {
        return new Name(pattern);
    }

    /**
     * Containers whose id starts with {@code prefix} (hexadecimal digits).
     *
     * @throws IllegalArgumentException when {@code prefix} is empty or not hexadecimal
     */
    static ContainerFilter id(String prefix) {
        return new Id(prefix);
    }

    /** Exited containers whose exit code is {@code code} (128+n: killed by signal n). */
    static ContainerFilter exited(int code) {
        return new Exited(code);
    }

    /**
     * Containers whose healthcheck's status is {@code status} ({@code starting}, {@code healthy},
     * {@code unhealthy}), or that have no healthcheck ({@code none}).
     *
     * @throws IllegalArgumentException for any other word
     */
    static ContainerFilter health(String status) {
        return new Health(status);
    }

    /**
     * Containers started from the image {@code image} ({@code postgres:15}; {@code busybox} is
     * {@code busybox:latest}, as the references are compared by what they name), or from the root
     * filesystem directory {@code image}.
     *
     * @throws IllegalArgumentException when {@code image} is empty
     */
    static ContainerFilter ancestor(String image) {
        return new Ancestor(image);
    }

    /**
     * Parses Docker's {@code --filter} text: {@code label=KEY}, {@code label=KEY=VALUE},
     * {@code status=STATUS}, {@code name=PATTERN}, {@code id=PREFIX}, {@code exited=CODE},
     * {@code health=STATUS} or {@code ancestor=IMAGE}.
     *
     * @throws IllegalArgumentException for any other filter, or a value the kind does not take, naming it
     */
    static ContainerFilter parse(String filter) {
        Objects.requireNonNull(filter, "filter");
        int eq = filter.indexOf('=');
        String kind = eq < 0 ? filter : filter.substring(0, eq);
        String value = eq < 0 ? null : filter.substring(eq + 1);
        if (value == null || !List.of("label", "status", "name", "id", "exited", "health", "ancestor").contains(kind)) {
            throw new IllegalArgumentException("unsupported filter '" + Labels.oneLine(filter) + "': expected label=KEY[=VALUE], "
                    + "status=, name=, id=, exited=, health= or ancestor=");
        }
        return switch (kind) {
            case "label" -> {
                int at = value.indexOf('=');
                yield at < 0 ? label(value) : label(value.substring(0, at), value.substring(at + 1));
            }
            case "status" -> status(value);
            case "name" -> name(value);
            case "id" -> id(value);
            case "exited" -> {
                try {
                    yield exited(Integer.parseInt(value));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("invalid filter 'exited=" + Labels.oneLine(value)
                            + "': expected an exit code");
                }
            }
            case "ancestor" -> ancestor(value);
            default -> health(value);
        };
    }

    /** Refuses a {@code kind=value} filter whose value is not one of {@code words}, in one line naming them. */
    private static void checkWord(String kind, String value, List<String> words) {
        Objects.requireNonNull(value, kind);
        if (!words.contains(value)) {
            throw new IllegalArgumentException("invalid filter '" + kind + "=" + Labels.oneLine(value) + "': expected one of "
                    + String.join(", ", words));
        }
    }

    /**
     * A container's state, in Docker's words.
     *
     * @param status running, paused or exited (or one of Docker's states mdocker's containers are never in)
     */
    record Status(String status) implements ContainerFilter {
        private static final List<String> DOCKER = List.of("created", "restarting", "running", "removing", "paused",
                "exited", "dead");

        /** Checks the word. */
        public Status {
            checkWord("status", status, DOCKER);
        }

        @Override
        public boolean matches(ContainerInfo container) {
            return container.state().name().toLowerCase(Locale.ROOT).equals(status);
        }

        /** Docker's form. */
        @Override
        public String toString() {
            return "status=" + status;
        }
    }

    /**
     * A container's name, found by a regular expression.
     *
     * @param pattern the regular expression
     */
    record Name(String pattern) implements ContainerFilter {
        /** Checks the expression. */
        public Name {
            Objects.requireNonNull(pattern, "pattern");
            try {
                Pattern.compile(pattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("invalid filter 'name=" + Labels.oneLine(pattern)
                        + "': expected a regular expression (" + e.getDescription() + ")");
            }
        }

        @Override
        public boolean matches(ContainerInfo container) {
            return container.name().filter(n -> Pattern.compile(pattern).matcher(n).find()).isPresent();
        }

        /** Docker's form. */
        @Override
        public String toString() {
            return "name=" + pattern;
        }
    }

    /**
     * The beginning of a container's id.
     *
     * @param prefix hexadecimal digits
     */
    record Id(String prefix) implements ContainerFilter {
        /** Checks the digits. */
        public Id {
            Objects.requireNonNull(prefix, "prefix");
            if (!prefix.matches("[0-9a-f]{1,64}")) {
                throw new IllegalArgumentException("invalid filter 'id=" + Labels.oneLine(prefix)
                        + "': expected the beginning of an id (hexadecimal digits)");
            }
        }

        @Override
        public boolean matches(ContainerInfo container) {
            return container.id().startsWith(prefix);
        }

        /** Docker's form. */
        @Override
        public String toString() {
            return "id=" + prefix;
        }
    }

    /**
     * An exited container's exit code.
     *
     * @param code the exit code
     */
    record Exited(int code) implements ContainerFilter {
        @Override
        public boolean matches(ContainerInfo container) {
            return !container.running() && container.exitCode().isPresent() && container.exitCode().getAsInt() == code;
        }

        /** Docker's form. */
        @Override
        public String toString() {
            return "exited=" + code;
        }
    }

    /**
     * A container's health.
     *
     * @param status starting, healthy, unhealthy, or none for a container without a healthcheck
     */
    record Health(String status) implements ContainerFilter {
        private static final List<String> WORDS = List.of("starting", "healthy", "unhealthy", "none");

        /** Checks the word. */
        public Health {
            checkWord("health", status, WORDS);
        }

        @Override
        public boolean matches(ContainerInfo container) {
            return container.health().map(h -> h.status().dockerName()).orElse("none").equals(status);
        }

        /** Docker's form. */
        @Override
        public String toString() {
            return "health=" + status;
        }
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

    /**
     * The image a container was started from.
     *
     * @param image an image reference, or a root filesystem's directory
     */
    record Ancestor(String image) implements ContainerFilter {
        /** Checks it is not empty. */
        public Ancestor {
            Objects.requireNonNull(image, "image");
            if (image.isBlank()) {
                throw new IllegalArgumentException("invalid filter 'ancestor=': expected an image reference or a root "
                        + "filesystem's directory");
            }
        }

        @Override
        public boolean matches(ContainerInfo container) {
            return container.image().filter(i -> i.equals(image) || sameReference(i, image)).isPresent();
        }

        private static boolean sameReference(String a, String b) {
            try {
                return io.mdocker.internal.image.ImageReference.parse(a).equals(io.mdocker.internal.image.ImageReference.parse(b));
            } catch (IllegalArgumentException notReferences) {
                return false;
            }
        }

        /** Docker's form. */
        @Override
        public String toString() {
            return "ancestor=" + image;
        }
    }
}
