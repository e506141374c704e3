package io.mdocker;

import java.nio.file.Path;

/** Runs one container from a root filesystem and prints its output (for ImageContainerTest, with -verbose:class). */
public final class NoImageChild {
    public static void main(String[] args) {
        ContainerRuntime rt = ContainerRuntime.at(Path.of(args[1]), Path.of(args[2]));
        ExecResult r = Container.builder().rootfs(Path.of(args[0])).runtime(rt).run("/bin/echo", "ok");
        System.out.println("child ran: " + r.stdout().strip());
        ContainerRuntime.awaitCleanup();
    }
}
