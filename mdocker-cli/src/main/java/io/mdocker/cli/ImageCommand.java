package io.mdocker.cli;

import io.mdocker.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/**
 * {@code mdocker image prune}: removes blobs and layers no image refers to; {@code mdocker image tag}
 * is {@code mdocker tag}.
 */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Manage images.",
        subcommands = {ImageCommand.Prune.class, TagCommand.class})
final class ImageCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "expected a subcommand: prune or tag");
    }

    @Command(name = "prune", mixinStandardHelpOptions = true,
            description = "Remove the blobs and unpacked layers that no image refers to.")
    static final class Prune implements Callable<Integer> {
        @Mixin
        StateRootOption state = new StateRootOption();

        @Override
        public Integer call() {
            long freed = ImageStore.of(state.runtime()).prune();
            System.out.println("Total reclaimed space: " + ImagesCommand.size(freed));
            return 0;
        }
    }
}
