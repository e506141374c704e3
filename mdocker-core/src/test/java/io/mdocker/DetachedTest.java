package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;
import io.mdocker.testing.TestBridge;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Detached containers outlive the JVM that started them, whether it exits or is SIGKILLed; any
 * later process lists, attaches to, signals, stops and removes them; runtime recovery spares them
 * while they run. Each test checks that what its container made is gone afterwards.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
@TestBridge(name = DetachedTest.BRIDGE, address = DetachedTest.BRIDGE_ADDRESS)
class DetachedTest {
    static final String BRIDGE = "mdt17";
    static final String BRIDGE_ADDRESS = "10.201.17.1/24";

    @BeforeAll
    static void network() {
        NetFixtures.prerequisites();
    }

    /** Every runtime a test used: swept of detached containers afterwards, whatever the outcome. */
    private static final DetachedRoots ROOTS = new DetachedRoots();
    /** The roots of the tests that start their containers in this JVM. */
    private static final ContainerRuntime HERE = runtime("detached");

    /** Before the bridge is removed ({@link TestBridge} acts after the class's @AfterAll methods). */
    @AfterAll
    static void sweep() {
        ROOTS.sweep();
    }

    private static ContainerRuntime runtime(String name) {
        return ROOTS.runtime(name);
    }

    private static Container.Builder container() {
        return Container.builder().rootfs(Fixtures.rootfs()).runtime(HERE);
    }

    @Test
    void outlivesItsJvmExitingNormallyAndAnotherProcessStopsIt() throws Exception {
        ContainerRuntime rt = runtime("detached-exit");
        RecoveryChild.Launched child = RecoveryChild.launch(Fixtures.rootfs(), rt.libRoot(), rt.runRoot(), 1,
                "detached:1", "exit");
        assertThat(child.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.process().exitValue()).as("the child JVM exits normally, shutdown hooks and all").isZero();
        String id = child.ids().get(0);
        int pid = child.pids().get(0);

        assertThat(Path.of("/proc", Integer.toString(pid))).as("pid 1 after its JVM exited").exists();
        List<ContainerInfo> listed = rt.list();
        assertThat(listed).singleElement().satisfies(i -> {
            assertThat(i.id()).isEqualTo(id);
            assertThat(i.detached()).isTrue();
            assertThat(i.state()).isEqualTo(ContainerInfo.State.RUNNING);
            assertThat(i.pid()).isEqualTo(pid);
            assertThat(i.command()).startsWith("/bin/sh -c echo started;");
            assertThat(i.network()).isEqualTo("none");
            assertThat(i.ipAddress()).isEmpty();
        });
        assertThat(rt.inspect(id.substring(0, 10))).isEqualTo(rt.list().get(0));
        DetachedContainer d = rt.attach(id.substring(0, 8));
        Leftovers made = Leftovers.of(rt, id);
        assertThat(made.cgroupDirs()).isNotEmpty().allSatisfy(dir -> assertThat(dir).isDirectory());
        assertThat(new String(d.stdout(), StandardCharsets.UTF_8)).startsWith("started\n");

        assertThat(d.stop(Duration.ofSeconds(10))).as("sh killed by SIGTERM, as the init reports it")
                .isEqualTo(143);
        made.assertReleased(); // released as soon as this process saw it exit
        assertThat(rt.list()).singleElement().satisfies(i -> {
            assertThat(i.state()).isEqualTo(ContainerInfo.State.EXITED);
            assertThat(i.exitCode()).hasValue(143);
            assertThat(i.pid()).isEqualTo(-1);
        });
        assertThat(rt.inspect(id).exitCode()).hasValue(143);
        d.remove(false);
        made.assertGone();
        assertThat(rt.list()).isEmpty();
    }

    @Test
    void outlivesItsJvmKilledWithSigkillOnABridge() throws Exception {
        ContainerRuntime rt = runtime("detached-sigkill");
        RecoveryChild.Launched child = RecoveryChild.launch(Fixtures.rootfs(), rt.libRoot(), rt.runRoot(), 1,
                "detached:1", "limits", BRIDGE + "," + BRIDGE_ADDRESS);
        String id = child.ids().get(0);
        int pid = child.pids().get(0);
        child.killHard();

        // A new runtime on the same roots recovers first, and must spare it.
        ContainerRuntime next = runtime("detached-sigkill");
        assertThat(next.gc()).doesNotContain(id);
        assertThat(Path.of("/proc", Integer.toString(pid))).as("pid 1 after its JVM was SIGKILLed").exists();
        DetachedContainer d = next.attach(id);
        assertThat(d.isRunning()).isTrue();
        Leftovers made = Leftovers.of(next, id);
        assertThat(made.veth()).isNotNull();
        assertThat(NetFixtures.vethLinks()).contains(made.veth());
        assertThat(made.lease()).exists();

        assertThat(d.kill(Signal.KILL)).isTrue();
        assertThat(d.waitFor(Duration.ofSeconds(10))).isTrue();
        assertThat(d.exitCode()).hasValue(137);
        assertThat(io.mdocker.internal.net.ContainerNetwork.awaitReleases(Duration.ofSeconds(10))).isTrue();
        made.assertReleased();
        assertThat(d.kill(Signal.KILL)).as("an exited container cannot be signalled").isFalse();
        d.remove(false);
        made.assertGone();
    }

    @Test
    void recoverySparesARunningDetachedContainerAndCleansTheAttachedOnesOfTheSameDeadJvm() throws Exception {
        ContainerRuntime rt = runtime("detached-recovery");
        RecoveryChild.Launched child = RecoveryChild.launch(Fixtures.rootfs(), rt.libRoot(), rt.runRoot(), 3, "detached:1");
        String detachedId = child.ids().get(0);
        List<String> attached = child.ids().subList(1, 3);
        List<Leftovers> attachedMade = attached.stream().map(id -> Leftovers.of(rt, id)).toList();
        child.killHard();
        for (int pid : child.pids().subList(1, 3)) {
            awaitGone(pid);
        }

        ContainerRuntime next = runtime("detached-recovery");
        assertThat(Container.builder().rootfs(Fixtures.rootfs()).runtime(next).run("/bin/true").exitCode()).isZero();
        attachedMade.forEach(Leftovers::assertGone);
        assertThat(next.list()).extracting(ContainerInfo::id).containsExactly(detachedId);
        DetachedContainer d = next.attach(detachedId);
        assertThat(d.isRunning()).isTrue();
        Leftovers made = Leftovers.of(next, detachedId);
        d.remove(true);
        made.assertGone();
    }

    @Test
    void attachByIdThenWaitForGetsTheExitCodeAndLogsFollowUntilTheEnd() {
        ContainerRuntime rt = HERE;
        DetachedContainer started = container().startDetached("/bin/sh", "-c",
                "echo one; echo warn >&2; sleep 1; echo two; sleep 0.5; echo three; exit 7");
        DetachedContainer d = rt.attach(started.id().substring(0, 12));
        Leftovers made = Leftovers.of(rt, d.id());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        d.followLogs(out, err);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\nthree\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("warn\n");
        assertThat(d.waitFor()).isEqualTo(7);
        made.assertReleased();
        d.remove(false);
        made.assertGone();
    }

    @Test
    void statsAreReadFromTheCgroupsItsRecordNames() throws Exception {
        DetachedContainer started = Fixtures.withTestbox().runtime(HERE).memory(DataSize.ofMiB(64)).pidsLimit(20)
                .startDetached("testbox", "hold", "16", "60");
        DetachedContainer d = HERE.attach(started.id()); // another handle: all it has is the record
        Leftovers made = Leftovers.of(HERE, d.id());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!new String(d.stdout(), StandardCharsets.UTF_8).contains("ready") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(new String(d.stdout(), StandardCharsets.UTF_8)).contains("ready");
        ResourceStats s = d.stats();
        assertThat(s.memoryBytes()).isBetween(16L << 20, 64L << 20); // the 16 MiB it touched, under its limit
        assertThat(s.pids()).isBetween(2L, 20L); // init and testbox
        assertThat(s.cpuUsageNanos()).isPositive();
        assertThat(s.oomKills()).isZero();
        d.remove(true);
        assertThat(d.stats()).isEqualTo(new ResourceStats(-1, -1, -1, -1, -1));
        made.assertGone();
    }

    @Test
    void processesListPid1ItsCommandAndAnExecOfEveryHandleUntilTheEnd() throws Exception {
        DetachedContainer d = container().startDetached("/bin/sh", "-c", "sleep 300 & sleep 301; wait");
        Leftovers made = Leftovers.of(HERE, d.id());
        List<String> lines = List.of();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) { // the shell starts its two sleeps
            lines = d.processes().stream().map(p -> cmdline(p.pid())).toList();
            if (lines.size() >= 4) {
                break;
            }
            Thread.sleep(20);
        }
        List<ProcessHandle> ps = d.processes();
        assertThat(ps.get(0).pid()).as("pid 1 first").isEqualTo(d.pid());
        assertThat(lines).as(lines.toString()).hasSize(4) // pid 1 (mdocker-init), sh, the two sleeps
                .contains("sleep 300", "sleep 301").anyMatch(l -> l.startsWith("mdocker-init"));
        assertThat(ps.subList(1, ps.size())).extracting(ProcessHandle::pid).isSorted();
        assertThat(ps).allMatch(p -> pidNamespace(p.pid()).equals(pidNamespace(d.pid())))
                .noneMatch(p -> pidNamespace(p.pid()).equals(pidNamespace(ProcessHandle.current().pid())));
        // an exec is in the container too; another handle, and the runtime by name or prefix, list the same
        try (ExecProcess e = HERE.execStart(d.shortId(), Exec.builder("/bin/sleep", "302").build())) {
            while (HERE.processes(d.shortId()).stream().noneMatch(p -> cmdline(p.pid()).equals("/bin/sleep 302"))
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(HERE.processes(d.shortId())).hasSize(5);
            assertThat(HERE.attach(d.id()).processes()).extracting(ProcessHandle::pid)
                    .containsExactlyElementsOf(HERE.processes(d.id()).stream().map(ProcessHandle::pid).toList());
            e.kill(Signal.KILL);
        }
        d.remove(true);
        assertThat(d.processes()).isEmpty();
        assertThatThrownBy(() -> HERE.processes(d.id())).isInstanceOf(ContainerException.class);
        made.assertGone();
    }

    @Test
    void execDetachedLeavesItsProcessInTheContainerUntilTheContainerEnds() throws Exception {
        DetachedContainer d = container().startDetached("/bin/sleep", "300");
        Leftovers made = Leftovers.of(HERE, d.id());
        int pid = d.execDetached(Exec.builder("/bin/sh", "-c", "echo $GREETING > /tmp/out; exec sleep 301").env("GREETING", "hi")
                .build());
        assertThat(pid).isPositive();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cmdline(pid).equals("sleep 301") && System.nanoTime() < deadline) { // the shell's exec
            Thread.sleep(10);
        }
        assertThat(cmdline(pid)).isEqualTo("sleep 301"); // still there, with nothing of this JVM waiting for it
        assertThat(pidNamespace(pid)).isEqualTo(pidNamespace(d.pid()));
        assertThat(d.processes()).extracting(ProcessHandle::pid).contains((long) pid);
        assertThat(d.exec("cat", "/tmp/out").stdout()).isEqualTo("hi\n");
        // by id from the runtime, and a command that cannot be executed: Docker's 126/127 as for exec
        int other = HERE.execDetached(d.shortId(), Exec.builder("/bin/sleep", "302").build());
        assertThat(cmdline(other)).isEqualTo("/bin/sleep 302");
        assertThatThrownBy(() -> d.execDetached(Exec.builder("/no/such").build())).isInstanceOf(ExecFailedException.class);
        assertThatThrownBy(() -> d.execDetached(Exec.builder("cat").input("x").build()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a detached exec has no terminal and no input: drop the input, or start it attached (execStart)");
        d.remove(true); // the container's end ends them
        assertThat(Path.of("/proc", Integer.toString(pid))).doesNotExist();
        assertThat(Path.of("/proc", Integer.toString(other))).doesNotExist();
        made.assertGone();
        assertThatThrownBy(() -> d.execDetached(Exec.builder("true").build())).isInstanceOf(ContainerException.class)
                .hasMessageContaining("is not running");
    }

    /** argv, space-separated, as ps shows it; empty for a process gone meanwhile. */
    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ').strip();
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static String pidNamespace(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "pid")).toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void filesAreCopiedInAndOutByAnyProcessWhileItRuns(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        DetachedContainer started = container().startDetached("/bin/sleep", "600");
        DetachedContainer d = HERE.attach(started.id()); // all it has is the record
        Leftovers made = Leftovers.of(HERE, d.id());
        Path in = Files.writeString(tmp.resolve("in.txt"), "from the host\n");
        Files.setPosixFilePermissions(in, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
        d.copyIn(in, "/srv/new/in.txt");
        assertThat(HERE.exec(d.id(), Exec.builder("/bin/sh", "-c", "cat /srv/new/in.txt; stat -c %a /srv/new/in.txt").build())
                .stdout()).isEqualTo("from the host\n750\n");
        HERE.exec(d.id(), Exec.builder("/bin/sh", "-c", "echo made inside > /srv/new/inside.txt").build());
        d.copyOut("/srv", tmp.resolve("srv"));
        assertThat(Files.readString(tmp.resolve("srv/new/inside.txt"))).isEqualTo("made inside\n");
        assertThat(Files.readString(tmp.resolve("srv/new/in.txt"))).isEqualTo("from the host\n");
        assertThat(HERE.isDirectory(d.id(), "/srv/new")).isTrue();
        assertThat(HERE.isDirectory(d.id(), "/srv/new/in.txt")).isFalse();
        assertThat(HERE.isDirectory(d.id(), "/no/such")).isFalse();
        assertThatThrownBy(() -> d.copyOut("/no/such", tmp.resolve("x"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("/no/such in container " + d.shortId() + " does not exist");

        d.stop(Duration.ofSeconds(5));
        assertThatThrownBy(() -> d.copyIn(in, "/tmp/late")).isInstanceOf(ContainerException.class)
                .hasMessage("container " + d.shortId() + " is not running: files are copied in and out of running containers");
        d.remove(false);
        made.assertGone();
    }

    @Test
    void copyLogsGivesTheLastLinesOfEachStream() {
        DetachedContainer d = container().startDetached("/bin/sh", "-c",
                "seq 1 5000; printf 'x\\ny' >&2"); // 23 KB of stdout: more than one chunk read backwards
        Leftovers made = Leftovers.of(HERE, d.id());
        assertThat(d.waitFor()).isZero();
        assertThat(logs(d, 3)).containsExactly("4998\n4999\n5000\n", "x\ny"); // a last line without \n counts
        assertThat(logs(d, 1)).containsExactly("5000\n", "y");
        assertThat(logs(d, 0)).containsExactly("", "");
        assertThat(logs(d, 2)[1]).isEqualTo("x\ny");
        assertThat(logs(d, 9999)[0]).startsWith("1\n2\n").endsWith("5000\n").hasLineCount(5000);
        assertThat(logs(d, DetachedContainer.ALL_LINES)[0]).isEqualTo(new String(d.stdout(), StandardCharsets.UTF_8));
        d.remove(false);
        made.assertGone();
    }

    private static String[] logs(DetachedContainer d, int tail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        d.copyLogs(out, err, tail);
        return new String[] {out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void removeRefusesARunningContainerUnlessForced() {
        DetachedContainer d = container().startDetached("/bin/sleep", "600");
        Leftovers made = Leftovers.of(HERE, d.id());
        assertThatThrownBy(() -> d.remove(false)).isInstanceOf(ContainerException.class)
                .hasMessage("container " + d.shortId() + " is running: stop it first, or remove it with force");
        assertThat(d.isRunning()).isTrue();
        d.remove(true);
        made.assertGone();
    }

    @Test
    void unknownAndAmbiguousIdsAreOneLineErrors() {
        assertThatThrownBy(() -> HERE.attach("0123456789abcdef0123")).isInstanceOf(ContainerException.class)
                .hasMessage("no such container: 0123456789abcdef0123");
        assertThatThrownBy(() -> HERE.attach("XYZ")).isInstanceOf(ContainerException.class) // could be a name
                .hasMessage("no such container: XYZ");
        assertThatThrownBy(() -> HERE.attach("X/Z")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("container 'X/Z': expected an id, a unique prefix of one (lowercase hex digits), or a container name");
        DetachedContainer a = container().startDetached("/bin/sleep", "600");
        DetachedContainer b = container().startDetached("/bin/sleep", "600");
        try {
            // Every id starts with one of 16 digits: with 17 records two share a first digit,
            // here it is enough that "" is refused and a one-digit prefix shared by both is ambiguous.
            if (a.id().charAt(0) == b.id().charAt(0)) {
                assertThatThrownBy(() -> HERE.attach(a.id().substring(0, 1)))
                        .isInstanceOf(ContainerException.class).hasMessageContaining("is ambiguous: it matches 2 containers");
            }
            assertThatThrownBy(() -> HERE.attach("")).isInstanceOf(IllegalArgumentException.class);
        } finally {
            a.remove(true);
            b.remove(true);
        }
    }

    static void awaitGone(int pid) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (Files.exists(Path.of("/proc", Integer.toString(pid))) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(Path.of("/proc", Integer.toString(pid))).as("pid " + pid).doesNotExist();
    }
}
