package io.mdocker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM by {@link RecoveryTest} and {@link CgroupRecoveryTest}: starts containers
 * (with limits when the fifth argument is "limits") on the given state roots, prints one line per
 * container ("started ID PID"), then waits to be killed.
 */
public final class RecoveryChild {
    private RecoveryChild() {}

    public static void main(String[] args) throws InterruptedException {
        Path rootfs = Path.of(args[0]);
        ContainerRuntime rt = ContainerRuntime.at(Path.of(args[1]), Path.of(args[2]));
        int count = Integer.parseInt(args[3]);
        // optional after the count: "limits", and/or "NAME,ADDRESS/PREFIX" of a bridge to put the containers on
        boolean limits = false;
        Network network = Network.none();
        for (int i = 4; i < args.length; i++) {
            if (args[i].equals("limits")) {
                limits = true;
            } else {
                network = Network.bridge(args[i].split(",")[0], args[i].split(",")[1]);
            }
        }
        List<RunningContainer> keep = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Container.Builder b = Container.builder().rootfs(rootfs).runtime(rt).network(network).stdout(Stdio.discard());
            if (limits) {
                b.memory(DataSize.ofMiB(64)).cpus(0.5).pidsLimit(64);
            }
            RunningContainer c = b.start("/bin/sleep", "600");
            keep.add(c);
            System.out.println("started " + c.id() + " " + c.pid() + " " + c.ipAddress().orElse("-"));
        }
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
