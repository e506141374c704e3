package io.mdocker.cli;

import io.mdocker.Image;
import io.mdocker.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code mdocker import ROOTFS NAME}: a one-layer image from a root filesystem directory or tar. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Make a one-layer image from a root filesystem directory or tar (gzip, zstd or plain).")
final class ImportCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Parameters(index = "0", paramLabel = "ROOTFS")
    Path rootfs;

    @Parameters(index = "1", paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
        Image i = ImageStore.of(state.runtime()).importRootfs(rootfs, name);
        System.out.println(i.id());
        return 0;
    }
}
