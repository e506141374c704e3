package io.mdocker.cli;

import io.mdocker.Capability;
import io.mdocker.SeccompProfile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CLI's security flags and its reader of Docker's seccomp JSON, with real containers. */
class SecurityOptionsTest {
    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final Path ROOTFS = MainTest.ROOTFS;
    static final Path STATE = TARGET.resolve("cli-state");

    @TempDir
    Path tmp;

    @BeforeAll
    static void prerequisites() {
        MainTest.prerequisites();
    }

    private static int run(String... args) {
        return Cli.run(args);
    }

    @Test
    void capabilityFlagsChangeTheSet() {
        // CAP_SYS_ADMIN is what sethostname needs; 1 = the command failed, as under Docker
        assertThat(run("hostname", "x")).isEqualTo(1);
        assertThat(run("--cap-add", "SYS_ADMIN", "hostname", "x")).isZero();
        assertThat(run("--cap-drop", "ALL", "--cap-add", "cap_chown", "sh", "-c",
                "grep -q '^CapEff:.0000000000000001$' /proc/self/status")).isZero();
        assertThat(run("--privileged", "sh", "-c", "grep -q '^Seccomp:.0$' /proc/self/status")).isZero();
        assertThat(run("--cap-add", "NO_SUCH_CAP", "true")).isEqualTo(Main.RUNTIME_ERROR);
    }

    /**
     * --device and --device-cgroup-rule (Docker's): the host's /dev/fuse (c 10:229, not a default
     * device) opens in the container with either, and not without (EPERM from the device cgroup);
     * read-only permissions refuse a write; bad values are one line, status 125, before anything runs.
     */
    @Test
    void deviceFlags() {
        assertThat(run("--device", "/dev/fuse", "sh", "-c", ": < /dev/fuse")).isZero();
        assertThat(run("--device", "/dev/fuse:/dev/fuse2:r", "sh", "-c", ": < /dev/fuse2 && ! (: > /dev/fuse2)")).isZero();
        assertThat(run("--device-cgroup-rule", "c 10:229 rwm", "sh", "-c", "mknod /dev/f c 10 229 && : < /dev/f")).isZero();
        assertThat(run("--device-cgroup-rule", "c 10:* rw", "sh", "-c", "mknod /dev/f c 10 229 && : < /dev/f")).isZero();
        // 4: the node was made and opening it failed with EPERM
        String eperm = "mknod /dev/f c 10 229 || exit 3; e=$( (: < /dev/f) 2>&1 ); case \"$e\" in *'not permitted'*) exit 4;; esac";
        assertThat(run("sh", "-c", eperm)).isEqualTo(4);
        assertThat(run("--device-cgroup-rule", "c 10:228 rwm", "sh", "-c", eperm)).isEqualTo(4);
        assertThat(run("--device-cgroup-rule", "c 10:229 rwm", "sh", "-c", eperm)).isZero();
        Cli.Out bad = Cli.captured(List.of("run", "--rootfs", ROOTFS.toString(), "--state-root", MainTest.STATE.toString(),
                "--network", "none", "--device-cgroup-rule", "c 10:229 rwz", "true"));
        assertThat(bad.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(bad.stderr().strip()).isEqualTo("mdocker: device rule 'c 10:229 rwz': access 'rwz' (expected one or more of r, w, m)");
        Cli.Out notADevice = Cli.captured(List.of("run", "--rootfs", ROOTFS.toString(), "--state-root", MainTest.STATE.toString(),
                "--network", "none", "--device", "/etc/hostname", "true"));
        assertThat(notADevice.status()).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(notADevice.stderr().strip()).isEqualTo("mdocker: device /etc/hostname is not a character or block device");
    }

    @Test
    void securityOptions() {
        assertThat(run("sh", "-c", "grep -q '^NoNewPrivs:.1$' /proc/self/status")).isZero();
        assertThat(run("--security-opt", "no-new-privileges=false", "sh", "-c",
                "grep -q '^NoNewPrivs:.0$' /proc/self/status")).isZero();
        assertThat(run("--security-opt", "seccomp=unconfined", "sh", "-c", "grep -q '^Seccomp:.0$' /proc/self/status")).isZero();
        assertThat(run("--security-opt", "apparmor=x", "true")).isEqualTo(Main.RUNTIME_ERROR);
    }

    @Test
    void readOnlyRootfsTmpfsAndUlimit() {
        assertThat(run("--read-only", "touch", "/x")).isEqualTo(1);
        assertThat(run("--read-only", "--tmpfs", "/scratch:size=1m", "sh", "-c",
                "touch /scratch/x && grep ' /scratch ' /proc/self/mountinfo | grep -q 'nosuid,nodev,noexec'")).isZero();
        assertThat(run("--ulimit", "nofile=100:200", "sh", "-c", "test $(ulimit -n) = 100 && test $(ulimit -Hn) = 200")).isZero();
        assertThat(run("--group-add", "4242", "sh", "-c", "id -G | grep -qw 4242")).isZero();
        assertThat(run("--ulimit", "nofile=300:200", "true")).isEqualTo(Main.RUNTIME_ERROR);
        assertThat(run("--tmpfs", "/t:bogus", "true")).isEqualTo(Main.RUNTIME_ERROR);
    }

    @Test
    void mountIsDockersLongFormOfBindsAndTmpfs() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Files.writeString(data.resolve("f"), "from the host\n");
        assertThat(run("--mount", "type=bind,source=" + data + ",target=/data", "sh", "-c",
                "grep -q 'from the host' /data/f && touch /data/made")).isZero();
        assertThat(data.resolve("made")).exists();
        assertThat(run("--mount", "type=bind,src=" + data + ",dst=/data,readonly", "sh", "-c",
                "grep -q 'from the host' /data/f && ! touch /data/x 2>/dev/null")).isZero();
        assertThat(run("--mount", "type=bind,source=" + data + ",target=/data,readonly=false,consistency=cached",
                "touch", "/data/y")).isZero();
        assertThat(run("--mount", "type=tmpfs,target=/scratch,tmpfs-size=1m,tmpfs-mode=1770", "sh", "-c",
                "grep ' /scratch ' /proc/self/mountinfo | grep -q 'size=1024k,mode=1770' && touch /scratch/x")).isZero();
        assertThat(data.resolve("x")).doesNotExist();
        // bad input: one line naming it, nothing started
        for (String[] bad : new String[][] {
                {"type=volume,source=v,target=/v", "type volume: mdocker has no volumes"},
                {"source=/tmp,target=/t", "type volume: mdocker has no volumes"},
                {"type=nfs,target=/t", "type 'nfs': expected bind or tmpfs"},
                {"type=bind,target=/t", "no source: a bind mount needs source=HOST_PATH"},
                {"type=bind,source=" + data, "no target: expected target=PATH in the container"},
                {"type=bind,source=" + data + ",target=/t,bind-propagation=shared", "'bind-propagation' is not a key of a bind mount"},
                {"type=bind,source=" + data + ",src=" + data + ",target=/t", "'source' and 'src' both given"},
                {"type=bind,source=" + data + ",target=/t,readonly=maybe", "readonly 'maybe': expected true or false"},
                {"type=bind,source=" + data + ",target=/t,target=/u", "'target' given twice"},
                {"type=tmpfs,source=/x,target=/t", "'source' is not a key of a tmpfs mount"},
                {"type=tmpfs,target=/t,tmpfs-size=lots", "tmpfs-size 'lots': expected bytes"},
                {"type=tmpfs,target=/t,tmpfs-mode=rwx", "tmpfs-mode 'rwx': expected an octal mode"},
                {"type=bind,,target=/t", "an empty field"}}) {
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            java.io.PrintStream old = System.err;
            System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                assertThat(run("--mount", bad[0], "true")).as(bad[0]).isEqualTo(Main.RUNTIME_ERROR);
            } finally {
                System.setErr(old);
            }
            assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8)).as(bad[0])
                    .startsWith("mdocker: invalid --mount '" + bad[0] + "': " + bad[1]).hasLineCount(1);
        }
    }

    @Test
    void dockerJsonProfileIsLoadedAndEnforced() throws IOException {
        Path profile = tmp.resolve("no-chmod.json");
        Files.writeString(profile, """
                {
                  "defaultAction": "SCMP_ACT_ALLOW",
                  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
                  "syscalls": [
                    {"names": ["chmod", "fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
                    {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]},
                    {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"], "minKernel": "4.8"}}
                  ]
                }
                """);
        SeccompProfile p = SeccompJson.load(profile);
        assertThat(p.defaultAction()).isEqualTo(SeccompProfile.Action.allow());
        assertThat(p.architectures()).containsExactly("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
        assertThat(p.rules().get(0).action()).isEqualTo(SeccompProfile.Action.errno(13));
        assertThat(p.rules().get(1).action()).isEqualTo(SeccompProfile.Action.errno(1));
        assertThat(p.rules().get(2).includesCaps()).containsExactly(Capability.SYS_BOOT);
        // chmod fails with EACCES (13), as the profile says; busybox's chmod exits 1
        assertThat(run("--security-opt", "seccomp=" + profile, "chmod", "600", "/etc/passwd")).isEqualTo(1);
        assertThat(run("--security-opt", "seccomp=" + profile, "touch", "/etc/passwd")).isZero();
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"x\"], \"action\": \"SCMP_ACT_ERRNO\", \"bogus\": 1}]}");
        assertThatThrownBy(() -> SeccompJson.load(bad)).hasMessageContaining("unknown field 'bogus'");
    }
}
