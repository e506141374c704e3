package io.mdocker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM by {@link RecoveryTest}: starts containers on the given state roots, prints
 * one line per container ("started ID PID"), then waits to be killed.
 */
public final class RecoveryChild {
    private RecoveryChild() {}

    public static void main(String[] args) throws InterruptedException {
        Path rootfs = Path.of(args[0]);
        ContainerRuntime rt = ContainerRuntime.at(Path.of(args[1]), Path.of(args[2]));
        int count = Integer.parseInt(args[3]);
        // optional: "NAME,ADDRESS/PREFIX" of a bridge to put the containers on
        Network network = args.length > 4 ? Network.bridge(args[4].split(",")[0], args[4].split(",")[1]) : Network.none();
        List<RunningContainer> keep = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            RunningContainer c = Container.builder().rootfs(rootfs).runtime(rt).network(network).stdout(Stdio.discard())
                    .start("/bin/sleep", "600");
            keep.add(c);
            System.out.println("started " + c.id() + " " + c.pid() + " " + c.ipAddress().orElse("-"));
        }
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
