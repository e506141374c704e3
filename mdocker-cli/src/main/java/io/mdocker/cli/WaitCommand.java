package io.mdocker.cli;

import io.mdocker.DetachedContainer;
import picocli.CommandLine.Command;

/**
 * {@code mdocker wait ID...}: blocks until each detached container has exited and prints its exit
 * code, as Docker's {@code wait}.
 */
@Command(name = "wait", mixinStandardHelpOptions = true,
        description = "Wait for detached containers to exit, then print their exit codes, one per line.")
final class WaitCommand extends ContainerVerb {
    @Override
    String act(DetachedContainer c) {
        return Integer.toString(c.waitFor());
    }
}
