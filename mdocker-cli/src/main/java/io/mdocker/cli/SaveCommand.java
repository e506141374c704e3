package io.mdocker.cli;

import io.mdocker.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code mdocker save -o FILE IMAGE...}: an archive that mdocker load and docker load read. */
@Command(name = "save", mixinStandardHelpOptions = true,
        description = "Save images to a tar archive (docker save's format, also an OCI layout).")
final class SaveCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The archive to write.")
    Path output;

    @Parameters(arity = "1..*", paramLabel = "IMAGE")
    List<String> images;

    @Override
    public Integer call() throws IOException {
        ImageStore store = ImageStore.of(state.runtime());
        for (String i : images) {
            if (store.inspect(i).isEmpty()) {
                throw new IllegalArgumentException("no such image: " + i);
            }
        }
        Path parent = output.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, ".mdocker-save", ".tmp");
        try {
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                store.save(images, out);
            }
            Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return 0;
    }
}
