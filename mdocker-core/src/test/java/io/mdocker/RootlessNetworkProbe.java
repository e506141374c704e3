package io.mdocker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A user's program on the public API, run by {@link RootlessNetworkTest} as an unprivileged user:
 * containers on rootless named networks. Prints one {@code key=value} line per check
 * ({@code key!=message} when the check threw):
 * <ul>
 *   <li>{@code suite ROOTFS SUBNET}: the refusals (SUBNET: one the host routes), a network made
 *       ahead of its containers ({@code create()}) and joined by name, two networks, a
 *       server reached by address, name and alias and through its published port, or not;
 *       what is left after close;</li>
 *   <li>{@code hang ROOTFS}: a container on a named network; prints its pid, the holder's pid and
 *       namespaces, then waits to be SIGKILLed;</li>
 *   <li>{@code dns ROOTFS}: a container on a named network: its resolv.conf, and a name looked up
 *       through the holder's namespace, its masquerading and pasta's DNS relay (outbound);</li>
 *   <li>{@code claim ROOTFS}: a container on the network {@code hang} holds (refused);</li>
 *   <li>{@code gc}: recovers the user's roots and lists what is left of their networks and containers.</li>
 * </ul>
 */
public final class RootlessNetworkProbe {
    private RootlessNetworkProbe() {}

    private static final String HTTPD = "mkdir -p /tmp/www && echo hello-from-web > /tmp/www/index.html"
            + " && exec httpd -f -p 8080 -h /tmp/www";

    public static void main(String[] args) throws Exception {
        ContainerRuntime.setMonitorPoolSize(0);
        switch (args[0]) {
            case "suite" -> suite(Path.of(args[1]), args[2]);
            case "hang" -> hang(Path.of(args[1]));
            case "dns" -> {
                try (Network app = Network.bridge("mdn1", "10.216.1.1/24")) {
                    check("dns", () -> client(Path.of(args[1]), app,
                            "cat /etc/resolv.conf; nslookup -type=a mdocker.test | grep -c 10.9.8.7"));
                }
                check("pastasafter", () -> pastas().size());
            }
            case "claim" -> check("claim", () -> box(Path.of(args[1])).network(Network.bridge("mdn3", "10.216.3.1/24"))
                    .run("true").exitCode());
            case "gc" -> {
                check("gc", ContainerRuntime.defaults()::gc);
                leftovers();
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void hang(Path rootfs) throws Exception {
        Network app = Network.bridge("mdn3", "10.216.3.1/24");
        RunningContainer c = box(rootfs).network(app).name("rlhang").start("sleep", "1000");
        check("pid", c::pid);
        check("holder", () -> holders().getFirst().pid() + " " + ns(holders().getFirst(), "net") + " "
                + ns(holders().getFirst(), "user"));
        System.out.flush();
        Thread.sleep(600_000);
    }

    private static void suite(Path rootfs, String hostRouted) throws Exception {
        refusals(rootfs, hostRouted);
        try (Network ahead = Network.bridge("mdn4", "10.216.5.1/24").create()) { // made before any container
            check("aheadholders", () -> holders().size());
            check("aheadbyname", () -> Network.bridge("mdn4").bridgeAddress().orElseThrow());
            check("aheadeth0", () -> client(rootfs, Network.bridge("mdn4"), "ip -4 -o addr show eth0 | awk '{print $4}'"));
        }
        check("aheadafter", () -> holders().size());
        try (Network app = Network.bridge("mdn1", "10.216.1.1/24");
             Network other = Network.bridge("mdn2", "10.216.2.1/24");
             RunningContainer web = box(rootfs).network(app).name("rlweb").networkAlias("www")
                     .publish("127.0.0.1", 0, 8080).start("/bin/sh", "-c", HTTPD)) {
            String ip = web.ipAddress().orElseThrow();
            check("webip", () -> ip);
            awaitListening(web);
            check("webuserns", () -> web.exec("readlink", "/proc/1/ns/user").stdout());
            check("byaddr", () -> client(rootfs, app, "wget -q -O - http://" + ip + ":8080/index.html"));
            check("byname", () -> client(rootfs, app, "wget -q -O - http://rlweb:8080/index.html"));
            check("byalias", () -> client(rootfs, app, "wget -q -O - http://www:8080/index.html"));
            check("clientuserns", () -> client(rootfs, app, "readlink /proc/self/ns/user"));
            check("clienteth0", () -> client(rootfs, app, "ip -4 -o addr show eth0 | awk '{print $4}'; ip route | grep default"));
            check("hosts", () -> client(rootfs, app, "grep rlweb /etc/hosts"));
            // nc -w 2 (busybox's wget crashes with -T); the control: nc does connect where something listens
            String reach = "nc -w 2 " + ip + " 8080 </dev/null && echo reached; "
                    + "nc -l -p 9 </dev/null & sleep 0.3; nc -w 2 127.0.0.1 9 </dev/null && echo control-ok; echo done";
            check("othernet", () -> client(rootfs, other, reach));
            check("othername", () -> client(rootfs, other, "grep -c rlweb /etc/hosts; true"));
            check("otheruserns", () -> client(rootfs, other, "readlink /proc/self/ns/user"));
            check("none", () -> client(rootfs, Network.none(), reach));
            check("samenet", () -> client(rootfs, app, reach));
            check("holders", () -> holders().size());
            check("pastas", () -> pastas().size());
            check("holderns", () -> String.join(",", holders().stream().map(p -> ns(p, "net") + "/" + ns(p, "user")).toList()));
            check("published", () -> {
                var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + web.mappedPort(8080) + "/index.html"))
                        .timeout(java.time.Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                return r.statusCode() + " " + r.body();
            });
            check("inuse", () -> {
                app.close();
                return "closed while in use";
            });
        }
        // everything closed: holders, state
        check("afterholders", () -> holders().size());
        check("pastasafter", () -> pastas().size());
        leftovers();
        check("children", () -> ProcessHandle.current().descendants().count());
    }

    private static void leftovers() {
        Path run = Path.of(System.getenv("XDG_RUNTIME_DIR"), "mdocker");
        check("leftnet", () -> list(run.resolve("net")));
        check("leftcontainers", () -> list(run.resolve("containers")));
    }

    private static void refusals(Path rootfs, String hostRouted) {
        check("defaultbridge", () -> box(rootfs).network(Network.bridge()).run("true").exitCode());
        check("overlap", () -> box(rootfs).network(Network.bridge("mdn3", hostRouted)).run("true").exitCode());
        check("detached", () -> {
            try (Network n = Network.bridge("mdn3", "10.216.3.1/24")) {
                return box(rootfs).network(n).startDetached("sleep", "60").id();
            }
        });
        check("twice", () -> {
            try (Network a = Network.bridge("mdn3", "10.216.3.1/24");
                 Network b = Network.bridge("mdn3", "10.216.33.1/24")) {
                box(rootfs).network(a).run("true");
                return box(rootfs).network(b).run("true").exitCode();
            }
        });
        check("refusedholders", () -> holders().size());
    }

    private static Container.Builder box(Path rootfs) {
        return Container.builder().rootfs(rootfs);
    }

    private static String client(Path rootfs, Network n, String script) {
        ExecResult r = box(rootfs).network(n).run("/bin/sh", "-c", script);
        return r.stdout() + r.stderr();
    }

    private static void awaitListening(RunningContainer web) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (web.exec("/bin/sh", "-c", "netstat -ltn | grep -q :8080").exitCode() == 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("httpd did not listen on 8080");
    }

    /** This JVM's network holders: its children running mdocker-init network. */
    private static List<ProcessHandle> holders() {
        return ProcessHandle.current().children().filter(p -> p.info().arguments()
                .map(a -> a.length == 1 && a[0].equals("network")).orElse(false)).toList();
    }

    /** The pasta processes below this JVM (the holders' children; Debian's pasta runs as passt.avx2). */
    private static List<ProcessHandle> pastas() {
        return ProcessHandle.current().descendants().filter(p -> {
            try { // comm: pasta makes itself undumpable, so its exe link is not readable
                String comm = Files.readString(Path.of("/proc", Long.toString(p.pid()), "comm"));
                return comm.startsWith("pasta") || comm.startsWith("passt");
            } catch (java.io.IOException e) {
                return false;
            }
        }).toList();
    }

    private static String ns(ProcessHandle p, String type) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(p.pid()), "ns", type)).toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String list(Path dir) throws java.io.IOException {
        if (!Files.isDirectory(dir)) {
            return "";
        }
        try (var s = Files.list(dir)) {
            return String.join(",", s.map(p -> p.getFileName().toString()).sorted().toList());
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
