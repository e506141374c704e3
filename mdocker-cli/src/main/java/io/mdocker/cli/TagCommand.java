package io.mdocker.cli;

import io.mdocker.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code mdocker tag SOURCE TARGET} (also {@code mdocker image tag}): gives an image another name,
 * as Docker's {@code tag}. Prints nothing; an image that is not there is one line on stderr and
 * status 1, a target that is not an image name one line and status 125.
 */
@Command(name = "tag", mixinStandardHelpOptions = true,
        description = "Give the image SOURCE (a name or ID) the name TARGET too.")
final class TagCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Parameters(index = "0", paramLabel = "SOURCE", description = "The image: a name (alpine, app:1) or an ID.")
    String source;

    @Parameters(index = "1", paramLabel = "TARGET", description = "The new name, e.g. app:2 or host:5000/app:2.")
    String target;

    @Override
    public Integer call() {
        ImageStore store = ImageStore.of(state.runtime());
        if (store.inspect(source).isEmpty()) {
            System.err.println("mdocker: " + Main.oneLine("no such image: " + source));
            return 1;
        }
        store.tag(source, target);
        return 0;
    }
}
