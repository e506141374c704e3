package io.mdocker;

import io.mdocker.testing.Fixtures;

import io.mdocker.internal.cgroup.CgroupLayout;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad input: a one-line error naming the value, before anything is created. */
class BadInputTest {

    private static final ContainerRuntime FRESH =
            ContainerRuntime.at(Fixtures.TARGET.resolve("bad-input/lib"), Fixtures.TARGET.resolve("bad-input/run"));

    private static Container.Builder fresh() {
        return Container.builder().rootfs(Fixtures.rootfs()).runtime(FRESH);
    }

    @Test
    void rootfsMissingOrNotADirectory() throws IOException {
        assertThatThrownBy(() -> Container.builder().rootfs(Path.of("/no/such/rootfs")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rootfs /no/such/rootfs does not exist: expected a directory holding the container's root filesystem");
        Path file = Files.createTempFile(Fixtures.TARGET, "notadir", "");
        assertThatThrownBy(() -> Container.builder().rootfs(file))
                .hasMessage("rootfs " + file + " is not a directory");
        assertThatThrownBy(() -> Container.builder().build()).hasMessageContaining("no rootfs");
        assertNothingCreated();
    }

    @Test
    void rootfsRemovedAfterBuildIsCaughtAtStart() throws IOException {
        Path dir = Files.createTempDirectory(Fixtures.TARGET, "gone");
        Container c = Container.builder().rootfs(dir).runtime(FRESH).build();
        Files.delete(dir);
        assertThatThrownBy(() -> c.run("/bin/true")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("rootfs " + dir + " does not exist");
        assertNothingCreated();
    }

    @Test
    void badSecuritySettings() {
        assertThatThrownBy(() -> fresh().capAdd("SYS_WIZARD")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown capability 'SYS_WIZARD': expected a name from capabilities(7) such as NET_ADMIN or CAP_SYS_TIME");
        assertThatThrownBy(() -> fresh().ulimit("nofile=2048:1024"))
                .hasMessage("invalid ulimit nofile=2048:1024: the soft limit is above the hard limit");
        assertThatThrownBy(() -> fresh().ulimit("files=1")).hasMessageStartingWith("unknown ulimit 'files': expected one of [");
        assertThatThrownBy(() -> fresh().ulimit("nofile")).hasMessageContaining("expected name=soft[:hard]");
        assertThatThrownBy(() -> fresh().tmpfs("tmp")).hasMessage("invalid tmpfs target 'tmp': expected an absolute path below /");
        assertThatThrownBy(() -> fresh().tmpfs("/tmp", "noexec,bogus")).hasMessageStartingWith("invalid tmpfs option 'bogus' for /tmp");
        assertThatThrownBy(() -> fresh().groupAdd(-1)).hasMessage("invalid supplementary group -1: expected a non-negative id");
        assertThatThrownBy(() -> SeccompProfile.Action.errno(70000)).hasMessageContaining("expected 0..65535");
        assertThatThrownBy(() -> SeccompProfile.Rule.of(SeccompProfile.Action.allow(), "Mount!"))
                .hasMessage("invalid syscall name 'Mount!' in a seccomp rule");
        assertNothingCreated();
    }

    @Test
    void capabilitySetsFollowDockersOrder() {
        assertThat(fresh().build().capabilities()).isEqualTo(Capability.dockerDefaults());
        assertThat(fresh().capDrop("ALL").capAdd("chown").build().capabilities()).containsExactly(Capability.CHOWN);
        assertThat(fresh().capAdd("ALL").capDrop("CAP_SYS_ADMIN").build().capabilities())
                .as("ALL: what mdocker holds").hasSize(io.mdocker.internal.security.SecurityPlan.held().size() - 1)
                .doesNotContain(Capability.SYS_ADMIN);
        assertThat(fresh().capAdd(Capability.NET_ADMIN).capDrop(Capability.NET_ADMIN).build().capabilities())
                .isEqualTo(Capability.dockerDefaults());
        assertThat(fresh().privileged(true).capDrop("ALL").build().capabilities())
                .isEqualTo(io.mdocker.internal.security.SecurityPlan.held());
        assertThat(fresh().privileged(true).build().seccomp().isUnconfined()).isTrue();
        Container c = fresh().capAdd("NET_ADMIN").ulimit("nofile=10:20").tmpfs("/run", "size=1m").groupAdd(5)
                .readOnlyRootfs(true).noNewPrivileges(false).build();
        assertThat(c.toBuilder().build()).usingRecursiveComparison().isEqualTo(c);
    }

    @Test
    void emptyCommand() {
        assertThatThrownBy(() -> fresh().run()).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("empty command: give the program to run in the container");
        assertThatThrownBy(() -> fresh().run("")).hasMessage("empty command: the program name is an empty string");
        assertNothingCreated();
    }

    @Test
    void malformedEnvironment() {
        assertThatThrownBy(() -> fresh().env("NOEQUALS")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid environment variable 'NOEQUALS': expected KEY=VALUE");
        assertThatThrownBy(() -> fresh().env("=v")).hasMessage("invalid environment variable '=v': expected KEY=VALUE");
        assertThatThrownBy(() -> fresh().env("A=B", "c")).hasMessageContaining("'A=B'");
        assertNothingCreated();
    }

    @Test
    void mountsOverProcOrDevAndEnvKeysWithSpacesAreRefused() {
        assertThatThrownBy(() -> fresh().bind(Path.of("/tmp"), "/proc"))
                .hasMessage("invalid bind target '/proc': /proc is the container's own proc file system and cannot be replaced");
        assertThatThrownBy(() -> fresh().bindReadOnly(Path.of("/tmp"), "/proc/../proc/")).hasMessageContaining("/proc is");
        assertThatThrownBy(() -> fresh().tmpfs("/proc")).hasMessageContaining("invalid tmpfs target '/proc'");
        assertThatThrownBy(() -> fresh().tmpfs("/dev", "size=1m"))
                .hasMessage("invalid tmpfs target '/dev': /dev is the container's own device directory and cannot be replaced");
        fresh().bind(Path.of("/tmp"), "/proc-like").tmpfs("/dev-like").tmpfs("/run"); // neighbours are fine
        for (String key : List.of("A B", "A\nB", "A\tB", "A\u001bB")) {
            assertThatThrownBy(() -> fresh().env(key, "1")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected a non-empty name without '=', spaces or control characters");
        }
        assertThatThrownBy(() -> fresh().env("A B=1")).hasMessageContaining("invalid environment variable name 'A B'");
        assertNothingCreated();
    }

    @Test
    void malformedOrMissingBinds() {
        assertThatThrownBy(() -> BindMount.parse("onlyone")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid volume 'onlyone': expected HOST:CONTAINER[:rw|:ro|:rro|:ro-non-recursive]");
        assertThatThrownBy(() -> BindMount.parse("/a:/b:rx")).hasMessageContaining("mode 'rx'");
        assertThat(BindMount.parse("/a:/b").access()).isEqualTo(BindMount.Access.READ_WRITE);
        assertThat(BindMount.parse("/a:/b:ro").access()).isEqualTo(BindMount.Access.READ_ONLY);
        assertThat(BindMount.parse("/a:/b:rro").access()).isEqualTo(BindMount.Access.READ_ONLY);
        assertThat(BindMount.parse("/a:/b:ro-non-recursive").access()).isEqualTo(BindMount.Access.READ_ONLY_NON_RECURSIVE);
        assertThatThrownBy(() -> fresh().bind(Path.of("/no/such/source"), "/data"))
                .hasMessage("bind source /no/such/source does not exist");
        assertThatThrownBy(() -> fresh().bind(Path.of("/tmp"), "relative"))
                .hasMessage("invalid bind target 'relative': expected an absolute path below /");
        assertNothingCreated();
    }

    @Test
    void invalidHostnameWorkdirUser() {
        for (String bad : List.of("-lead", "trail-", "has space", "under_score", "x".repeat(65), "")) {
            assertThatThrownBy(() -> fresh().hostname(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid hostname '" + bad + "'");
        }
        assertThatThrownBy(() -> fresh().workdir("rel")).hasMessage("invalid working directory 'rel': expected an absolute path");
        assertThatThrownBy(() -> fresh().user("bob")).hasMessage("invalid user 'bob': expected UID[:GID] with numeric ids");
        assertThatThrownBy(() -> fresh().user(-1, 0)).hasMessageStartingWith("invalid user -1:0");
        assertNothingCreated();
    }

    @Test
    void layerPathsOverlayCannotTake() throws IOException {
        Path odd = Files.createDirectories(Fixtures.TARGET.resolve("odd:name"));
        assertThatThrownBy(() -> Container.builder().rootfs(odd)).hasMessageContaining("contains ':'");
    }

    @Test
    void failedSetupLeavesNothing() {
        // A bind onto a path that cannot be made (below a regular file) fails inside the
        // container's setup, after state was created: all of it must be gone again.
        assertThatThrownBy(() -> fresh().bind(Path.of("/tmp"), "/etc/passwd/sub").run("/bin/true"))
                .isInstanceOf(ContainerException.class)
                .hasMessageContaining("/etc/passwd/sub");
        assertNothingCreated();
    }

    @Test
    void resourceLimitsOutOfRange() {
        int cpus = Runtime.getRuntime().availableProcessors();
        assertThatThrownBy(() -> fresh().memory(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid memory limit 0 bytes: expected at least 6 MiB");
        assertThatThrownBy(() -> fresh().memory(-1)).hasMessage("invalid memory limit -1 bytes: expected at least 6 MiB");
        assertThatThrownBy(() -> fresh().memory(DataSize.ofMiB(5)))
                .hasMessage("invalid memory limit 5242880 bytes (5 MiB): expected at least 6 MiB");
        assertThatThrownBy(() -> fresh().memory(DataSize.ofMiB(64)).memorySwap(DataSize.ofMiB(32)).build())
                .hasMessage("invalid memory+swap limit 33554432 bytes (32 MiB): expected at least the memory limit"
                        + " 67108864 bytes (64 MiB), or -1 for unlimited swap");
        assertThatThrownBy(() -> fresh().memorySwap(DataSize.ofMiB(64)).build())
                .hasMessage("memory+swap limit 67108864 bytes (64 MiB) needs a memory limit: set memory too");
        assertThatThrownBy(() -> fresh().memorySwap(-2)).hasMessageStartingWith("invalid memory+swap limit -2 bytes");
        assertThatThrownBy(() -> fresh().cpus(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid cpus 0.0: expected a number of CPUs from 0.01 to " + cpus + " (this host has " + cpus + " CPUs)");
        assertThatThrownBy(() -> fresh().cpus(-0.5)).hasMessageStartingWith("invalid cpus -0.5: expected");
        assertThatThrownBy(() -> fresh().cpus(Double.NaN)).hasMessageStartingWith("invalid cpus NaN: expected");
        assertThatThrownBy(() -> fresh().cpus(cpus + 1)).hasMessageStartingWith("invalid cpus " + (cpus + 1) + ".0: expected");
        assertThatThrownBy(() -> fresh().cpuShares(1)).hasMessage("invalid cpu shares 1: expected 2 to 262144 (default 1024)");
        assertThatThrownBy(() -> fresh().cpuWeight(10_001)).hasMessage("invalid cpu weight 10001: expected 1 to 10000 (default 100)");
        assertThatThrownBy(() -> fresh().cpusetCpus("64")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid cpuset '64': CPU 64 does not exist (this host has CPUs 0-" + (cpus - 1) + ")");
        for (String bad : List.of("", "0-", "a", "1-0", "0,,1", "-1")) {
            assertThatThrownBy(() -> fresh().cpusetCpus(bad))
                    .hasMessage("invalid cpuset '" + bad + "': expected a list of CPU numbers and ranges such as 0-2,4");
        }
        assertThatThrownBy(() -> fresh().cpusetMems("9")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid cpuset mems '9': memory node 9 does not exist (this host has memory nodes ");
        for (String bad : List.of("", "0-", "x", "1-0")) {
            assertThatThrownBy(() -> fresh().cpusetMems(bad))
                    .hasMessage("invalid cpuset mems '" + bad + "': expected a list of memory node numbers and ranges such as 0-2,4");
        }
        assertThatThrownBy(() -> fresh().pidsLimit(0)).hasMessage("invalid pids limit 0: expected a positive number of processes");
        assertThatThrownBy(() -> fresh().pidsLimit(-5)).hasMessage("invalid pids limit -5: expected a positive number of processes");
        for (String bad : List.of("", "../x", "a//b", "/a/./b", "a\nb")) {
            assertThatThrownBy(() -> fresh().cgroupParent(bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid cgroup parent '").hasMessageEndingWith(
                            "': expected a cgroup path such as /batch or batch/jobs, without empty, '.' or '..' names");
        }
        assertThatThrownBy(() -> DataSize.parse("64x")).hasMessage("invalid size '64x': expected a number with an optional unit b, k, m or g, such as 64m");
        assertThat(DataSize.parse("64m")).isEqualTo(DataSize.ofMiB(64));
        assertThat(DataSize.parse("1.5G").bytes()).isEqualTo(3L << 29);
        assertThat(DataSize.parse("512MiB")).isEqualTo(DataSize.ofMiB(512));
        assertThat(DataSize.parse("100")).isEqualTo(DataSize.ofBytes(100));
        assertThat(DataSize.ofMiB(64)).hasToString("64 MiB");
        assertNothingCreated();
    }

    @Test
    void validLimitsAreKeptAndDerivedCopiesKeepThem() {
        Container c = fresh().memory(DataSize.ofMiB(64)).memorySwap(-1).cpus(0.5).cpuWeight(200).cpusetCpus("0")
                .cpusetMems("0").pidsLimit(64).cgroupParent("/batch/").build();
        Resources r = c.resources();
        assertThat(r.memory()).hasValue(64L << 20);
        assertThat(r.memorySwap()).hasValue(Long.MAX_VALUE);
        assertThat(r.cpus()).hasValue(0.5);
        assertThat(r.cpuWeight()).hasValue(200);
        assertThat(r.cpuShares()).isEmpty();
        assertThat(r.cpusetCpus()).hasValue("0");
        assertThat(r.cpusetMems()).hasValue("0");
        assertThat(r.pidsLimit()).hasValue(64);
        assertThat(r.cgroupParent()).hasValue("/batch");
        assertThat(c.toBuilder().build().resources()).isSameAs(r);
        assertThat(fresh().build().resources().isUnlimited()).isTrue();
    }

    private static void assertNothingCreated() {
        ContainerRuntime.awaitCleanup(); // what earlier tests' run() left to the cleanup thread is gone
        assertThat(Fixtures.list(FRESH.libRoot().resolve("containers"))).isEmpty();
        assertThat(Fixtures.list(FRESH.runRoot().resolve("containers"))).isEmpty();
        // no cgroup either: the default parent (kept while the JVM lives) holds no container's
        CgroupLayout layout = CgroupLayout.host();
        for (String controller : CgroupLayout.MANAGED) {
            CgroupLayout.Hierarchy h = layout.v1(controller);
            if (h != null) {
                assertThat(Fixtures.list(h.resolve("mdocker"))).as(controller).noneMatch(Files::isDirectory);
            }
        }
        if (layout.unified() != null) {
            assertThat(Fixtures.list(layout.unified().resolve("/mdocker"))).noneMatch(Files::isDirectory);
        }
    }
}
