package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Exec into running containers, against the kernel: what the exec'd process shares with the
 * container's command (namespaces, mounts, identity, confinement, environment), its exit codes
 * and errors, signals, its end with the container, concurrency.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ExecTest {
    private static final List<String> NAMESPACES = List.of("mnt", "uts", "ipc", "net", "pid", "cgroup");

    /**
     * A command that writes what it sees of itself into /tmp (its namespaces, status lines,
     * limits, addresses), prints "ready" and sleeps: what an exec'd process must see the same.
     */
    private static final String[] SELF_REPORT = {"/bin/sh", "-c",
            "for n in mnt uts ipc net pid cgroup; do readlink /proc/self/ns/$n; done > /tmp/ns;"
                    + " grep -E '^(Cap|NoNewPrivs|Seccomp|Uid|Gid|Groups)' /proc/self/status > /tmp/status;"
                    + " cat /proc/self/limits > /tmp/limits; ip -o addr > /tmp/ip;"
                    + " echo ready; exec sleep 600"};
    /** The same report from an exec'd process, on its stdout, in the same order. */
    private static final String SELF_REPORT_EXEC =
            "for n in mnt uts ipc net pid cgroup; do readlink /proc/self/ns/$n; done;"
                    + " grep -E '^(Cap|NoNewPrivs|Seccomp|Uid|Gid|Groups)' /proc/self/status;"
                    + " cat /proc/self/limits; ip -o addr";
    private static final String READ_COMMANDS_REPORT = "cat /tmp/ns /tmp/status /tmp/limits /tmp/ip";

    private static RunningContainer startReady(Container.Builder b) throws IOException {
        RunningContainer c = b.start(SELF_REPORT);
        BufferedReader out = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("ready");
        return c;
    }

    @Test
    void execSeesTheContainersHostnameProcessesAndFiles() throws Exception {
        try (RunningContainer c = startReady(Fixtures.container().hostname("exec-box"))) {
            ExecResult r = c.exec("/bin/sh", "-c", "hostname; cat /proc/1/comm; cat /tmp/ns | wc -l; echo $$; ps -o pid,args");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            List<String> lines = r.stdout().lines().toList();
            assertThat(lines.get(0)).isEqualTo("exec-box");
            assertThat(lines.get(1)).as("pid 1 is the container's init").isEqualTo("mdocker-init");
            assertThat(lines.get(2).trim()).as("the file the command wrote").isEqualTo("6");
            int shellPid = Integer.parseInt(lines.get(3));
            assertThat(shellPid).as("a pid of the container's namespace").isGreaterThan(2).isLessThan(100);
            String ps = String.join("\n", lines.subList(4, lines.size()));
            assertThat(ps).containsPattern("(?m)^\\s*1\\s+mdocker-init")
                    .containsPattern("(?m)^\\s*2\\s+sleep 600")
                    .containsPattern("(?m)^\\s*" + shellPid + "\\s+.*/bin/sh -c hostname"); // (busybox's ps runs in it)

            // A file the exec'd process writes is the command's too: one filesystem.
            assertThat(c.exec("/bin/sh", "-c", "echo from-exec > /tmp/shared").exitCode()).isZero();
            assertThat(c.exec("cat", "/tmp/shared").stdout()).isEqualTo("from-exec\n");
        }
    }

    @Test
    void anExecdProcessHasAPidInTheContainerAndEveryNamespaceOfItsPid1() throws Exception {
        try (RunningContainer c = startReady(Fixtures.container());
             ExecProcess p = c.execStart("/bin/sleep", "601")) {
            assertThat(p.isRunning()).isTrue();
            // From the host: the same namespaces as the container's pid 1, every one of them.
            for (String ns : NAMESPACES) {
                assertThat(Files.readSymbolicLink(Path.of("/proc", Integer.toString(p.pid()), "ns", ns))).as(ns)
                        .isEqualTo(Files.readSymbolicLink(Path.of("/proc", Integer.toString(c.pid()), "ns", ns)));
            }
            // Its pid inside, as the kernel reports it (NSpid: host pid ... innermost pid).
            String nspid = Files.readAllLines(Path.of("/proc", Integer.toString(p.pid()), "status")).stream()
                    .filter(l -> l.startsWith("NSpid:")).findFirst().orElseThrow();
            String[] ids = nspid.substring(6).trim().split("\\s+");
            assertThat(ids).hasSize(2);
            assertThat(Integer.parseInt(ids[0])).isEqualTo(p.pid());
            assertThat(Integer.parseInt(ids[1])).isEqualTo(p.containerPid());
            // ... and as the container sees it
            ExecResult ps = c.exec("/bin/sh", "-c", "cat /proc/" + p.containerPid() + "/cmdline | tr '\\0' ' '");
            assertThat(ps.stdout()).isEqualTo("/bin/sleep 601 ");
        }
    }

    @Test
    void execWithoutInitAndOnTheHostsNetwork() throws Exception {
        try (RunningContainer c = Fixtures.container().init(false).network(Network.host()).start("/bin/sleep", "600")) {
            ExecResult r = c.exec("/bin/sh", "-c", "cat /proc/1/comm; readlink /proc/self/ns/net; readlink /proc/self/ns/uts");
            assertThat(r.exitCode()).as(r.stderr()).isZero();
            List<String> lines = r.stdout().lines().toList();
            assertThat(lines.get(0)).as("the command is pid 1").isEqualTo("sleep");
            assertThat(lines.get(1)).as("the host's network namespace")
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString());
            assertThat(lines.get(2)).as("but the container's UTS namespace")
                    .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/uts")).toString());
        }
    }

    @Test
    void anExecdProcessIsConfinedAsTheCommandIs() throws Exception {
        // Docker's defaults: 14 capabilities, seccomp filter, no_new_privs
        assertSameAsTheCommand(Fixtures.container());
        // Other settings, each carried over: capabilities, user, groups, rlimits
        assertSameAsTheCommand(Fixtures.container().capDrop("ALL").capAdd("NET_ADMIN", "CHOWN").user("1000:1001")
                .groupAdd(4711).ulimit("nofile=100:200").ulimit("nproc=300:400"));
        // privileged: every capability, no filter; and no_new_privs off
        assertSameAsTheCommand(Fixtures.container().privileged(true).noNewPrivileges(false));
    }

    @Test
    void anExecdProcessGetsTheLimitsOfAPid1RunningAsAnotherUser() throws Exception {
        // Without the init, pid 1 is the command itself, here not root: the joiner reads its rlimits
        // with prlimit(2), which the kernel refuses to a root without CAP_SYS_RESOURCE (root in a
        // container, as on the CI machine), and then from /proc/PID/limits. The OCI runtime's exec
        // (containerd's ExecSync into a pod's container with runAsUser) goes this way.
        assertSameAsTheCommand(Fixtures.container().init(false).user("1000:1001").groupAdd(4711)
                .ulimit("nofile=100:200").ulimit("nproc=300:400"));
    }

    private static void assertSameAsTheCommand(Container.Builder b) throws IOException {
        try (RunningContainer c = startReady(b)) {
            ExecResult command = c.exec("/bin/sh", "-c", READ_COMMANDS_REPORT);
            ExecResult exec = c.exec("/bin/sh", "-c", SELF_REPORT_EXEC);
            assertThat(exec.exitCode()).as(exec.stderr()).isZero();
            assertThat(exec.stdout()).isEqualTo(command.stdout()).contains("CapBnd:", "Seccomp:", "Max open files", "inet 127.0.0.1/8");
            Container spec = b.build();
            assertThat(exec.stdout()).contains("Seccomp:\t" + (spec.privileged() ? 0 : 2))
                    .contains("NoNewPrivs:\t" + (spec.noNewPrivileges() ? 1 : 0));
            if (spec.uid() != 0) {
                assertThat(exec.stdout()).contains("Uid:\t1000\t1000\t1000\t1000", "Gid:\t1001\t1001\t1001\t1001",
                        "Groups:\t4711");
            }
        }
    }

    @Test
    void environmentAndWorkingDirectoryAreTheContainersWithTheExecsChanges() throws Exception {
        try (RunningContainer c = Fixtures.container().hostname("env-box").env("A", "from-container").env("B", "b")
                .workdir("/tmp").start("/bin/sleep", "600")) {
            ExecResult plain = c.exec("/bin/sh", "-c", "echo $A $B $HOSTNAME $HOME $PATH; pwd");
            assertThat(plain.stdout()).isEqualTo("from-container b env-box /root " + Container.DEFAULT_PATH + "\n/tmp\n");

            ExecResult changed = c.exec(Exec.builder("/bin/sh", "-c", "echo $A $B $C $HOME; pwd; id -u; id -g")
                    .env("A", "from-exec").env("C=c").workdir("/etc").user("1000:1001").build());
            assertThat(changed.stdout()).isEqualTo("from-exec b c /\n/etc\n1000\n1001\n");

            // As Docker's exec, a working directory that does not exist is an error (run creates it).
            assertThatThrownBy(() -> c.exec(Exec.builder("pwd").workdir("/no/such/dir").build()))
                    .isInstanceOf(ContainerException.class)
                    .hasMessage("exec into container " + c.shortId() + ": chdir(/no/such/dir): ENOENT (No such file or directory)");
        }
    }

    @Test
    void exitCodesAndExecFailuresAreAsForRun() {
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "600")) {
            assertThat(c.exec("/bin/true").exitCode()).isZero();
            assertThat(c.exec("/bin/sh", "-c", "exit 7").exitCode()).isEqualTo(7);
            assertThat(c.exec("/bin/sh", "-c", "kill -9 $$").exitCode()).isEqualTo(137);
            ExecResult out = c.exec("/bin/sh", "-c", "echo out; echo err >&2");
            assertThat(out.stdout()).isEqualTo("out\n");
            assertThat(out.stderr()).isEqualTo("err\n");
            assertThat(c.exec(Exec.builder("cat").input("hello\n").build()).stdout()).isEqualTo("hello\n");
            assertThat(c.exec("cat").stdout()).as("stdin is empty without input").isEmpty();

            assertThatThrownBy(() -> c.exec("/bin/nope"))
                    .isInstanceOfSatisfying(ExecFailedException.class, e -> assertThat(e.exitCode()).isEqualTo(127))
                    .hasMessage("executable file not found in rootfs: /bin/nope");
            assertThatThrownBy(() -> c.exec("nope"))
                    .isInstanceOfSatisfying(ExecFailedException.class, e -> assertThat(e.exitCode()).isEqualTo(127))
                    .hasMessage("executable file not found in $PATH: nope");
            assertThatThrownBy(() -> c.exec("/etc/passwd"))
                    .isInstanceOfSatisfying(ExecFailedException.class, e -> assertThat(e.exitCode()).isEqualTo(126))
                    .hasMessage("permission denied executing /etc/passwd");
            assertThat(c.isRunning()).as("a failed exec leaves the container alone").isTrue();
        }
    }

    @Test
    void execIntoAContainerThatHasExitedIsAOneLineError() {
        RunningContainer c = Fixtures.container().start("/bin/sh", "-c", "exit 3");
        try {
            assertThat(c.waitFor()).isEqualTo(3);
            assertThatThrownBy(() -> c.exec("/bin/true"))
                    .isInstanceOf(ContainerException.class)
                    .hasMessage("container " + c.shortId() + " has exited (exit code 3): cannot exec into it");
        } finally {
            c.close();
        }
        assertThatThrownBy(() -> c.exec("/bin/true"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("container " + c.shortId() + " is closed: cannot exec into it");
    }

    @Test
    void killingAnExecdProcessAndItsProcessGroup() throws Exception {
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "600")) {
            try (ExecProcess p = c.execStart("/bin/sh", "-c", "sleep 602 & sleep 603; echo not reached")) {
                p.kill(Signal.TERM);
                assertThat(p.waitFor()).isEqualTo(143);
            }
            // the shell's child in its process group got the signal too
            assertGone(c, "sleep 602", "sleep 603");

            // a timeout kills the whole group and says what it awaited, with the output so far
            assertThatThrownBy(() -> c.exec(Exec.builder("/bin/sh", "-c", "echo started; sleep 604 & sleep 605")
                    .timeout(Duration.ofMillis(500)).build()))
                    .isInstanceOfSatisfying(ExecTimeoutException.class, e -> assertThat(e.stdout()).isEqualTo("started\n"))
                    .hasMessage("exec of '/bin/sh -c echo started; sleep 604 & sleep 605' in container " + c.shortId()
                            + " did not end within PT0.5S: killed it");
            assertGone(c, "sleep 604", "sleep 605");
            assertThat(c.isRunning()).isTrue();
        }
    }

    /** No process in the container runs with these arguments (once the signalled ones have died). */
    private static void assertGone(RunningContainer c, String... args) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        String ps;
        do {
            ps = c.exec("ps", "-o", "args").stdout();
            if (java.util.Arrays.stream(args).noneMatch(ps::contains)) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        assertThat(ps).doesNotContain(args);
    }

    @Test
    void theEndOfTheContainerEndsItsExecdProcesses() throws Exception {
        ExecProcess p;
        int hostPid;
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "600")) {
            p = c.execStart("/bin/sleep", "606");
            hostPid = p.pid();
            assertThat(Path.of("/proc", Integer.toString(hostPid))).exists();
            // pid 1 exiting ends its PID namespace, and the exec'd process with it
            c.kill(Signal.KILL);
            assertThat(p.waitFor(Duration.ofSeconds(10))).isTrue();
            assertThat(p.exitCode()).isEqualTo(137);
            assertThat(c.waitFor()).isEqualTo(137);
        }
        assertThat(Path.of("/proc", Integer.toString(hostPid))).doesNotExist();

        // close() ends them too, and releases their handles
        ExecProcess q;
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "600")) {
            q = c.execStart("/bin/sleep", "607");
        }
        assertThat(q.isRunning()).isFalse();
        assertThat(q.exitCode()).isEqualTo(137);
        assertThat(Path.of("/proc", Integer.toString(q.pid()))).doesNotExist();
    }

    @Test
    void streamsOfAnExecdProcess() throws Exception {
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "600");
             ExecProcess p = c.execStart("/bin/sh", "-c", "while read x; do echo got $x; echo err $x >&2; done")) {
            OutputStream in = p.stdin();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
            BufferedReader err = new BufferedReader(new InputStreamReader(p.stderr(), StandardCharsets.UTF_8));
            for (int i = 0; i < 3; i++) {
                in.write(("line" + i + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
                assertThat(out.readLine()).isEqualTo("got line" + i);
                assertThat(err.readLine()).isEqualTo("err line" + i);
            }
            in.close();
            assertThat(p.waitFor()).isZero();
            assertThat(out.readLine()).isNull();
        }
    }

    @Test
    void twentyExecsAtOnceIntoOneContainerAndExecsIntoManyContainersAtOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(20);
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "600")) {
            List<Future<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                String n = Integer.toString(i);
                results.add(pool.submit(() -> c.exec(Exec.builder("/bin/sh", "-c", "sleep 0.2; echo $N; exit $N")
                        .env("N", n).build())));
            }
            for (int i = 0; i < 20; i++) {
                ExecResult r = results.get(i).get();
                assertThat(r.exitCode()).isEqualTo(i);
                assertThat(r.stdout()).isEqualTo(i + "\n");
            }
        }
        List<RunningContainer> containers = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                containers.add(Fixtures.container().hostname("many" + i).start("/bin/sleep", "600"));
            }
            List<Future<ExecResult>> results = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                RunningContainer c = containers.get(i % 5);
                results.add(pool.submit(() -> c.exec("hostname")));
            }
            for (int i = 0; i < 20; i++) {
                assertThat(results.get(i).get().stdout()).isEqualTo("many" + (i % 5) + "\n");
            }
        } finally {
            containers.forEach(RunningContainer::close);
            pool.shutdownNow();
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsCreated() {
        assertThatThrownBy(() -> Exec.builder()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("empty command: give the program to run in the container");
        assertThatThrownBy(() -> Exec.builder("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("empty command: the program name is an empty string");
        assertThatThrownBy(() -> Exec.builder("echo", "a\0b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("command argument 'a\\0b' contains a NUL byte");
        assertThatThrownBy(() -> Exec.builder("env").env("NOVALUE")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid environment variable 'NOVALUE': expected KEY=VALUE");
        assertThatThrownBy(() -> Exec.builder("env").env("A=B", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid environment variable name 'A=B': expected a non-empty name without '=', spaces or control characters");
        assertThatThrownBy(() -> Exec.builder("pwd").workdir("tmp")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid working directory 'tmp': expected an absolute path");
        assertThatThrownBy(() -> Exec.builder("id").user("bob")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid user 'bob': expected UID[:GID] with numeric ids");
        assertThatThrownBy(() -> Exec.builder("id").user(-1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid user -1:0: expected non-negative ids");
        assertThatThrownBy(() -> Exec.builder("true").timeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid exec timeout PT0S: expected a positive duration");
        assertThatThrownBy(() -> Exec.builder("cat").input("x").stdin(Stdio.discard()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("input needs a piped stdin, but stdin is discard");
        assertThatThrownBy(() -> Fixtures.RUNTIME.exec("xyz!", Exec.builder("true").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("container 'xyz!': expected an id, a unique prefix of one (lowercase hex digits), or a container name");
        assertThatThrownBy(() -> Fixtures.RUNTIME.exec("ffffffffffff", Exec.builder("true").build()))
                .isInstanceOf(ContainerException.class)
                .hasMessage("no such container: ffffffffffff");
    }
}
