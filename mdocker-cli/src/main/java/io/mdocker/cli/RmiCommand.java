package io.mdocker.cli;

import io.mdocker.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code mdocker rmi}: removes image names, and images left without one. */
@Command(name = "rmi", mixinStandardHelpOptions = true,
        description = "Remove images (refused while a container uses one, unless -f).")
final class RmiCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = {"-f", "--force"}, description = "Remove even when a container uses the image.")
    boolean force;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Names or IDs.")
    List<String> images;

    @Override
    public Integer call() {
        ImageStore store = ImageStore.of(state.runtime());
        int status = 0;
        for (String i : images) {
            try {
                store.remove(i, force).forEach(System.out::println);
            } catch (IllegalArgumentException | IllegalStateException e) {
                System.err.println("mdocker: " + Main.oneLine(e));
                status = 1;
            }
        }
        return status;
    }
}
