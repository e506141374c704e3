package io.mdocker;

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
    void malformedOrMissingBinds() {
        assertThatThrownBy(() -> BindMount.parse("onlyone")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid volume 'onlyone': expected HOST:CONTAINER[:ro|:rw]");
        assertThatThrownBy(() -> BindMount.parse("/a:/b:rx")).hasMessageContaining("mode 'rx'");
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

    private static void assertNothingCreated() {
        assertThat(Fixtures.list(FRESH.libRoot().resolve("containers"))).isEmpty();
        assertThat(Fixtures.list(FRESH.runRoot().resolve("containers"))).isEmpty();
    }
}
