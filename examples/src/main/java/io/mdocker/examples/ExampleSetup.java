package io.mdocker.examples;

import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.ContainerRuntime;

import java.nio.file.Path;

/**
 * Where the examples keep their files: a busybox rootfs and mdocker's state roots under
 * {@code target/examples} of the working directory (or the directory the system property
 * {@code mdocker.examples.dir} names), so that they never touch a system-wide state root.
 */
public final class ExampleSetup {
    private ExampleSetup() {}

    /** The examples' directory. */
    public static Path dir() {
        return Path.of(System.getProperty("mdocker.examples.dir", "target/examples")).toAbsolutePath();
    }

    /** A builder on the examples' busybox rootfs (assembled on first use) and state roots. */
    public static Container.Builder container() {
        Path rootfs = dir().resolve("rootfs");
        BusyboxRootfs.ensure(rootfs);
        return Container.builder().rootfs(rootfs).runtime(runtime());
    }

    /** The examples' runtime. */
    public static ContainerRuntime runtime() {
        return ContainerRuntime.at(dir().resolve("state/lib"), dir().resolve("state/run"));
    }
}
