package io.mdocker.cli;

import io.mdocker.Image;
import io.mdocker.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code mdocker load -i FILE}: images from a docker save archive, or an OCI layout (oci:DIR[:TAG]). */
@Command(name = "load", mixinStandardHelpOptions = true,
        description = "Load images from a docker save archive (also what mdocker save writes), or oci:DIR[:TAG].")
final class LoadCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
            description = "The archive, docker-archive:FILE, or oci:DIR[:TAG] for an OCI image layout.")
    String input;

    @Option(names = "--name", paramLabel = "NAME", description = "Name the image of an OCI layout so (default: its tag).")
    String name;

    @Override
    public Integer call() {
        ImageStore store = ImageStore.of(state.runtime());
        if (input.startsWith("oci:")) {
            String rest = input.substring(4);
            int colon = rest.lastIndexOf(':');
            Path dir = Path.of(colon > 0 && !Files.isDirectory(Path.of(rest)) ? rest.substring(0, colon) : rest);
            Optional<String> tag = colon > 0 && !Files.isDirectory(Path.of(rest)) ? Optional.of(rest.substring(colon + 1))
                    : Optional.empty();
            Image i = store.loadOciLayout(dir, tag, Optional.ofNullable(name));
            System.out.println("Loaded image: " + (i.names().isEmpty() ? i.id() : String.join(", ", i.names())));
            return 0;
        }
        Path file = Path.of(input.startsWith("docker-archive:") ? input.substring("docker-archive:".length()) : input);
        for (Image i : store.load(file)) {
            System.out.println("Loaded image: " + (i.names().isEmpty() ? i.id() : String.join(", ", i.names())));
        }
        return 0;
    }
}
