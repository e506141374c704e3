package io.mdocker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * A user's program on the public API, run by {@link RootlessTest} as an unprivileged user (the
 * JVM's euid is not 0, so containers are rootless). Prints one {@code key=value} line per check
 * ({@code key!=message} when the check threw), which the test asserts on:
 * <ul>
 *   <li>{@code suite ROOTFS HOSTDIR}: isolation, ids, exit codes, signals, exec, tty, refusals,
 *       escape attempts through a bind of HOSTDIR (holding a file root owns), cleanup;</li>
 *   <li>{@code hang ROOTFS}: starts a container (network pasta, a published port), prints its pid
 *       and waits to be SIGKILLed;</li>
 *   <li>{@code hanglimits ROOTFS}: as {@code hang}, with memory, cpu and pids limits (in a
 *       delegated cgroup), printing the container's pid and cgroup directory;</li>
 *   <li>{@code state}: recovers the user's roots (as any first start does) and counts what is left,
 *       pasta processes included;</li>
 *   <li>{@code limits ROOTFS CGROUP}: limits in the cgroup v2 subtree CGROUP delegated to the user
 *       (the JVM started in it): the JVM's and a container's cgroup, an OOM kill at 32 MiB, pids.max,
 *       cpu.max and cpuset.cpus.effective with the CPU share used and the CPUs allowed, what is left below CGROUP once the containers are gone;</li>
 *   <li>{@code image LAYOUT}: loads the OCI layout's image tagged {@code owners} (files of several
 *       owners, a setuid file, a whiteout and an opaque directory) into the user's store and runs
 *       it: owners and modes inside, the hidden files, chown and a write by uid 70 inside, the
 *       owners of the unpacked layer on the host, its removal;</li>
 *   <li>{@code dns ROOTFS}: a container on network pasta: its resolv.conf, and a name looked up
 *       through pasta's DNS relay;</li>
 *   <li>{@code bench ROOTFS N}: the median of N {@code run("/bin/true")} after a warm-up, for
 *       docs/rootless.md (as root it measures the rootful path, with the default pool of 2).</li>
 * </ul>
 */
public final class RootlessProbe {
    private RootlessProbe() {}

    public static void main(String[] args) throws Exception {
        ContainerRuntime.setMonitorPoolSize(0);
        switch (args[0]) {
            case "suite" -> suite(Path.of(args[1]), Path.of(args[2]));
            case "hang" -> hang(Path.of(args[1]));
            case "hanglimits" -> hangLimits(Path.of(args[1]));
            case "state" -> state();
            case "bench" -> bench(Path.of(args[1]), Integer.parseInt(args[2]));
            case "limits" -> limits(Path.of(args[1]), Path.of(args[2]));
            case "image" -> image(Path.of(args[1]));
            case "dns" -> check("dns", () -> box(Path.of(args[1])).network(Network.pasta()).run("/bin/sh", "-c",
                    "cat /etc/resolv.conf; nslookup -type=a mdocker.test | grep -c 10.9.8.7").stdout());
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static Container.Builder box(Path rootfs) {
        return Container.builder().rootfs(rootfs);
    }

    private static void check(String key, Callable<Object> c) {
        try {
            System.out.println(key + "=" + String.valueOf(c.call()).strip().replace("\n", "|"));
        } catch (Exception | Error e) {
            System.out.println(key + "!=" + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace("\n", "|"));
        }
        System.out.flush();
    }

    private static void suite(Path rootfs, Path hostDir) throws Exception {
        ContainerRuntime rt = ContainerRuntime.defaults();
        System.out.println("roots=" + rt.libRoot() + " " + rt.runRoot());
        check("ids", () -> box(rootfs).run("/bin/sh", "-c", "id -u; id -g").stdout());
        check("pid1", () -> box(rootfs).run("/bin/sh", "-c",
                "cat /proc/1/comm; echo $$; ls /proc | grep -c '^[0-9][0-9]*$'").stdout());
        check("hostname", () -> box(rootfs).hostname("rlbox").run("hostname").stdout());
        check("userns", () -> box(rootfs).run("/bin/sh", "-c", "cat /proc/self/uid_map | wc -l; readlink /proc/self/ns/user").stdout()
                + " host " + Files.readSymbolicLink(Path.of("/proc/self/ns/user")));
        check("exit", () -> box(rootfs).run("/bin/sh", "-c", "exit 7").exitCode());
        check("lo", () -> box(rootfs).run("/bin/sh", "-c", "cat /sys/class/net/lo/flags; ls /sys/class/net").stdout());
        check("devnull", () -> box(rootfs).run("/bin/sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c").stdout());
        check("write", () -> box(rootfs).run("/bin/sh", "-c", "echo hi > /tmp/f && cat /tmp/f && touch /newfile && echo ok").stdout());
        check("signal", () -> {
            try (RunningContainer c = box(rootfs).start("/bin/sleep", "100")) {
                c.kill(Signal.parse("TERM"));
                return c.waitFor();
            }
        });
        check("exec", () -> {
            try (RunningContainer c = box(rootfs).start("/bin/sleep", "100")) {
                ExecResult r = c.exec(Exec.builder("/bin/sh", "-c", "id -u; echo $$; cat /proc/1/comm").build());
                return r.exitCode() + " " + r.stdout();
            }
        });
        check("copystats", () -> {
            try (RunningContainer c = box(rootfs).start("/bin/sleep", "100")) {
                Path f = Files.createTempFile("rootless-copy", ".txt");
                Files.writeString(f, "copied");
                c.copyIn(f, "/tmp/copied.txt");
                Files.delete(f);
                ExecResult r = c.exec(Exec.builder("/bin/sh", "-c", "cat /tmp/copied.txt; stat -c ' %u' /tmp/copied.txt").build());
                return r.stdout().strip() + " " + c.stats().getClass().getSimpleName();
            }
        });
        check("tty", () -> box(rootfs).tty(true).run("/bin/sh", "-c", "tty").stdout());
        check("hostnet", () -> box(rootfs).network(Network.host()).run("/bin/sh", "-c",
                "readlink /proc/self/ns/net; ls -d /sys/class/net/lo").stdout());
        check("limits", () -> box(rootfs).memory(DataSize.ofMiB(64)).run("true").exitCode());
        check("bridge", () -> box(rootfs).network(Network.bridge()).run("true").exitCode());
        check("user", () -> box(rootfs).user(1000, 1000).run("id").stdout());
        // escapes: root in the container is this user on the host
        Path rootFile = hostDir.resolve("root-owned");
        check("bindwrite", () -> box(rootfs).bind(hostDir, "/host").run("/bin/sh", "-c",
                "echo pwned >> /host/root-owned; echo rc=$?; ls -ln /host/root-owned").stdout());
        check("rootfile", () -> Files.readString(rootFile));
        // pid 1 failing its setup (a layer this user cannot read) is reported as such, every time:
        // GO, sent early rootless (no cgroups to make), may reach pid 1 as it fails
        check("setupfail", () -> {
            java.util.Set<String> messages = new java.util.TreeSet<>();
            for (int i = 0; i < 10; i++) {
                try {
                    Container.builder().layers(List.of(hostDir.resolve("private"), rootfs)).run("true");
                    messages.add("ran");
                } catch (ContainerException e) {
                    messages.add(e.getMessage());
                }
            }
            return String.join(" / ", messages);
        });
        check("chown", () -> box(rootfs).bind(hostDir, "/host").run("/bin/sh", "-c",
                "chown 0:0 /host/root-owned; echo rc=$?").stdout());
        check("kill1", () -> box(rootfs).capAdd("KILL").run("/bin/sh", "-c",
                "kill -0 " + ProcessHandle.current().pid() + " 2>&1; echo rc=$?").stdout());
        check("detached", () -> {
            DetachedContainer d = box(rootfs).startDetached("/bin/sh", "-c",
                    "while [ ! -e /tmp/go ]; do sleep 0.05; done; echo out; exit 3"); // ends once the exec ran
            try {
                ExecResult e = d.exec(Exec.builder("/bin/sh", "-c", "id -u; touch /tmp/go").build());
                int code = d.waitFor();
                return e.stdout().strip() + " " + code + " " + new String(d.stdout()).strip();
            } finally {
                d.remove(true);
            }
        });
        pasta(rootfs);
        ContainerRuntime.awaitCleanup();
        check("left", () -> left(rt));
    }

    /** Network pasta: an address of its own, a published port on the host's loopback, no way to the host's. */
    private static void pasta(Path rootfs) throws Exception {
        check("pastanet", () -> box(rootfs).network(Network.pasta()).run("/bin/sh", "-c",
                "ls /sys/class/net | wc -l; ip -4 route | grep -c default").stdout());
        try (java.net.ServerSocket hostOnly = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            check("pastahostloop", () -> box(rootfs).network(Network.pasta()).run("/bin/sh", "-c",
                    "gw=$(ip -4 route | awk '/default/ {print $3}'); for a in 127.0.0.1 $gw; do "
                    + "nc -w 2 $a " + hostOnly.getLocalPort() + " </dev/null && echo reached $a; done; "
                    // the control: nc does connect where something listens (the container's own loopback)
                    + "nc -l -p 9 </dev/null & sleep 0.3; nc -w 2 127.0.0.1 9 </dev/null && echo control-ok; echo done").stdout());
        }
        check("published", () -> {
            try (RunningContainer c = box(rootfs).network(Network.pasta()).publish("127.0.0.1", 0, 8080)
                    .start("/bin/sh", "-c", "echo hello-from-container > /tmp/index.html; exec httpd -f -p 8080 -h /tmp")) {
                c.await(Wait.forHttp(8080, "/index.html"));
                int port = c.mappedPort(8080);
                java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/index.html")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                return r.statusCode() + " " + r.body();
            }
        });
        check("pastaleft", RootlessProbe::pastaProcesses);
    }

    /** pasta processes still running, after at most 3 s for them to see their link go. */
    private static long pastaProcesses() {
        long deadline = System.nanoTime() + 3_000_000_000L;
        long n;
        do {
            n = ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").contains("pasta")
                    || p.info().command().orElse("").contains("passt")).count();
        } while (n > 0 && System.nanoTime() < deadline && sleep());
        return n;
    }

    private static boolean sleep() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    /** Entries left in the user's state roots' container directories. */
    private static String left(ContainerRuntime rt) throws Exception {
        StringBuilder b = new StringBuilder();
        for (Path root : List.of(rt.libRoot(), rt.runRoot())) {
            Path containers = root.resolve("containers");
            if (Files.isDirectory(containers)) {
                try (Stream<Path> s = Files.list(containers)) {
                    s.forEach(p -> b.append(p).append(' '));
                }
            }
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    private static void hang(Path rootfs) throws Exception {
        RunningContainer c = box(rootfs).network(Network.pasta()).publish("127.0.0.1", 0, 80).start("/bin/sleep", "1000");
        System.out.println("pid=" + c.pid());
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5));
    }

    private static void hangLimits(Path rootfs) throws Exception {
        RunningContainer c = box(rootfs).memory(DataSize.ofMiB(64)).cpus(0.5).pidsLimit(16).start("/bin/sleep", "1000");
        System.out.println("pid=" + c.pid() + " " + c.cgroupDirs().getFirst());
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5));
    }

    private static void bench(Path rootfs, int n) {
        ContainerRuntime.setMonitorPoolSize(2);
        Container c = box(rootfs).build();
        for (int i = 0; i < 20; i++) {
            c.run("/bin/true");
        }
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            c.run("/bin/true");
            t[i] = System.nanoTime() - t0;
        }
        java.util.Arrays.sort(t);
        System.out.printf("median=%.2f ms p90=%.2f ms%n", t[n / 2] / 1e6, t[n * 9 / 10] / 1e6);
    }

    private static void image(Path layout) throws Exception {
        ContainerRuntime rt = ContainerRuntime.defaults();
        ImageStore store = ImageStore.of(rt);
        check("loaded", () -> store.loadOciLayout(layout, java.util.Optional.of("owners"),
                java.util.Optional.of("rl/owners:1")).layers());
        Path layers = rt.libRoot().resolve("images/layers/sha256");
        check("hostowners", () -> {
            StringBuilder b = new StringBuilder();
            try (Stream<Path> s = Files.list(layers)) {
                for (Path l : s.filter(Files::isDirectory).sorted().toList()) {
                    if (Files.exists(l.resolve("home/pg"), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        b.append(Files.getAttribute(l.resolve("home/pg"), "unix:uid")).append(':')
                                .append(Files.getAttribute(l.resolve("home/pg"), "unix:gid")).append(' ')
                                .append(Files.getAttribute(l, "unix:uid"));
                    }
                }
            }
            return b;
        });
        Container.Builder img = Container.builder().image("rl/owners:1");
        check("owners", () -> img.run("/bin/sh", "-c",
                "stat -c '%u:%g %a' /home/pg /home/pg/data /bin/suid; cat /home/pg/data").stdout());
        check("hidden", () -> img.run("/bin/sh", "-c", "ls /srv; echo -; ls -A /srv/opq").stdout());
        check("imagechown", () -> img.run("/bin/sh", "-c",
                "touch /f && chown 70:71 /f && chown 1000:1000 /home/pg/data && stat -c '%u:%g' /f /home/pg/data").stdout());
        check("as70", () -> img.user(70, 70).run("/bin/sh", "-c",
                "mkdir /home/pg/sub && echo mine > /home/pg/sub/f && id -u && cat /home/pg/data /home/pg/sub/f").stdout());
        ContainerRuntime.awaitCleanup();
        check("imageleft", () -> left(rt));
        check("removed", () -> store.remove("rl/owners:1", false).size() + " " + store.prune());
        check("layersleft", () -> {
            try (Stream<Path> s = Files.list(layers)) {
                return s.filter(Files::isDirectory).count();
            }
        });
    }

    private static void state() throws Exception {
        ContainerRuntime rt = ContainerRuntime.defaults();
        check("gc", rt::gc);
        check("left", () -> left(rt));
        check("pastaleft", RootlessProbe::pastaProcesses);
    }

    private static void limits(Path rootfs, Path delegated) throws Exception {
        check("placement", () -> {
            try (RunningContainer c = box(rootfs).memory(DataSize.ofMiB(64)).pidsLimit(16).start("/bin/sleep", "100")) {
                Path cg = delegated.getParent().resolve(Files.readString(Path.of("/proc/" + c.pid() + "/cgroup")).strip()
                        .substring(4)); // "0::/path"
                return Files.readString(Path.of("/proc/self/cgroup")).strip() + " " + cg.getParent().getFileName() + " "
                        + Files.readString(cg.resolve("memory.max")).strip() + " " + Files.readString(cg.resolve("pids.max")).strip();
            }
        });
        check("oom", () -> {
            ExecResult r = box(rootfs).memory(DataSize.ofMiB(32)).memorySwap(DataSize.ofMiB(32))
                    .run("/bin/sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived ${#x}");
            return r.exitCode() + " " + r.oomKilled() + " " + r.stdout();
        });
        check("fits", () -> {
            ExecResult r = box(rootfs).memory(DataSize.ofMiB(32)).run("/bin/sh", "-c", "x=$(head -c 1000000 /dev/zero | tr '\\0' a); echo ${#x}");
            return r.exitCode() + " " + r.oomKilled() + " " + r.stdout();
        });
        check("pids", () -> {
            ExecResult r = box(rootfs).pidsLimit(8).run("/bin/sh", "-c",
                    "(i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); done) 2>/dev/null; set -- /proc/[0-9]*; echo $#");
            return r.exitCode() + " " + r.stdout();
        });
        // cpus 0.5 on CPU 1 only: the files written, the share of one core a busy loop gets over 2 s,
        // whether the quota throttled it, and the CPUs its processes may run on, seen from the host
        check("cpu", () -> {
            try (RunningContainer c = box(rootfs).cpus(0.5).cpusetCpus("1").start("/bin/sh", "-c", "while :; do :; done")) {
                Path cg = c.cgroupDirs().getFirst();
                Thread.sleep(500); // past start-up
                long u0 = c.stats().cpuUsageNanos();
                long t0 = System.nanoTime();
                Thread.sleep(2000);
                long u1 = c.stats().cpuUsageNanos();
                long t1 = System.nanoTime();
                java.util.Set<String> allowed = new java.util.TreeSet<>();
                for (String pid : Files.readAllLines(cg.resolve("cgroup.procs"))) {
                    Files.readAllLines(Path.of("/proc", pid, "status")).stream().filter(l -> l.startsWith("Cpus_allowed_list:"))
                            .forEach(l -> allowed.add(l.substring(l.indexOf(':') + 1).strip()));
                }
                long throttled = Files.readAllLines(cg.resolve("cpu.stat")).stream().filter(l -> l.startsWith("nr_throttled "))
                        .mapToLong(l -> Long.parseLong(l.substring(13).strip())).sum();
                return cg.getParent().getFileName() + " " + Files.readString(cg.resolve("cpu.max")).strip() + " "
                        + Files.readString(cg.resolve("cpuset.cpus.effective")).strip() + " " + String.join(",", allowed)
                        + " " + (throttled > 0 ? "throttled" : "unthrottled") + " " + Math.round(100.0 * (u1 - u0) / (t1 - t0));
            }
        });
        check("left", () -> {
            try (Stream<Path> s = Files.list(delegated.resolve("mdocker"))) {
                return s.filter(Files::isDirectory).count();
            }
        });
    }
}
