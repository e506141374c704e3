package io.mdocker;

import io.mdocker.testing.Fixtures;

import io.mdocker.internal.security.DevicesCgroupV1;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Container escape attempts, each made with a direct system call by the static helper mdk-probe
 * (src/test/c) as root inside a container with mdocker's defaults. Each must fail; each has a
 * counterpart where the matching capability is added, seccomp is unconfined or the container is
 * privileged, and the same call gets past the gate (so this suite can fail: a test whose attempt
 * fails for an unrelated reason would prove nothing). After every test the host is checked
 * unchanged: hostname, clock, mounts, the sysctls touched, the JVM's devices cgroup.
 *
 * <p>Harmless if they fail, on a shared machine (DESIGN.md, Conventions): see mdk-probe.c.
 */
class EscapeTest {
    private static final String PROBE = "/usr/local/bin/mdk-probe";

    private HostState before;

    record HostState(String hostname, String domainname, String panic, String mountinfo, String devicesCgroups) { }

    private static HostState hostState() throws IOException {
        ContainerRuntime.awaitCleanup(); // the teardown run() leaves to the cleanup thread is done
        Path devicesRoot = DevicesCgroupV1.mountPoint().map(m -> m.resolve("mdocker")).orElse(Path.of("/nonexistent"));
        return new HostState(read("/proc/sys/kernel/hostname"), read("/proc/sys/kernel/domainname"),
                read("/proc/sys/kernel/panic"), Fixtures.mountinfo(),
                Fixtures.list(devicesRoot).stream().filter(p -> p.getFileName().toString().matches("[0-9a-f]{64}")).toList().toString());
    }

    private static String read(String path) throws IOException {
        return Files.readString(Path.of(path)).trim();
    }

    @BeforeEach
    void recordHost() throws IOException {
        Fixtures.testLayer();
        before = hostState();
    }

    @AfterEach
    void hostIsUnchanged() throws IOException {
        assertThat(hostState()).as("the host after the attempt").isEqualTo(before);
    }

    /** Runs mdk-probe in a container built from {@code b}; returns its output (one line per step). */
    private static String probe(Container.Builder b, String... args) {
        List<String> cmd = new ArrayList<>(List.of(PROBE));
        cmd.addAll(List.of(args));
        ExecResult r = b.run(cmd.toArray(String[]::new));
        assertThat(r.exitCode()).as("mdk-probe %s: %s%s", String.join(" ", args), r.stdout(), r.stderr()).isBetween(0, 1);
        return r.stdout();
    }

    private static String probe(String... args) {
        return probe(Fixtures.probeContainer(), args);
    }

    private static Container.Builder with(Capability... caps) {
        return Fixtures.probeContainer().capAdd(caps);
    }

    private static Container.Builder unconfined() {
        return Fixtures.probeContainer().seccomp(SeccompProfile.unconfined());
    }

    private static Container.Builder privileged() {
        return Fixtures.probeContainer().privileged(true);
    }

    private static String hostNamespace(String ns) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns", ns)).toString();
    }

    @Test
    @DisplayName("mount and umount: a new mount could cover or expose any path; a umount could reveal what a mask hides")
    void mountAndUmount() {
        assertThat(probe("mount")).isEqualTo("mount(tmpfs): EPERM (Operation not permitted)\n");
        assertThat(probe("umount")).isEqualTo("umount2(/dev/mqueue): EPERM (Operation not permitted)\n");
        assertThat(probe(with(Capability.SYS_ADMIN), "mount")).isEqualTo("mount(tmpfs): ok\n");
        assertThat(probe(with(Capability.SYS_ADMIN), "umount")).isEqualTo("umount2(/dev/mqueue): ok\n");
    }

    @Test
    @DisplayName("unshare of a user namespace: root there holds every capability, the first step of many escapes")
    void unshareUserNamespace() {
        assertThat(probe("unshare-user")).isEqualTo("unshare(CLONE_NEWUSER): EPERM (Operation not permitted)\n");
        assertThat(probe(unconfined(), "unshare-user")).isEqualTo("unshare(CLONE_NEWUSER): ok\n");
    }

    @Test
    @DisplayName("unshare of a mount namespace: private mounts out of the runtime's sight")
    void unshareMountNamespace() {
        assertThat(probe("unshare-mount")).isEqualTo("unshare(CLONE_NEWNS): EPERM (Operation not permitted)\n");
        assertThat(probe(with(Capability.SYS_ADMIN), "unshare-mount")).isEqualTo("unshare(CLONE_NEWNS): ok\n");
    }

    @Test
    @DisplayName("setns into the host's namespace, even when its /proc file is in reach")
    void setnsToHostNamespace() {
        // the host's UTS namespace file, bound into the container as an attacker might find it
        Path hostUts = Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "ns", "uts");
        assertThat(probe(Fixtures.probeContainer().bindReadOnly(hostUts, "/host-uts"), "setns", "/host-uts"))
                .isEqualTo("setns: EPERM (Operation not permitted)\n");
        assertThat(probe("setns", "/proc/self/ns/uts")).isEqualTo("setns: EPERM (Operation not permitted)\n");
        // pid 1 (mdocker-init) is not dumpable: even its namespace files are out of reach
        assertThat(probe("setns", "/proc/1/ns/uts")).isEqualTo("open: EACCES (Permission denied)\n");
        // the container's own namespace: with CAP_SYS_ADMIN the call is allowed
        assertThat(probe(with(Capability.SYS_ADMIN), "setns", "/proc/self/ns/uts")).isEqualTo("setns: ok\n");
    }

    @Test
    @DisplayName("pivot_root: another root, with the runtime's view of the container lost")
    void pivotRoot() {
        assertThat(probe("pivot-root")).isEqualTo("pivot_root(., .): EPERM (Operation not permitted)\n");
    }

    @Test
    @DisplayName("reboot: in a proven PID namespace, where even success only ends the container")
    void reboot() throws IOException {
        String hostPid = hostNamespace("pid");
        assertThat(probe("reboot", hostPid)).isEqualTo("reboot(CAD_OFF): EPERM (Operation not permitted)\n");
        // with CAP_SYS_BOOT the call passes the gate and the child PID namespace answers EINVAL
        assertThat(probe(with(Capability.SYS_BOOT), "reboot", hostPid))
                .isEqualTo("reboot(CAD_OFF): EINVAL (Invalid argument)\n");
    }

    @Test
    @DisplayName("kernel modules: code in the host kernel (an invalid image; the kernel here may lack modules)")
    void moduleLoading() {
        assertThat(probe("init-module")).isEqualTo("init_module: EPERM (Operation not permitted)\n");
        assertThat(probe("delete-module")).isEqualTo("delete_module: EPERM (Operation not permitted)\n");
        // with CAP_SYS_MODULE the kernel itself answers: no such module / no module support
        assertThat(probe(with(Capability.SYS_MODULE), "delete-module")).doesNotContain("EPERM").containsAnyOf("ENOENT", "ENOSYS");
        assertThat(probe(with(Capability.SYS_MODULE), "init-module")).doesNotContain("EPERM").containsAnyOf("ENOEXEC", "ENOSYS", "EINVAL");
    }

    @Test
    @DisplayName("device nodes made with mknod: the host's disk, the kernel log; mknod is allowed (as in Docker), opening is not")
    void devicesThroughMknod() throws IOException {
        assertThat(DevicesCgroupV1.mountPoint()).as("a cgroup v1 devices hierarchy (this host is hybrid)").isPresent();
        String[] disk = hostDisk();
        assertThat(probe("mknod-open", "b", disk[0], disk[1])).isEqualTo("mknod: ok\nopen: EPERM (Operation not permitted)\n");
        assertThat(probe("mknod-open", "c", "1", "11")).as("/dev/kmsg").isEqualTo("mknod: ok\nopen: EPERM (Operation not permitted)\n");
        assertThat(probe(Fixtures.probeContainer().capDrop(Capability.MKNOD), "mknod-open", "b", disk[0], disk[1]))
                .isEqualTo("mknod: EPERM (Operation not permitted)\n");
        // privileged: no device rules (opened read-only, never read). Block devices are left out here:
        // some sandboxes refuse them to the host itself.
        assertThat(probe(privileged(), "mknod-open", "c", "1", "11")).isEqualTo("mknod: ok\nopen: ok\n");
        // the container's devices cgroup, seen from the host (inside, its cgroup namespace shows "/")
        try (RunningContainer c = Fixtures.container().start("/bin/sleep", "60")) {
            Path cgroup = DevicesCgroupV1.mountPoint().orElseThrow().resolve("mdocker").resolve(c.id());
            assertThat(Files.readAllLines(cgroup.resolve("cgroup.procs"))).contains(Integer.toString(c.pid()));
            assertThat(Files.readAllLines(cgroup.resolve("devices.list")))
                    .containsExactlyInAnyOrderElementsOf(DevicesCgroupV1.RULES);
        }
    }

    /** The first real disk of /proc/partitions (major, minor). */
    private static String[] hostDisk() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/partitions"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4 && f[0].matches("\\d+") && !f[3].matches("(loop|ram|zram).*")) {
                return new String[] {f[0], f[1]};
            }
        }
        return new String[] {"8", "0"};
    }

    @Test
    @DisplayName("/proc/sys/kernel/* and /proc/sysrq-trigger: host-wide knobs and a host reboot (opened, never written)")
    void procSysAndSysrq() {
        assertThat(probe("open-write", "/proc/sys/kernel/panic")).isEqualTo("open-write: EROFS (Read-only file system)\n");
        assertThat(probe("open-write", "/proc/sysrq-trigger")).as("read-only, or absent (no CONFIG_MAGIC_SYSRQ)")
                .isIn("open-write: EROFS (Read-only file system)\n", "open-write: ENOENT (No such file or directory)\n");
        assertThat(probe("open-write", "/sys/kernel/profiling")).isEqualTo("open-write: EROFS (Read-only file system)\n");
        assertThat(probe(privileged(), "open-write", "/proc/sys/kernel/panic")).isEqualTo("open-write: ok\n");
    }

    @Test
    @DisplayName("a read-only bind is read-only all the way down (Docker 25's ro): a mount below it, as /proc/sys below -v /:/h:ro, stays read-only")
    void readOnlyBindIsRecursive() throws Exception {
        // a directory of the test's own with a tmpfs of its own below it (never the host's /proc)
        Path dir = Files.createTempDirectory("mdk-escape-rbind");
        Path sub = Files.createDirectory(dir.resolve("sub"));
        hostCommand("mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "mdk-escape-rbind", sub.toString());
        try {
            String erofs = "create: EROFS (Read-only file system)\n";
            Container.Builder ro = Fixtures.probeContainer().bindReadOnly(dir, "/mdk-probe-rw");
            assertThat(probe(ro, "create", "/mdk-probe-rw/top")).isEqualTo(erofs);
            assertThat(probe(ro, "create", "/mdk-probe-rw/sub/below")).as("the tmpfs below the bind").isEqualTo(erofs);
            Container.Builder rro = Fixtures.probeContainer().bind(BindMount.parse(dir + ":/mdk-probe-rw:rro"));
            assertThat(probe(rro, "create", "/mdk-probe-rw/sub/below")).isEqualTo(erofs);
            // the counterpart: ro-non-recursive makes the top read-only and leaves the tmpfs below writable
            Container.Builder flat = Fixtures.probeContainer().bind(BindMount.parse(dir + ":/mdk-probe-rw:ro-non-recursive"));
            assertThat(probe(flat, "create", "/mdk-probe-rw/top")).isEqualTo(erofs);
            assertThat(probe(flat, "create", "/mdk-probe-rw/sub/below")).isEqualTo("create: ok\n");
            assertThat(probe(Fixtures.probeContainer().bind(dir, "/mdk-probe-rw"), "create", "/mdk-probe-rw/top"))
                    .isEqualTo("create: ok\n");
            // the case: the host's root read-only, its /proc/sys with it (opened for writing, never written)
            assertThat(probe(Fixtures.probeContainer().bindReadOnly(Path.of("/"), "/h"), "open-write", "/h/proc/sys/kernel/panic"))
                    .isEqualTo("open-write: EROFS (Read-only file system)\n");
        } finally {
            hostCommand("umount", sub.toString());
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Test
    @DisplayName("a bind or tmpfs onto the container's /proc or /dev through a symlink of the image: refused before the command runs")
    void mountOverProcThroughASymlink() throws IOException {
        Path dir = Files.createTempDirectory("mdk-escape-proclink");
        try {
            Path toProc = Files.createSymbolicLink(dir.resolve("to-proc"), Path.of("/proc"));
            Path toDev = Files.createSymbolicLink(dir.resolve("to-dev"), Path.of("/dev"));
            Path toMnt = Files.createSymbolicLink(dir.resolve("to-mnt"), Path.of("/mnt"));
            assertThatThrownBy(() -> Fixtures.probeContainer().copyIn(toProc, "/p").bind(dir, "/p").run(PROBE, "fds"))
                    .isInstanceOf(ContainerException.class).hasMessageContaining("mount over /proc (target /p)");
            assertThatThrownBy(() -> Fixtures.probeContainer().copyIn(toProc, "/p").tmpfs("/p").run(PROBE, "fds"))
                    .isInstanceOf(ContainerException.class).hasMessageContaining("mount over /proc (target /p)");
            assertThatThrownBy(() -> Fixtures.probeContainer().copyIn(toDev, "/d").tmpfs("/d").run(PROBE, "fds"))
                    .isInstanceOf(ContainerException.class).hasMessageContaining("mount over /dev (target /d)");
            // the counterpart: the same through a symlink to an ordinary directory mounts
            assertThat(probe(Fixtures.probeContainer().copyIn(toMnt, "/m").bind(dir, "/m"), "fds")).isEqualTo("fds: 0,1,2\n");
            assertThat(probe(Fixtures.probeContainer().copyIn(toDev, "/d").bind(dir, "/d"), "fds")).as("a bind on /dev is allowed")
                    .isEqualTo("fds: 0,1,2\n");
        } finally {
            try (var paths = Files.walk(dir)) {
                for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static void hostCommand(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    @Test
    @DisplayName("/proc/kcore and /proc/keys: kernel memory and the host's keys")
    void kcoreAndKeys() {
        String kcore = probe("read", "/proc/kcore");
        assertThat(kcore).as("masked, or absent on this kernel").isIn("read: 0 bytes\n", "open: ENOENT (No such file or directory)\n");
        assertThat(probe("read", "/proc/keys")).isEqualTo("read: 0 bytes\n");
        assertThat(probe("read", "/proc/timer_list")).isEqualTo("read: 0 bytes\n");
        assertThat(probe(privileged(), "read", "/proc/timer_list")).isNotEqualTo("read: 0 bytes\n").startsWith("read: ");
    }

    @Test
    @DisplayName("host processes and the host's root through /proc/1/root")
    void hostProcessesAndRoot() throws IOException {
        Path marker = Files.createTempFile("mdk-escape-marker", "");
        try {
            String jvm = Long.toString(ProcessHandle.current().pid());
            assertThat(probe("read", "/proc/" + jvm + "/comm")).as("the JVM's pid").doesNotContain("java");
            // pid 1 is mdocker-init in the container, not dumpable: its root and exe are out of reach
            assertThat(probe("read", "/proc/1/root" + marker)).startsWith("open: E").doesNotContain("ok");
            assertThat(probe(Fixtures.probeContainer().init(false), "read", "/proc/1/root" + marker))
                    .isEqualTo("open: ENOENT (No such file or directory)\n");
        } finally {
            Files.delete(marker);
        }
    }

    @Test
    @DisplayName("cgroup v1 release_agent (CVE-2022-0492): a user namespace, a cgroup mount, a host-run program")
    void releaseAgent() {
        assertThat(probe("release-agent")).isEqualTo("unshare(user|mount|cgroup): EPERM (Operation not permitted)\n");
        // without seccomp the user namespace comes, but the kernel refuses the v1 mount in it
        assertThat(probe(unconfined(), "release-agent"))
                .startsWith("unshare(user|mount|cgroup): ok\nmount(cgroup rdma): E").doesNotContain("release_agent): ok");
    }

    @Test
    @DisplayName("/proc/<pid>/exe opened for writing (CVE-2019-5736): rewriting the runtime's binary")
    void procExeForWriting() {
        assertThat(probe("open-write", "/proc/1/exe")).startsWith("open-write: E").doesNotContain(": ok");
        // the command itself as pid 1: its binary is busy
        assertThat(probe(Fixtures.probeContainer().init(false), "open-write", "/proc/self/exe"))
                .isEqualTo("open-write: ETXTBSY (Text file busy)\n");
    }

    @Test
    @DisplayName("keyctl and add_key: the kernel keyring is not namespaced")
    void keyring() {
        assertThat(probe("keyctl")).isEqualTo("keyctl(GET_KEYRING_ID): EPERM (Operation not permitted)\n");
        assertThat(probe("add-key")).isEqualTo("add_key: EPERM (Operation not permitted)\n");
        assertThat(probe(unconfined(), "keyctl")).isEqualTo("keyctl(GET_KEYRING_ID): ok\n");
    }

    @Test
    @DisplayName("bpf: programs and maps in the host kernel")
    void bpf() {
        assertThat(probe("bpf")).isEqualTo("bpf(BPF_MAP_CREATE): EPERM (Operation not permitted)\n");
        assertThat(probe(unconfined(), "bpf")).as("no CAP_BPF: the kernel refuses too").contains("EPERM");
        assertThat(probe(privileged(), "bpf")).isEqualTo("bpf(BPF_MAP_CREATE): ok\n");
    }

    @Test
    @DisplayName("perf_event_open: host-wide observation, a history of kernel bugs")
    void perfEventOpen() {
        assertThat(probe("perf")).isEqualTo("perf_event_open: EPERM (Operation not permitted)\n");
        assertThat(probe(privileged(), "perf")).isEqualTo("perf_event_open: ok\n");
    }

    @Test
    @DisplayName("open_by_handle_at (the 'shocker' escape): files of the host's filesystem by inode")
    void openByHandle() {
        assertThat(probe("open-by-handle")).isEqualTo("open_by_handle_at: EPERM (Operation not permitted)\n");
        assertThat(probe(with(Capability.DAC_READ_SEARCH), "open-by-handle")).isEqualTo("open_by_handle_at: ok\n");
    }

    @Test
    @DisplayName("the host's hostname, attempted only in a proven UTS namespace")
    void hostname() throws IOException {
        String hostUts = hostNamespace("uts");
        assertThat(probe("sethostname", hostUts)).isEqualTo("sethostname: EPERM (Operation not permitted)\n");
        assertThat(probe(with(Capability.SYS_ADMIN), "sethostname", hostUts)).isEqualTo("sethostname: ok\n");
    }

    @Test
    @DisplayName("the host's clock (set to the time just read)")
    void clock() {
        assertThat(probe("settime")).isEqualTo("clock_settime: EPERM (Operation not permitted)\n");
        assertThat(probe(with(Capability.SYS_TIME), "settime")).isEqualTo("clock_settime: ok\n");
    }

    @Test
    @DisplayName("an rlimit above its hard limit: resource limits the runtime set would mean nothing")
    void rlimitAboveHardLimit() throws IOException {
        Container.Builder limited = Fixtures.probeContainer().ulimit("nofile=1024:2048");
        assertThat(probe(limited, "rlimit-raise"))
                .isEqualTo("nofile: 1024:2048\nsetrlimit(nofile, hard + 1): EPERM (Operation not permitted)\n");
        // setrlimit itself is allowed: lowering works
        assertThat(probe(limited, "rlimit-lower")).isEqualTo("setrlimit(nofile, hard - 1): ok\n");
        if (runtimeHolds(Capability.SYS_RESOURCE)) {
            assertThat(probe(limited.capAdd(Capability.SYS_RESOURCE), "rlimit-raise"))
                    .isEqualTo("nofile: 1024:2048\nsetrlimit(nofile, hard + 1): ok\n");
        } else { // a sandbox without CAP_SYS_RESOURCE: asking for it fails loudly, naming it
            assertThatThrownBy(() -> limited.capAdd(Capability.SYS_RESOURCE).run(PROBE, "rlimit-raise"))
                    .isInstanceOf(ContainerException.class).hasMessageContaining("0x1000000 asked for");
        }
    }

    /** Whether this JVM (and so mdocker-init) holds {@code cap} in its permitted set. */
    private static boolean runtimeHolds(Capability cap) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapPrm:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << cap.number())) != 0;
            }
        }
        return false;
    }

    @Test
    @DisplayName("a setuid-root binary run by a user under no_new_privs")
    void setuidUnderNoNewPrivs() {
        Container.Builder user = Fixtures.probeContainer().user(1000, 1000).groupAdd(Fixtures.SUID_GROUP);
        assertThat(user.run("/usr/local/bin/mdk-suid-id").stdout()).isEqualTo("uid=1000 euid=1000\n");
        // without no_new_privs the setuid bit works (and seccomp is installed before setuid)
        assertThat(user.noNewPrivileges(false).run("/usr/local/bin/mdk-suid-id").stdout()).isEqualTo("uid=1000 euid=0\n");
    }

    @Test
    @DisplayName("a host file descriptor: open files of the JVM must never reach the container")
    void hostDescriptors() throws IOException {
        Path secret = Files.createTempFile("mdk-escape-fd", "");
        try (FileChannel open = FileChannel.open(secret, StandardOpenOption.READ)) {
            assertThat(open.isOpen()).isTrue();
            assertThat(probe("fds")).isEqualTo("fds: 0,1,2\n");
            assertThat(probe(Fixtures.probeContainer().init(false), "fds")).isEqualTo("fds: 0,1,2\n");
            assertThat(probe(privileged(), "fds")).isEqualTo("fds: 0,1,2\n");
        } finally {
            Files.delete(secret);
        }
    }

    /** What the issue (and Docker's profile) blocks; x86_64 names. */
    private static final List<String> BLOCKED = List.of("mount", "umount2", "pivot_root", "unshare", "setns", "reboot",
            "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf", "perf_event_open",
            "userfaultfd", "open_by_handle_at", "keyctl", "add_key", "request_key", "clock_settime", "settimeofday",
            "swapon", "swapoff", "acct", "iopl", "ioperm", "lookup_dcookie", "quotactl", "syslog", "vhangup", "uselib",
            "ustat", "sysfs", "nfsservctl", "get_kernel_syms", "create_module", "query_module", "move_pages", "mbind",
            "set_mempolicy", "get_mempolicy", "fanotify_init", "sethostname", "setdomainname", "fsopen", "fsmount",
            "open_tree", "move_mount", "kcmp", "process_madvise", "pidfd_getfd", "io_uring_setup", "io_uring_enter",
            "io_uring_register");

    @Test
    @DisplayName("Docker's blocked set: every call answered by the filter itself, not the kernel")
    void dockersBlockedSet() throws IOException {
        // The default profile with another errno (ENOTBLK), so that an answer from the filter
        // cannot be mistaken for the kernel's own EPERM.
        SeccompProfile marked = SeccompProfile.dockerDefault().toBuilder()
                .defaultAction(SeccompProfile.Action.errno(15)).build();
        List<String> args = new ArrayList<>(List.of("syscalls"));
        List<String> expected = new ArrayList<>();
        for (String name : BLOCKED) {
            int nr = syscallNumber(name);
            if (nr >= 0) {
                args.add(Integer.toString(nr));
                expected.add("syscall(" + nr + "): ENOTBLK (Block device required)");
            }
        }
        assertThat(expected).as("blocked calls this libseccomp knows").hasSizeGreaterThan(40);
        String out = probe(Fixtures.probeContainer().seccomp(marked), args.toArray(String[]::new));
        assertThat(out.lines().toList()).as(BLOCKED.toString()).isEqualTo(expected);
        // and an allowed call gets through the same filter
        assertThat(probe(Fixtures.probeContainer().seccomp(marked), "syscalls", Integer.toString(syscallNumber("getppid"))))
                .isEqualTo("syscall(" + syscallNumber("getppid") + "): ok\n");
    }

    @Test
    @DisplayName("io_uring: its operations bypass seccomp, and it has been a steady source of kernel escapes (Docker 25, moby#46762)")
    void ioUring() {
        assertThat(probe("io-uring")).isEqualTo("io_uring_setup: EPERM (Operation not permitted)\n");
        // the counterpart: without the filter the kernel sets the ring up (or has no io_uring at all)
        assertThat(probe(unconfined(), "io-uring")).isIn("io_uring_setup: ok\n", "io_uring_setup: ENOSYS (Function not implemented)\n");
    }

    private static int syscallNumber(String name) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            return io.mdocker.bindings.seccomp.Seccomp.seccomp_syscall_resolve_name(arena.allocateFrom(name));
        }
    }

    @Test
    @DisplayName("the default capability, no_new_privs and seccomp state of the command and of pid 1")
    void processSecurityState() throws IOException {
        ExecResult r = Fixtures.container().run("/bin/sh", "-c",
                "grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status; echo pid1; grep -E '^(CapEff|CapPrm|NoNewPrivs|Seccomp:)' /proc/1/status");
        Map<String, String> self = new TreeMap<>();
        Map<String, String> pid1 = new TreeMap<>();
        Map<String, String> into = self;
        for (String line : r.stdout().split("\n")) {
            if (line.equals("pid1")) {
                into = pid1;
                continue;
            }
            String[] kv = line.split(":\\s*", 2);
            into.put(kv[0], kv[1].trim());
        }
        String docker14 = String.format("%016x", 0xa80425fbL); // Docker's 14 capabilities
        assertThat(self).containsEntry("CapBnd", docker14).containsEntry("CapEff", docker14)
                .containsEntry("CapPrm", docker14).containsEntry("CapInh", "0000000000000000")
                .containsEntry("CapAmb", "0000000000000000").containsEntry("NoNewPrivs", "1").containsEntry("Seccomp", "2");
        assertThat(pid1).as("pid 1 after the command's exec: CAP_KILL only, no filter")
                .containsEntry("CapEff", "0000000000000020").containsEntry("CapPrm", "0000000000000020")
                .containsEntry("NoNewPrivs", "1").containsEntry("Seccomp", "0");
        ExecResult user = Fixtures.container().user(1000, 1000).run("/bin/sh", "-c", "grep -E '^Cap(Eff|Prm)' /proc/self/status");
        assertThat(user.stdout()).isEqualTo("CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n");
        ExecResult priv = Fixtures.container().privileged(true).run("/bin/sh", "-c", "grep -E '^(CapEff|Seccomp):' /proc/self/status");
        String runtime = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapPrm:"))
                .map(l -> l.substring(7).trim()).findFirst().orElseThrow();
        assertThat(priv.stdout()).as("privileged: every capability this runtime holds, no filter")
                .isEqualTo("CapEff:\t" + runtime + "\nSeccomp:\t0\n");
    }

    // Issue 17, item 2: the caller's stdio. A child JVM with inheritIO() stands for the CLI.

    /** Runs {@code command} in a container started by a child JVM whose stdio {@code redirections} (sh syntax) set. */
    private static String[] inheritChild(String redirections, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" " + redirections, "sh"));
        cmd.addAll(InheritChild.command(Fixtures.rootfs(), Fixtures.RUNTIME, command));
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        return new String[] {Integer.toString(p.waitFor()), out, err};
    }

    @Test
    @DisplayName("stdin a host directory: refused, the container never gets it as /proc/self/fd/0")
    void aDirectoryAsStdinIsRefused() throws Exception {
        Path dir = Files.createTempDirectory("mdk-stdin-dir");
        try {
            Files.writeString(dir.resolve("secret"), "host-secret\n");
            String[] r = inheritChild("< " + dir, "/bin/sh", "-c", "cd /proc/self/fd/0 && cat secret; touch planted");
            assertThat(r[1]).as("what the container read").doesNotContain("host-secret");
            assertThat(dir.resolve("planted")).as("a file the container made through its stdin").doesNotExist();
            assertThat(r[0]).isEqualTo("125");
            assertThat(r[2].strip()).startsWith("error: stdin is a directory: an inherited stream must be a pipe")
                    .doesNotContain("\n");
            // counterpart: a pipe as stdin is passed, and reads as ever
            String[] piped = inheritChild("< /dev/null", "/bin/sh", "-c", "ls -l /proc/self/fd/0 | grep -c /dev/null");
            assertThat(piped[1].strip()).as(piped[2]).isEqualTo("1");
            Process p = new ProcessBuilder(InheritChild.command(Fixtures.rootfs(), Fixtures.RUNTIME, "/bin/cat")).start();
            p.getOutputStream().write("hi\n".getBytes());
            p.getOutputStream().close();
            assertThat(new String(p.getInputStream().readAllBytes())).isEqualTo("hi\n");
            assertThat(p.waitFor()).isZero();
        } finally {
            try (var s = Files.list(dir)) {
                for (Path f : s.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    @DisplayName("stdout and stderr to a host file: relayed through pipes, the file cannot be reopened from inside")
    void aFileAsStdoutIsRelayedNotPassed() throws Exception {
        Path out = Files.createTempFile("mdk-stdout", ".txt");
        Path err = Files.createTempFile("mdk-stderr", ".txt");
        try {
            String[] r = inheritChild("> " + out + " 2> " + err, "/bin/sh", "-c",
                    "echo hi; readlink /proc/self/fd/1; echo oops >&2; readlink /proc/self/fd/2 >&2; "
                            + "test -f /proc/self/fd/1 && echo a-host-file-here; true");
            assertThat(r[0]).isEqualTo("0");
            List<String> lines = Files.readString(out).lines().toList();
            assertThat(lines.get(0)).isEqualTo("hi");
            assertThat(lines.get(1)).as("the container's fd 1").startsWith("pipe:[");
            assertThat(Files.readString(out)).doesNotContain(out.toString()).doesNotContain("a-host-file-here");
            List<String> errLines = Files.readString(err).lines().toList();
            assertThat(errLines.get(0)).isEqualTo("oops");
            assertThat(errLines.get(1)).as("the container's fd 2").startsWith("pipe:[");
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
