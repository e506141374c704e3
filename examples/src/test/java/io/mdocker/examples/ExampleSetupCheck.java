package io.mdocker.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** Leak checks on the examples' state root. */
final class ExampleSetupCheck {
    private ExampleSetupCheck() {}

    /** Containers recorded under the examples' runtime now. */
    static List<Path> recorded() {
        io.mdocker.ContainerRuntime.awaitCleanup(); // a run() returns before its teardown is over
        Path dir = ExampleSetup.runtime().runRoot().resolve("containers");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
