package io.mdocker.internal.process;

import io.mdocker.ContainerException;
import io.mdocker.internal.RootlessSupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The decisions of a rootless start on fake /etc and /proc/sys trees: which id maps, and which
 * one-line refusals (RootlessTest runs the real thing as an unprivileged user).
 */
class UserNamespaceTest {
    @TempDir
    Path fake;

    private Path etc(String subuid, String subgid) throws Exception {
        Path etc = Files.createDirectories(fake.resolve("etc"));
        Files.writeString(etc.resolve("subuid"), subuid);
        Files.writeString(etc.resolve("subgid"), subgid);
        return etc;
    }

    private Path bin(String... tools) throws Exception {
        Path bin = Files.createDirectories(fake.resolve("bin"));
        for (String t : tools) {
            Path p = Files.writeString(bin.resolve(t), "#!/bin/sh\n");
            p.toFile().setExecutable(true);
        }
        return bin;
    }

    @Test
    void theUsersRangeByNameOrUidIsMappedAfterItsOwnId() throws Exception {
        Path etc = etc("other:100000:65536\nalice:200000:65536\n", "1001:300000:1000\n");
        UserNamespace.IdMaps m = UserNamespace.read(etc, "alice", 1001, 1001, List.of(bin("newuidmap", "newgidmap")));
        assertThat(m.single()).isFalse();
        assertThat(m.subUids()).contains(new UserNamespace.Range(200000, 65536));
        assertThat(m.subGids()).contains(new UserNamespace.Range(300000, 1000));
        assertThat(m.maxUid()).isEqualTo(65536);
        assertThat(m.maxGid()).isEqualTo(1000);
        assertThat(m.describe()).isEqualTo("uid 1001 as 0 and 1-65536 as 200000-265535");
    }

    @Test
    void theRemapRangeIsTheNamedUsersAndItsAbsenceIsRefusedNamingTheLineToAdd() throws Exception {
        Path etc = etc("other:100000:65536\ndockremap:300000:1000\n", "dockremap:400000:2000\n");
        UserNamespace.Remap r = UserNamespace.remap(etc, "dockremap");
        assertThat(r.uids()).isEqualTo(new UserNamespace.Range(300000, 1000));
        assertThat(r.gids()).isEqualTo(new UserNamespace.Range(400000, 2000));
        assertThatThrownBy(() -> UserNamespace.remap(etc, "other"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("userns needs a subordinate range for user other in " + etc.resolve("subgid")
                        + ": add a line such as other:165536:65536 to " + etc.resolve("subuid") + " and "
                        + etc.resolve("subgid") + " (or name another user with -Dmdocker.userns.user=NAME)");
        assertThatThrownBy(() -> UserNamespace.remap(etc, "a:b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("-Dmdocker.userns.user=a:b is not a user name");
    }

    @Test
    void withoutARangeOnlyTheUserIsMapped() throws Exception {
        Path etc = etc("other:100000:65536\nbroken:line\nalice:x:5\n", "");
        UserNamespace.IdMaps m = UserNamespace.read(etc, "alice", 1001, 1002, List.of(bin()));
        assertThat(m.single()).isTrue();
        assertThat(m.maxUid()).isZero();
        assertThat(m.describe()).isEqualTo("uid 1001 and gid 1002 as 0 (no subordinate ids)");
    }

    @Test
    void rangesWithoutNewuidmapAreRefusedInOneLineNamingThePackage() throws Exception {
        Path etc = etc("alice:200000:65536\n", "alice:200000:65536\n");
        assertThatThrownBy(() -> UserNamespace.read(etc, "alice", 1001, 1001, List.of(bin("newgidmap"))))
                .isInstanceOf(ContainerException.class)
                .hasMessage("user alice has subordinate ids in " + etc.resolve("subuid") + " and " + etc.resolve("subgid")
                        + ", but newuidmap is missing: install it (Debian: apt-get install uidmap), or remove the ranges "
                        + "for a single mapping");
    }

    @Test
    void eachKernelSettingThatForbidsUnprivilegedUserNamespacesIsNamedWithItsFix() throws Exception {
        Path sys = Files.createDirectories(fake.resolve("sys"));
        Files.createDirectories(sys.resolve("kernel"));
        Files.createDirectories(sys.resolve("user"));
        Files.writeString(sys.resolve("kernel/osrelease"), "6.1.0\n");
        assertThat(RootlessSupport.unavailable(sys)).isEmpty();
        Files.writeString(sys.resolve("user/max_user_namespaces"), "0\n");
        assertThat(RootlessSupport.unavailable(sys)).isEqualTo(Optional.of("user namespaces are disabled "
                + "(user.max_user_namespaces=0): as root, sysctl -w user.max_user_namespaces=15000, or run as root"));
        Files.writeString(sys.resolve("user/max_user_namespaces"), "100\n");
        Files.writeString(sys.resolve("kernel/unprivileged_userns_clone"), "0\n");
        assertThat(RootlessSupport.unavailable(sys).orElseThrow()).startsWith("unprivileged user namespaces are disabled "
                + "(kernel.unprivileged_userns_clone=0)").contains("sysctl -w kernel.unprivileged_userns_clone=1");
        Files.writeString(sys.resolve("kernel/unprivileged_userns_clone"), "1\n");
        Files.writeString(sys.resolve("kernel/apparmor_restrict_unprivileged_userns"), "1\n");
        assertThat(RootlessSupport.unavailable(sys).orElseThrow()).contains("kernel.apparmor_restrict_unprivileged_userns=1")
                .contains("'userns,'");
        Files.writeString(sys.resolve("kernel/apparmor_restrict_unprivileged_userns"), "0\n");
        Files.writeString(sys.resolve("kernel/osrelease"), "5.10.0-28-amd64\n");
        assertThat(RootlessSupport.unavailable(sys).orElseThrow()).isEqualTo("overlay in a user namespace needs Linux 5.11 "
                + "or later (userxattr), this kernel is 5.10.0-28-amd64: run as root");
    }
}
