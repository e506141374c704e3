package io.mdocker.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * picocli's model built with its programmatic API, for the command lines whose start-up matters
 * ({@code mdocker} itself and {@code run}): no annotation is read, so the JVM generates no
 * annotation proxy classes (seven for {@code run}, which its AOT cache cannot keep) and reflects on
 * no field (docs/bench/cli.md). Options hold their values themselves (picocli's default binding);
 * the command reads them after the parse.
 */
final class Model {
    private Model() {}

    /** An option without a value (a flag). */
    static OptionSpec flag(String description, String... names) {
        return OptionSpec.builder(names).type(boolean.class).description(description).build();
    }

    /** An option with one value of {@code type}. */
    static OptionSpec option(String label, Class<?> type, String description, String... names) {
        return OptionSpec.builder(names).paramLabel(label).type(type).description(description).build();
    }

    /** A repeatable option whose values are a list of {@code element}. */
    static OptionSpec list(String label, Class<?> element, String description, String... names) {
        return listBuilder(label, element, description, names).build();
    }

    /** The builder of {@link #list}, for more attributes. */
    static OptionSpec.Builder listBuilder(String label, Class<?> element, String description, String... names) {
        return OptionSpec.builder(names).paramLabel(label).type(List.class).auxiliaryTypes(element).description(description);
    }

    /** The parsed value of option {@code name} of {@code spec} (null when not given and without default). */
    @SuppressWarnings("unchecked")
    static <T> T value(CommandSpec spec, String name) {
        return (T) option(spec, name).getValue();
    }

    /** Whether flag {@code name} was given. */
    static boolean flag(CommandSpec spec, String name) {
        return Boolean.TRUE.equals(option(spec, name).getValue());
    }

    /**
     * Option {@code name} (with its dashes) of {@code spec}, from the map of names the spec keeps
     * (CommandSpec.findOption goes through every option and works out each one's names again).
     */
    private static OptionSpec option(CommandSpec spec, String name) {
        OptionSpec o = spec.optionsMap().get(name);
        if (o == null) {
            throw new IllegalArgumentException("no option " + name + " in " + spec.name());
        }
        return o;
    }

    /** The values of list option {@code name}, in order; a new empty list when it was not given. */
    static <T> List<T> values(CommandSpec spec, String name) {
        List<T> v = value(spec, name);
        return v == null ? new ArrayList<>() : v;
    }
}
