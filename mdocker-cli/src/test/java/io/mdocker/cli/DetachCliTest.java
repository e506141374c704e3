package io.mdocker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mdocker.testing.TestBridge;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code mdocker run -d} in a process of its own, then ps, logs, stop, kill and rm from this one,
 * with their output and exit statuses as Docker's; and that nothing of the containers is left.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestBridge(name = DetachCliTest.BRIDGE, address = DetachCliTest.BIP)
class DetachCliTest {
    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final Path ROOTFS = MainTest.ROOTFS;
    static final Path STATE = TARGET.resolve("cli-detach-state");

    /** The test bridge of the published-port test (traffic only to 127.0.0.1 and the container on it). */
    static final String BRIDGE = "mdt22";
    static final String BIP = "10.201.22.1/24";

    @BeforeAll
    static void prerequisites() {
        MainTest.prerequisites();
    }

    /**
     * What a failed test left must not outlive the run: detached containers survive their JVM by
     * design. Before the bridge is removed ({@link TestBridge} acts after the @AfterAll methods).
     */
    @org.junit.jupiter.api.AfterAll
    static void removeWhatAFailureLeft() {
        io.mdocker.ContainerRuntime rt = RunCommand.runtime(STATE);
        for (io.mdocker.ContainerInfo c : rt.list()) {
            rt.attach(c.id()).remove(true);
        }
    }

    /** What one CLI call printed, and its status. */
    /** Runs the CLI in this JVM with --state-root after the verb. */
    private static Cli.Out cli(String verb, String... args) {
        return cli(verb, args, true);
    }

    private static Cli.Out cli(String verb, String[] args, boolean stateRoot) {
        List<String> all = new ArrayList<>(List.of(verb));
        if (stateRoot) {
            all.addAll(List.of("--state-root", STATE.toString()));
        }
        all.addAll(List.of(args));
        return Cli.captured(all);
    }

    /** {@code mdocker run -d} in a JVM of its own; returns the id it printed, once it has exited 0. */
    private static String runDetachedInAnotherJvm(String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("--network", "none"));
        args.addAll(List.of(command));
        return runDetachedInAnotherJvm(args).stdout().trim();
    }

    /** {@code mdocker run -d ARGS} in a JVM of its own, once it has exited 0 and printed an id. */
    private static Cli.Out runDetachedInAnotherJvm(List<String> args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "run", "-d", "--rootfs", ROOTFS.toString(),
                "--state-root", STATE.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stderr = new String(err.join(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("mdocker run -d exits at once, with 0: " + stderr).isZero();
        assertThat(out).matches("[0-9a-f]{64}\n");
        return new Cli.Out(p.exitValue(), out, stderr);
    }

    @Test
    void runDashDWithAPublishedPortServesItAfterTheCliExitedAndRmFreesIt() throws Exception {
        Cli.Out run = runDetachedInAnotherJvm(List.of("--network", "bridge", "--bridge", BRIDGE, "--bip", BIP,
                "-p", "127.0.0.1:0:80", "/bin/sh", "-c", "mkdir -p /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www"));
        String id = run.stdout().trim();
        String shortId = id.substring(0, 12);
        Matcher published = Pattern.compile("mdocker: published 127\\.0\\.0\\.1:([1-9][0-9]*)->80/tcp\n").matcher(run.stderr());
        assertThat(published.matches()).as(run.stderr()).isTrue();
        int port = Integer.parseInt(published.group(1));

        String row = cli("ps").stdout().lines().filter(l -> l.startsWith(shortId)).findFirst().orElseThrow();
        assertThat(row).contains(" running ").endsWith(" 127.0.0.1:" + port + "->80/tcp");
        assertThat(httpGet(port)).isEqualTo("hello\n");

        JsonNode inspected = inspect(shortId);
        assertThat(inspected.get("Id").asText()).isEqualTo(id);
        assertThat(inspected.at("/State/Status").asText()).isEqualTo("running");
        assertThat(inspected.at("/State/Pid").asInt()).isEqualTo(Integer.parseInt(row.split("\\s+")[2]));
        assertThat(inspected.at("/State/ExitCode").isNull()).isTrue();
        assertThat(inspected.at("/NetworkSettings/Mode").asText()).isEqualTo("bridge");
        String address = inspected.at("/NetworkSettings/IPAddress").asText();
        assertThat(address).matches("10\\.201\\.22\\.([2-9]|[1-9][0-9]|1[0-9][0-9]|2[0-4][0-9]|25[0-4])");
        assertThat(Path.of("/proc", inspected.at("/State/Pid").asText(), "net", "fib_trie")).content()
                .as("the address is the container's own").contains(address);
        assertThat(inspected.at("/NetworkSettings/Ports/80~1tcp/0/HostIp").asText()).isEqualTo("127.0.0.1");
        assertThat(inspected.at("/NetworkSettings/Ports/80~1tcp/0/HostPort").asText()).isEqualTo(Integer.toString(port));
        assertThat(inspected.get("LogPath").asText()).endsWith(id + "/stdout.log");
        // inspect -f: Docker's template subset
        Cli.Out formatted = cli("inspect", "-f", "{{.State.Status}} {{.State.Pid}} {{.State.ExitCode}} {{json .NetworkSettings.Ports}}",
                shortId);
        assertThat(formatted.status()).as(formatted.stderr()).isZero();
        assertThat(formatted.stdout()).isEqualTo("running " + inspected.at("/State/Pid").asText() + " <nil> "
                + "{\"80/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"" + port + "\"}]}\n");
        assertThat(cli("inspect", "--format", "ip={{.NetworkSettings.IPAddress}}", shortId).stdout()).isEqualTo("ip=" + address + "\n");
        Cli.Out unsupported = cli("inspect", "-f", "{{range .Mounts}}x{{end}}", shortId);
        assertThat(unsupported.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(unsupported.stderr()).isEqualTo("mdocker: invalid --format '{{range .Mounts}}x{{end}}': {{range .Mounts}} is "
                + "not supported (expected {{.Field.Sub}} or {{json .Field.Sub}})\n");
        Cli.Out noField = cli("inspect", "-f", "{{.State.Nope}}", shortId);
        assertThat(noField.status()).isEqualTo(1);
        assertThat(noField.stderr()).isEqualTo("mdocker: --format '{{.State.Nope}}': no field Nope in .State.Nope\n");
        assertThat(cli("inspect", "-f", "{{.State", shortId).stderr()).isEqualTo("mdocker: invalid --format '{{.State': '{{' without '}}'\n");
        // docker port: every mapping, or where one container port is published
        assertThat(cli("port", shortId).stdout()).isEqualTo("80/tcp -> 127.0.0.1:" + port + "\n");
        assertThat(cli("port", shortId, "80/tcp").stdout()).isEqualTo("127.0.0.1:" + port + "\n");
        assertThat(cli("port", shortId, "80").stdout()).isEqualTo("127.0.0.1:" + port + "\n");
        Cli.Out unpublished = cli("port", shortId, "81");
        assertThat(unpublished.status()).isEqualTo(1);
        assertThat(unpublished.stderr()).isEqualTo("mdocker: no public port '81/tcp' published for " + shortId + "\n");
        Cli.Out udp = cli("port", shortId, "80/udp");
        assertThat(udp.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(udp.stderr()).isEqualTo("mdocker: invalid port '80/udp': only tcp ports are published\n");
        assertThat(cli("port", shortId, "0x50").stderr())
                .isEqualTo("mdocker: invalid port '0x50': expected a port number 1-65535, optionally with /tcp\n");
        assertThat(cli("port", "feedfacecafe").status()).isEqualTo(1);

        assertThat(cli("rm", "-f", shortId).status()).isZero();
        try (ServerSocket s = new ServerSocket()) { // nobody listens there any more
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
        assertNothingLeft(id);
    }

    /** GET / through 127.0.0.1:port, retried while httpd starts; the body. */
    private static String httpGet(int port) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(Duration.ofSeconds(5)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return client.send(get, HttpResponse.BodyHandlers.ofString()).body();
            } catch (java.io.IOException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20); // httpd starting in the container: no descriptor to wait on
            }
        }
    }

    @Test
    void containerPruneRemovesTheExitedDetachedContainersOnly() throws Exception {
        String exited = runDetachedInAnotherJvm("/bin/sh", "-c", "exit 4");
        String running = runDetachedInAnotherJvm("/bin/sleep", "60");
        try {
            assertThat(cli("wait", exited).stdout()).isEqualTo("4\n");
            // asked first: anything but y leaves them
            java.io.InputStream stdin = System.in;
            System.setIn(new java.io.ByteArrayInputStream("n\n".getBytes(StandardCharsets.UTF_8)));
            Cli.Out asked;
            try {
                asked = prune();
            } finally {
                System.setIn(stdin);
            }
            assertThat(asked.status()).isZero();
            assertThat(asked.stdout()).isEqualTo("WARNING! This will remove all stopped containers.\n"
                    + "Are you sure you want to continue? [y/N] ");
            assertThat(cli("ps", "-a", "-q").stdout().lines().toList()).contains(exited.substring(0, 12));

            // ps -l, -n and --no-trunc: the newest first, exited ones too, full ids and commands
            assertThat(cli("ps", "-l", "-q").stdout()).isEqualTo(running.substring(0, 12) + "\n");
            assertThat(cli("ps", "-n", "2", "-q", "--no-trunc").stdout()).isEqualTo(running + "\n" + exited + "\n");
            assertThat(cli("ps", "--no-trunc").stdout().lines().filter(l -> l.startsWith(running)).toList()).singleElement()
                    .asString().contains("\"/bin/sleep 60\"");
            assertThat(cli("ps", "-n", "-1").stderr()).isEqualTo("mdocker: --last -1: expected a number of containers, 0 or more\n");
            assertThat(cli("ps", "-n", "0", "-q").stdout()).isEmpty();

            Cli.Out pruned = prune("-f");
            assertThat(pruned.status()).as(pruned.stderr()).isZero();
            assertThat(pruned.stdout()).isEqualTo("Deleted Containers:\n" + exited + "\n");
            List<String> left = cli("ps", "-a", "-q").stdout().lines().toList();
            assertThat(left).contains(running.substring(0, 12)).doesNotContain(exited.substring(0, 12));
            assertNothingLeft(exited);
            assertThat(prune("-f").stdout()).as("nothing more to remove").isEmpty();
        } finally {
            cli("rm", "-f", running);
        }
    }

    /** {@code mdocker container prune --state-root STATE ARGS}. */
    private static Cli.Out prune(String... args) {
        List<String> all = new ArrayList<>(List.of("prune", "--state-root", STATE.toString()));
        all.addAll(List.of(args));
        return cli("container", all.toArray(String[]::new), false);
    }

    @Test
    void psLogsStopAndRmActOnAContainerAnotherProcessStarted() throws Exception {
        String id = runDetachedInAnotherJvm("/bin/sh", "-c", "echo hello; echo oops >&2; trap 'echo bye; exit 3' TERM; "
                + "while true; do sleep 0.1; done");
        String shortId = id.substring(0, 12);

        Cli.Out ps = cli("ps");
        assertThat(ps.status()).isZero();
        assertThat(ps.stdout().lines().findFirst().orElseThrow().split("\\s{2,}"))
                .startsWith("CONTAINER ID", "IMAGE", "PID", "STATE", "CREATED", "COMMAND");
        assertThat(ps.stdout().lines().filter(l -> l.startsWith(shortId)).toList()).hasSize(1);
        String row = ps.stdout().lines().filter(l -> l.startsWith(shortId)).findFirst().orElseThrow();
        assertThat(row).startsWith(shortId).contains(" running ").contains("\"/bin/sh -c echo hello;");
        int pid = Integer.parseInt(row.split("\\s+")[2]);
        assertThat(Path.of("/proc", Integer.toString(pid))).exists();
        assertThat(cli("ps", "-q").stdout().lines().toList()).contains(shortId);

        Cli.Out logs = cli("logs", id.substring(0, 6));
        assertThat(logs.status()).isZero();
        assertThat(logs.stdout()).isEqualTo("hello\n");
        assertThat(logs.stderr()).isEqualTo("oops\n");

        Cli.Out stats = cli("stats", "--no-stream", shortId);
        assertThat(stats.status()).as(stats.stderr()).isZero();
        List<String> lines = stats.stdout().lines().toList();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).split("\\s{2,}")).containsExactly("CONTAINER ID", "CPU %", "MEM USAGE", "MEM PEAK", "PIDS");
        String[] f = lines.get(1).trim().split("\\s{2,}|\\s(?=\\d)");
        assertThat(lines.get(1)).startsWith(shortId).matches(".*\\d+(\\.\\d+)?% +\\d+(\\.\\d+)? [KMG]?i?B +\\d+(\\.\\d+)? [KMG]?i?B +\\d+$");
        assertThat(Integer.parseInt(f[f.length - 1])).as("init, sh and its sleep: " + lines.get(1)).isBetween(2, 10);
        assertThat(cli("stats", "--no-stream").stdout().lines().filter(l -> l.startsWith(shortId)).toList()).hasSize(1);
        Cli.Out formatted = cli("stats", "--no-stream", "--format", "{{.ID}}|{{.Container}}|{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}",
                shortId);
        assertThat(formatted.stdout()).as(formatted.stderr())
                .matches(shortId + "\\|" + shortId + "\\|\\d+(\\.\\d+)?%\\|\\d+(\\.\\d+)? [KMG]?i?B\\|\\d+\n");
        assertThat(cli("stats", "--no-stream", "--format", "table {{.ID}}\\t{{.PIDs}}", shortId).stdout().lines().findFirst())
                .contains("CONTAINER ID   PIDS");
        Cli.Out badStatsFormat = cli("stats", "--no-stream", "--format", "{{.CPUPerc", shortId);
        assertThat(badStatsFormat.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(badStatsFormat.stderr()).isEqualTo("mdocker: invalid --format '{{.CPUPerc': '{{' without '}}'\n");
        Cli.Out unknown = cli("stats", "--no-stream", "ffffffffffff");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.stderr()).isEqualTo("mdocker: no such container: ffffffffffff\n");

        // docker top: pid 1 first (its host pid, as ps shows it), then the shell; all in the container's pid namespace
        Cli.Out top = cli("top", shortId);
        assertThat(top.status()).as(top.stderr()).isZero();
        List<String> rows = top.stdout().lines().toList();
        assertThat(rows.get(0).split("\\s+")).containsExactly("UID", "PID", "PPID", "STIME", "TIME", "CMD");
        assertThat(rows.get(1).split("\\s+")[1]).isEqualTo(Integer.toString(pid));
        assertThat(rows).anyMatch(r -> r.matches("root +\\d+ +" + pid + " +\\d\\d:\\d\\d +\\d\\d:\\d\\d:\\d\\d +/bin/sh -c echo hello;.*"));
        String pidNs = Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns", "pid")).toString();
        for (String r : rows.subList(1, rows.size())) {
            String p = r.split("\\s+")[1];
            if (Files.exists(Path.of("/proc", p))) { // a sleep of the loop may have ended since
                assertThat(Files.readSymbolicLink(Path.of("/proc", p, "ns", "pid")).toString()).as(r).isEqualTo(pidNs);
            }
        }
        // exec -d: back at once, its process left in the container
        Cli.Out execD = cli("exec", "-d", shortId, "sh", "-c", "echo detached > /tmp/d; exec sleep 303");
        assertThat(execD.status()).as(execD.stderr()).isZero();
        assertThat(execD.stdout()).isEmpty();
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cli("top", shortId).stdout().contains("sleep 303") && System.nanoTime() < waitUntil) {
            Thread.sleep(20);
        }
        assertThat(cli("top", shortId).stdout()).contains("sleep 303");
        Cli.Out dt = cli("exec", "-d", "-t", shortId, "true");
        assertThat(dt.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(dt.stderr()).isEqualTo("mdocker: -d with -t: a detached exec has no terminal and no input\n");
        Cli.Out missing = cli("exec", "-d", shortId, "/no/such");
        assertThat(missing.status()).isEqualTo(127);
        Cli.Out topUnknown = cli("top", "ffffffffffff");
        assertThat(topUnknown.status()).isEqualTo(1);
        assertThat(topUnknown.stderr()).isEqualTo("mdocker: no such container: ffffffffffff\n");

        Cli.Out rm = cli("rm", shortId);
        assertThat(rm.status()).isEqualTo(1);
        assertThat(rm.stderr()).isEqualTo("mdocker: container " + shortId + " is running: stop it first, or remove it with force\n");

        Cli.Out stop = cli("stop", "-t", "10", shortId);
        assertThat(stop.status()).isZero();
        assertThat(stop.stdout()).isEqualTo(shortId + "\n");
        assertThat(Path.of("/proc", Integer.toString(pid))).doesNotExist();
        assertThat(cli("ps").stdout()).doesNotContain(shortId);
        assertThat(cli("ps", "-a").stdout()).contains(shortId).contains("exited (3)");
        assertThat(cli("top", shortId).stderr()).isEqualTo("mdocker: container " + shortId + " is not running\n");
        assertThat(cli("logs", shortId).stdout()).isEqualTo("hello\nbye\n");
        Cli.Out last = cli("logs", "--tail", "1", shortId);
        assertThat(last.stdout()).isEqualTo("bye\n");
        assertThat(last.stderr()).isEqualTo("oops\n");
        assertThat(cli("logs", "-n", "0", shortId).stdout()).isEmpty();
        Cli.Out badTail = cli("logs", "--tail", "-2", shortId);
        assertThat(badTail.status()).isEqualTo(125);
        assertThat(badTail.stderr()).isEqualTo("mdocker: --tail -2: expected a number of lines (0 or more) or all\n");
        Cli.Out waited = cli("wait", shortId); // exited already: at once
        assertThat(waited.status()).isZero();
        assertThat(waited.stdout()).isEqualTo("3\n");
        JsonNode inspected = inspect(shortId);
        assertThat(inspected.at("/State/Status").asText()).isEqualTo("exited");
        assertThat(inspected.at("/State/Running").asBoolean()).isFalse();
        assertThat(inspected.at("/State/Pid").asInt()).isZero();
        assertThat(inspected.at("/State/ExitCode").asInt()).isEqualTo(3);
        assertThat(inspected.at("/NetworkSettings/Mode").asText()).isEqualTo("none");
        assertThat(inspected.at("/NetworkSettings/IPAddress").asText()).isEmpty();
        assertThat(inspected.get("Command").asText()).startsWith("/bin/sh -c echo hello;");

        assertThat(cli("rm", shortId).status()).isZero();
        assertThat(cli("ps", "-a", "-q").stdout()).doesNotContain(shortId);
        assertNothingLeft(id);
    }

    @Test
    void logsFollowsUntilTheContainerExitsAndKillSendsTheSignal() throws Exception {
        String id = runDetachedInAnotherJvm("/bin/sh", "-c", "echo first; sleep 1; echo second; trap 'echo hup' HUP; "
                + "while true; do sleep 0.1; done");
        Thread killer = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(2000); // after "second"
            } catch (InterruptedException e) {
                return;
            }
            cli("kill", "-s", "HUP", id);
            // the shell runs its trap after the current sleep: wait for its line before SIGKILL
            io.mdocker.DetachedContainer c = RunCommand.runtime(STATE).attach(id);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!new String(c.stdout(), StandardCharsets.UTF_8).contains("hup") && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
            cli("kill", id);
        });
        Cli.Out follow = cli("logs", "-f", id);
        killer.join();
        assertThat(follow.status()).isZero();
        assertThat(follow.stdout()).isEqualTo("first\nsecond\nhup\n");
        assertThat(cli("ps", "-a").stdout()).contains("exited (137)");
        Cli.Out again = cli("kill", id);
        assertThat(again.status()).isEqualTo(1);
        assertThat(again.stderr()).isEqualTo("mdocker: container " + id.substring(0, 12) + " is not running\n");
        assertThat(cli("rm", id).status()).isZero();
        assertNothingLeft(id);
    }

    @Test
    void waitBlocksUntilEachContainerHasExitedAndPrintsItsExitCode() throws Exception {
        // The first exits only once this test creates /tmp/go in it (through its pid's root).
        String first = runDetachedInAnotherJvm("/bin/sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 5");
        String second = runDetachedInAnotherJvm("/bin/sh", "-c", "exit 0");
        JsonNode running = inspect(first);
        assertThat(running.at("/State/Running").asBoolean()).isTrue();
        CompletableFuture<Cli.Out> waiting = CompletableFuture.supplyAsync(() -> cli("wait", first, second.substring(0, 12)));
        Thread.sleep(300);
        assertThat(waiting).as("wait returned while the first still runs").isNotDone();
        Files.writeString(Path.of("/proc", running.at("/State/Pid").asText(), "root", "tmp", "go"), "");
        Cli.Out waited = waiting.get(30, TimeUnit.SECONDS);
        assertThat(waited.status()).as(waited.stderr()).isZero();
        assertThat(waited.stdout()).isEqualTo("5\n0\n");
        assertThat(inspect(first).at("/State/ExitCode").asInt()).isEqualTo(5);
        assertThat(inspect(second).at("/State/Status").asText()).isEqualTo("exited");
        Cli.Out unknown = cli("wait", "ffffffffffff");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.stderr()).isEqualTo("mdocker: no such container: ffffffffffff\n");
        assertThat(cli("rm", first, second).status()).isZero();
        assertNothingLeft(first);
        assertNothingLeft(second);
    }

    @Test
    void aNameStandsForTheIdInEveryVerbAndASecondContainerCannotHaveIt() throws Exception {
        String id = runDetachedInAnotherJvm("--name", "web", "/bin/sh", "-c", "echo hi; trap 'exit 4' TERM; "
                + "while true; do sleep 0.1; done");
        String row = cli("ps").stdout().lines().filter(l -> l.startsWith(id.substring(0, 12))).findFirst().orElseThrow();
        assertThat(row).endsWith(" web");
        assertThat(cli("ps").stdout().lines().findFirst().orElseThrow()).endsWith("PORTS                    NAMES");
        assertThat(inspect("web").get("Id").asText()).isEqualTo(id);
        assertThat(inspect("web").get("Name").asText()).isEqualTo("/web");
        assertThat(cli("logs", "web").stdout()).isEqualTo("hi\n");

        Cli.Out second = runCli("run", "--rootfs", ROOTFS.toString(), "--state-root", STATE.toString(), "--network", "none",
                "--name", "web", "/bin/true");
        assertThat(second.status()).isEqualTo(125);
        assertThat(second.stderr()).isEqualTo("mdocker: the container name web is already in use by container "
                + id.substring(0, 12) + ": remove that container or choose another name\n");
        Cli.Out bad = runCli("run", "--rootfs", ROOTFS.toString(), "--state-root", STATE.toString(), "--network", "none",
                "--name", "web/1", "/bin/true");
        assertThat(bad.status()).isEqualTo(125);
        assertThat(bad.stderr()).isEqualTo("mdocker: invalid container name 'web/1': expected a letter or digit, then "
                + "letters, digits, '_', '.' or '-' (2 to 255 characters)\n");

        Cli.Out stop = cli("stop", "web");
        assertThat(stop.status()).isZero();
        assertThat(stop.stdout()).isEqualTo("web\n");
        assertThat(cli("wait", "web").stdout()).isEqualTo("4\n");
        assertThat(cli("rm", "web").status()).isZero();
        assertNothingLeft(id);
        assertThat(Files.isSymbolicLink(STATE.resolve("run/names/web"))).as("the name is given up").isFalse();
    }

    @Test
    void cpCopiesBothWaysByNameAndIntoExistingDirectories(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        String id = runDetachedInAnotherJvm("--name", "files", "/bin/sleep", "600");
        Path hostFile = Files.writeString(tmp.resolve("note.txt"), "a note\n");
        Path hostDir = Files.createDirectories(tmp.resolve("tree/sub"));
        Files.writeString(hostDir.resolve("leaf"), "leaf\n");

        assertThat(cli("cp", hostFile.toString(), "files:/tmp").status()).isZero(); // a directory: into it
        assertThat(cli("cp", hostFile.toString(), "files:/renamed.txt").status()).isZero();
        assertThat(cli("cp", tmp.resolve("tree").toString(), id.substring(0, 12) + ":/tmp/").status()).isZero();
        assertThat(cli("cp", tmp.resolve("tree").toString(), "files:/opt").status()).isZero(); // made: the tree's content
        io.mdocker.ContainerRuntime rt = RunCommand.runtime(STATE);
        assertThat(rt.exec("files", io.mdocker.Exec.builder("/bin/sh", "-c",
                "cat /tmp/note.txt /renamed.txt /tmp/tree/sub/leaf /opt/sub/leaf").build()).stdout())
                .isEqualTo("a note\na note\nleaf\nleaf\n");
        Cli.Out noDir = cli("cp", hostFile.toString(), "files:/nodir/");
        assertThat(noDir.status()).isEqualTo(1);
        assertThat(noDir.stderr()).isEqualTo("mdocker: cp " + hostFile + " files:/nodir/: the destination directory /nodir/ "
                + "does not exist in the container\n");

        Path out = Files.createDirectories(tmp.resolve("out"));
        assertThat(cli("cp", "files:/tmp/tree", out.toString()).status()).isZero(); // an existing directory: into it
        assertThat(Files.readString(out.resolve("tree/sub/leaf"))).isEqualTo("leaf\n");
        assertThat(cli("cp", "files:/tmp/note.txt", out.resolve("copy.txt").toString()).status()).isZero();
        assertThat(Files.readString(out.resolve("copy.txt"))).isEqualTo("a note\n");

        Cli.Out neither = cli("cp", hostFile.toString(), out.toString());
        assertThat(neither.status()).isEqualTo(1);
        assertThat(neither.stderr()).isEqualTo("mdocker: cp " + hostFile + " " + out
                + ": expected exactly one of SRC and DEST as CONTAINER:PATH\n");
        Cli.Out missing = cli("cp", "files:/no/such", out.toString());
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.stderr()).isEqualTo("mdocker: /no/such in container " + id.substring(0, 12) + " does not exist\n");
        Cli.Out unknown = cli("cp", "nosuch:/x", out.toString());
        assertThat(unknown.stderr()).isEqualTo("mdocker: no such container: nosuch\n");

        assertThat(cli("rm", "-f", "files").status()).isZero();
        assertNothingLeft(id);
    }

    @Test
    void pauseAndUnpauseShowInPsAndInspect() throws Exception {
        String id = runDetachedInAnotherJvm("--name", "frozen", "/bin/sleep", "600");
        Cli.Out pause = cli("pause", "frozen");
        assertThat(pause.status()).as(pause.stderr()).isZero();
        assertThat(pause.stdout()).isEqualTo("frozen\n");
        assertThat(cli("ps").stdout().lines().filter(l -> l.startsWith(id.substring(0, 12))).findFirst().orElseThrow())
                .contains(" paused ");
        JsonNode paused = inspect("frozen");
        assertThat(paused.at("/State/Status").asText()).isEqualTo("paused");
        assertThat(paused.at("/State/Paused").asBoolean()).isTrue();
        assertThat(paused.at("/State/Running").asBoolean()).isTrue();
        Cli.Out exec = runCli("exec", "--state-root", STATE.toString(), "frozen", "true");
        assertThat(exec.status()).isEqualTo(125);
        assertThat(exec.stderr()).isEqualTo("mdocker: container " + id.substring(0, 12) + " is paused: unpause it before exec\n");

        assertThat(cli("unpause", "frozen").status()).isZero();
        assertThat(inspect("frozen").at("/State/Status").asText()).isEqualTo("running");
        assertThat(runCli("exec", "--state-root", STATE.toString(), "frozen", "true").status()).isZero();
        assertThat(cli("rm", "-f", "frozen").status()).isZero();
        assertNothingLeft(id);
    }

    /** The CLI in this JVM with exactly these arguments. */
    private static Cli.Out runCli(String... args) {
        return cli(args[0], java.util.Arrays.copyOfRange(args, 1, args.length), false);
    }

    /** {@code mdocker inspect ID}: the one object of the array it prints. */
    @Test
    void labelsFromRunDashLAndALabelFileFilterPsAndShowInInspect(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("labels"), "# a comment\nteam=core\n\ntier=db\nflag\n");
        String labelled = runDetachedInAnotherJvm("--label-file", file.toString(), "-l", "tier=web", "--label",
                "note=a=b c", "/bin/sleep", "600");
        String plain = runDetachedInAnotherJvm("-l", "team=other", "/bin/sleep", "600");
        String l = labelled.substring(0, 12);
        String p = plain.substring(0, 12);

        assertThat(ids(cli("ps", "-q"))).contains(l, p);
        assertThat(ids(cli("ps", "-q", "--filter", "label=team"))).contains(l, p);
        assertThat(ids(cli("ps", "-q", "--filter", "label=team=core"))).contains(l).doesNotContain(p);
        assertThat(ids(cli("ps", "-q", "-f", "label=team", "-f", "label=tier=web"))).as("all must match")
                .contains(l).doesNotContain(p);
        assertThat(ids(cli("ps", "-q", "-f", "label=tier=db"))).as("-l after the file wins").doesNotContain(l);
        assertThat(ids(cli("ps", "-q", "-f", "label=note=a=b c", "-f", "label=flag="))).contains(l).doesNotContain(p);
        Cli.Out table = cli("ps", "--filter", "label=team=other");
        assertThat(table.stdout().lines().toList()).hasSize(2).last().asString().startsWith(p);

        JsonNode labels = inspect(l).at("/Config/Labels");
        assertThat(labels.isObject()).isTrue();
        List<String> keys = new ArrayList<>();
        labels.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).as("sorted by key").containsExactly("flag", "note", "team", "tier");
        assertThat(labels.get("team").asText()).isEqualTo("core");
        assertThat(labels.get("tier").asText()).isEqualTo("web");
        assertThat(labels.get("note").asText()).isEqualTo("a=b c");
        assertThat(labels.get("flag").asText()).isEmpty();

        Cli.Out bad = cli("ps", "--filter", "before=web");
        assertThat(bad.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(bad.stderr()).isEqualTo("mdocker: unsupported filter 'before=web': expected label=KEY[=VALUE], "
                + "status=, name=, id=, exited=, health= or ancestor=\n");
        assertThat(cli("rm", "-f", l, p).status()).isZero();
        assertNothingLeft(labelled);
        assertNothingLeft(plain);
    }

    @Test
    void psFiltersByStateNameAndExitCodeAndFormatsItsLines() throws Exception {
        String web = runDetachedInAnotherJvm("--name", "fmt-web", "-l", "tier=web", "/bin/sleep", "600");
        String gone = runDetachedInAnotherJvm("--name", "fmt-gone", "/bin/sh", "-c", "exit 3");
        try {
            assertThat(cli("wait", gone).stdout()).isEqualTo("3\n");
            String w = web.substring(0, 12);
            String g = gone.substring(0, 12);
            // a filter on the state or the exit code lists exited containers without -a
            assertThat(ids(cli("ps", "-q", "-f", "status=exited"))).contains(g).doesNotContain(w);
            assertThat(ids(cli("ps", "-q", "-f", "name=^fmt-"))).as("running only").containsExactly(w);
            assertThat(ids(cli("ps", "-aq", "-f", "name=^fmt-"))).containsExactlyInAnyOrder(w, g);
            assertThat(ids(cli("ps", "-q", "-f", "name=^fmt-", "-f", "exited=3"))).containsExactly(g);
            assertThat(ids(cli("ps", "-q", "-f", "id=" + w, "-f", "id=" + g, "-f", "status=running", "-f", "status=exited")))
                    .as("one of each kind").containsExactlyInAnyOrder(w, g);
            assertThat(ids(cli("ps", "--format", "{{.ID}} {{.Names}} {{.State}} {{.Status}} {{.Labels}}", "-f", "name=^fmt-web$")))
                    .singleElement().asString().matches(w + " fmt-web running Up [0-9]+ seconds? tier=web");
            assertThat(ids(cli("ps", "--format", "{{.Names}}|{{.Status}}|{{.Command}}", "-f", "status=exited", "-f", "name=fmt-")))
                    .containsExactly("fmt-gone|Exited (3)|\"/bin/sh -c exit 3\"");
            assertThat(ids(cli("ps", "-a", "--format", "table {{.Names}}\\t{{.State}}", "-f", "name=^fmt-")))
                    .containsExactly("NAMES      STATE", "fmt-web    running", "fmt-gone   exited");
            JsonNode row = new ObjectMapper().readTree(ids(cli("ps", "--format", "json", "-f", "name=fmt-web")).getFirst());
            assertThat(row.get("ID").asText()).isEqualTo(w);
            assertThat(row.get("Names").asText()).isEqualTo("fmt-web");
            assertThat(row.get("Pid").asInt()).isPositive();
            assertThat(row.get("CreatedAt").asText()).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\+0000 UTC");
            assertThat(ids(cli("ps", "--format", "table", "-f", "name=fmt-web")).getFirst()).startsWith("CONTAINER ID");
            Cli.Out badFormat = cli("ps", "--format", "{{range .}}x{{end}}");
            assertThat(badFormat.status()).isEqualTo(Main.RUNTIME_ERROR);
            assertThat(badFormat.stderr()).startsWith("mdocker: invalid --format '{{range .}}x{{end}}': {{range .}} is not "
                    + "supported").hasLineCount(1);
            Cli.Out badField = cli("ps", "--format", "{{.Size}}", "-f", "name=fmt-web");
            assertThat(badField.stderr()).isEqualTo("mdocker: --format '{{.Size}}': no field Size in .Size\n");
            // the image: here the root filesystem's directory, shortened to its column in the table
            assertThat(ids(cli("ps", "--format", "{{.Image}}", "-f", "name=fmt-web"))).containsExactly(ROOTFS.toString());
            assertThat(ids(cli("ps", "-aq", "-f", "ancestor=" + ROOTFS, "-f", "name=^fmt-"))).containsExactlyInAnyOrder(w, g);
            assertThat(cli("ps", "-q", "-f", "ancestor=other:1").stdout()).isEmpty();
            String image = ROOTFS.toString().length() <= 19 ? ROOTFS.toString()
                    : "…" + ROOTFS.toString().substring(ROOTFS.toString().length() - 18);
            assertThat(ids(cli("ps", "-f", "name=fmt-web")).get(1).split("\\s+")[1]).isEqualTo(image);
            assertThat(inspect(web).at("/Config/Image").asText()).isEqualTo(ROOTFS.toString());
            Cli.Out badStatus = cli("ps", "-f", "status=up");
            assertThat(badStatus.status()).isEqualTo(Main.RUNTIME_ERROR);
            assertThat(badStatus.stderr()).startsWith("mdocker: invalid filter 'status=up': expected one of").hasLineCount(1);
        } finally {
            assertThat(cli("rm", "-f", web, gone).status()).isZero();
        }
        assertNothingLeft(web);
        assertNothingLeft(gone);
    }

    private static List<String> ids(Cli.Out ps) {
        assertThat(ps.status()).as(ps.stderr()).isZero();
        return ps.stdout().lines().toList();
    }

    private static JsonNode inspect(String id) throws Exception {
        Cli.Out out = cli("inspect", id);
        assertThat(out.status()).as(out.stderr()).isZero();
        JsonNode array = new ObjectMapper().readTree(out.stdout());
        assertThat(array.isArray()).isTrue();
        assertThat(array).hasSize(1);
        return array.get(0);
    }

    @Test
    void unknownIdsAreOneLineErrorsWithStatusOneAndTheOthersStillGo() throws Exception {
        String id = runDetachedInAnotherJvm("/bin/sleep", "600");
        Cli.Out rm = cli("rm", "-f", "ffffffffffff", id);
        assertThat(rm.status()).isEqualTo(1);
        assertThat(rm.stderr()).isEqualTo("mdocker: no such container: ffffffffffff\n");
        assertThat(rm.stdout()).isEqualTo(id + "\n");
        assertNothingLeft(id);
        assertThat(cli("logs", "nothex").stderr()).isEqualTo("mdocker: no such container: nothex\n");
        assertThat(cli("logs", "not hex").stderr()).isEqualTo("mdocker: container 'not hex': expected an id, a unique prefix of one (lowercase hex digits), or a container name\n");
        assertThat(cli("stop", "-t", "-1", "ffff").status()).isEqualTo(1);
        Cli.Out inspect = cli("inspect", "ffffffffffff");
        assertThat(inspect.status()).isEqualTo(1);
        assertThat(inspect.stderr()).isEqualTo("mdocker: no such container: ffffffffffff\n");
        assertThat(inspect.stdout()).isEqualTo("[ ]\n");
    }

    private static void assertNothingLeft(String id) {
        assertThat(STATE.resolve("run/containers").resolve(id)).doesNotExist();
        assertThat(STATE.resolve("lib/containers").resolve(id)).doesNotExist();
        try {
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(id);
            try (var s = Files.walk(Path.of("/sys/fs/cgroup"), 4)) {
                assertThat(s.filter(p -> p.getFileName() != null && p.getFileName().toString().equals(id)).toList())
                        .as("cgroups of " + id).isEmpty();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
