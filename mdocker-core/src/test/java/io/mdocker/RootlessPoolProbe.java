package io.mdocker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A user's program on the public API, run by {@link RootlessPoolTest} as an unprivileged user: a
 * warm pool ({@code ContainerRuntime.pool}) of rootless sandboxes. Prints one {@code key=value}
 * line per check ({@code key!=message} when the check threw). Argument: ROOTFS.
 */
public final class RootlessPoolProbe {
    private RootlessPoolProbe() {}

    public static void main(String[] args) throws Exception {
        ContainerRuntime.setMonitorPoolSize(0);
        Path rootfs = Path.of(args[0]);
        ContainerRuntime rt = ContainerRuntime.defaults();
        Path run = rt.runRoot().resolve("containers");
        Path lib = rt.libRoot().resolve("containers");
        Container def = Container.builder().rootfs(rootfs).hostname("pooled").env("A", "1").build();
        try (ContainerPool pool = rt.pool(def, 2)) {
            check("full", () -> pool.awaitFull(Duration.ofSeconds(60)));
            List<String> parked = list(run);
            check("parked", parked::size);
            check("monitors", () -> ProcessHandle.current().children().count());
            check("run", () -> {
                ExecResult r = pool.run("/bin/sh", "-c", "echo $A; hostname; id -u; wc -l < /proc/self/uid_map; "
                        + "readlink /proc/self/ns/user; echo err >&2; exit 3");
                return r.exitCode() + " " + r.stdout() + r.stderr();
            });
            check("jvmuserns", () -> Files.readSymbolicLink(Path.of("/proc/self/ns/user")));
            check("full2", () -> pool.awaitFull(Duration.ofSeconds(60)));
            List<String> parked2 = list(run);
            check("start", () -> {
                Container variant = def.toBuilder().env("A", "2").workdir("/tmp/work").build();
                try (RunningContainer c = variant.start("/bin/sh", "-c", "echo $A $(pwd); sleep 60")) {
                    String claimed = String.valueOf(parked2.contains(c.id()));
                    String exec = c.exec("/bin/sh", "-c", "echo in-$(hostname)").stdout().strip();
                    c.kill(Signal.TERM);
                    c.waitFor(Duration.ofSeconds(10));
                    return claimed + " " + exec + " " + c.logs();
                }
            });
            check("claims", () -> pool.claims() + " " + pool.misses());
            check("badcommand", () -> pool.run("/no/such/program").exitCode());
        }
        // a pool on a rootless named network: its sandboxes in the holder's user namespace, on the bridge
        try (Network app = Network.bridge("mdn1", "10.216.1.1/24");
             RunningContainer web = Container.builder().rootfs(rootfs).network(app).name("rlpoolweb")
                     .start("/bin/sh", "-c", "mkdir -p /tmp/w && echo pooled-web > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w");
             ContainerPool pool = rt.pool(Container.builder().rootfs(rootfs).network(app).build(), 1)) {
            check("netfull", () -> pool.awaitFull(Duration.ofSeconds(60)));
            check("netrun", () -> {
                ExecResult r = pool.run("/bin/sh", "-c", "ip -4 -o addr show eth0 | awk '{print $4}'; "
                        + "for i in $(seq 50); do wget -q -O - http://rlpoolweb:8080/index.html && break; sleep 0.1; done; "
                        + "readlink /proc/self/ns/user");
                return r.exitCode() + " " + r.stdout() + r.stderr();
            });
            check("webuserns", () -> web.exec("readlink", "/proc/1/ns/user").stdout());
        }
        ContainerRuntime.awaitCleanup();
        check("leftrun", () -> list(run));
        check("leftlib", () -> list(lib));
        check("children", () -> ProcessHandle.current().descendants().count());
        check("pools", () -> rt.pools().size());
        check("leftnet", () -> list(rt.runRoot().resolve("net")));
    }

    private static List<String> list(Path dir) throws java.io.IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void check(String key, Callable<Object> c) {
        try {
            System.out.println(key + "=" + String.valueOf(c.call()).strip().replace("\n", "|"));
        } catch (Exception | Error e) {
            System.out.println(key + "!=" + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace("\n", "|"));
        }
    }
}
