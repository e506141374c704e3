package io.mdocker;

import io.mdocker.testing.Fixtures;

import io.mdocker.internal.security.DevicesCgroupV1;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The default device rules on whichever cgroup version the host has: on a host with a v1 devices
 * controller the container's devices cgroup (DevicesCgroupV1), on a cgroup v2-only host the
 * BPF_PROG_TYPE_CGROUP_DEVICE program the monitor attaches to the container's v2 cgroup.
 * Tagged "cgroup" so that scripts/test-cgroup-v2 runs it on a pure v2 kernel too, where there is
 * no v1 devices controller and only the BPF program stands between a mknod'ed node and the
 * device. Nodes are only opened read-only, never read or written (harmless if a rule is missing).
 * With {@code deviceCgroupRule} and {@code device} (Docker's --device-cgroup-rule and --device) the
 * rules are the container's own: a v1 cgroup under mdocker-rules, or a program built from them
 * (DeviceRules.bpfProgram) on v2.
 */
@Tag("cgroup")
class DeviceRulesTest {
    private static final String PROBE = "/usr/local/bin/mdk-probe";
    private static final String DENIED = "mknod: ok\nopen: EPERM (Operation not permitted)\n";
    private static final String ALLOWED = "mknod: ok\nopen: ok\n";

    private static String probe(Container.Builder b, String... args) {
        List<String> cmd = new ArrayList<>(List.of(PROBE));
        cmd.addAll(List.of(args));
        ExecResult r = b.run(cmd.toArray(String[]::new));
        assertThat(r.exitCode()).as("mdk-probe %s: %s%s", String.join(" ", args), r.stdout(), r.stderr()).isBetween(0, 1);
        return r.stdout();
    }

    @Test
    @DisplayName("default container: mknod of a host disk or /dev/kmsg works, opening it does not; /dev/null and /dev/urandom open")
    void defaultRules() throws IOException {
        String[] disk = hostDisk();
        String how = DevicesCgroupV1.mountPoint().isPresent() ? "v1 devices cgroup" : "v2 device BPF program";
        assertThat(probe(Fixtures.probeContainer(), "mknod-open", "b", disk[0], disk[1]))
                .as("block %s:%s under the %s", disk[0], disk[1], how).isEqualTo(DENIED);
        assertThat(probe(Fixtures.probeContainer(), "mknod-open", "c", "1", "11")).as("/dev/kmsg under the " + how).isEqualTo(DENIED);
        assertThat(probe(Fixtures.probeContainer(), "mknod-open", "c", "1", "1")).as("/dev/mem under the " + how).isEqualTo(DENIED);
        assertThat(probe(Fixtures.probeContainer(), "mknod-open", "c", "1", "3")).as("/dev/null under the " + how).isEqualTo(ALLOWED);
        assertThat(probe(Fixtures.probeContainer(), "mknod-open", "c", "1", "9")).as("/dev/urandom under the " + how).isEqualTo(ALLOWED);
        assertThat(probe(Fixtures.probeContainer(), "mknod-open", "c", "5", "2")).as("/dev/ptmx under the " + how).isEqualTo(ALLOWED);
        System.out.println("[cgroup] devices by the " + how + ": block " + disk[0] + ":" + disk[1] + ", c 1:11 and c 1:1 denied; c 1:3, 1:9, 5:2 open");
    }

    @Test
    @DisplayName("privileged container: no device rules, /dev/kmsg opens")
    void privilegedHasNoRules() {
        assertThat(probe(Fixtures.probeContainer().privileged(true), "mknod-open", "c", "1", "11")).isEqualTo(ALLOWED);
    }

    // Docker's --device-cgroup-rule and --device. /dev/kmsg (c 1:11) is the device: every kernel has
    // it and it is not among the default devices; opening it read-only needs CAP_SYSLOG besides
    // (dmesg_restrict), which these containers get, so that EPERM comes from the device rules alone.

    private static Container.Builder kmsgReader() {
        return Fixtures.probeContainer().capAdd(Capability.SYSLOG);
    }

    @Test
    @DisplayName("deviceCgroupRule(\"c 1:11 r\"): a node of that device opens for reading; without the rule, EPERM; with \"c 1:11 w\" only, EPERM")
    void deviceCgroupRuleAllowsItsDevice() {
        String how = DevicesCgroupV1.mountPoint().isPresent() ? "v1 devices cgroup" : "v2 device BPF program";
        assertThat(probe(kmsgReader().deviceCgroupRule("c 1:11 r"), "mknod-open", "c", "1", "11"))
                .as("c 1:11 allowed by a rule, under the " + how).isEqualTo(ALLOWED);
        assertThat(probe(kmsgReader(), "mknod-open", "c", "1", "11")).as("c 1:11 without a rule, under the " + how)
                .isEqualTo(DENIED);
        assertThat(probe(kmsgReader().deviceCgroupRule("c 1:11 w"), "mknod-open", "c", "1", "11"))
                .as("c 1:11 allowed for writing only, opened for reading, under the " + how).isEqualTo(DENIED);
        assertThat(probe(kmsgReader().deviceCgroupRule("c 1:* r"), "mknod-open", "c", "1", "11"))
                .as("c 1:* r (a wildcard minor), under the " + how).isEqualTo(ALLOWED);
        assertThat(probe(kmsgReader().deviceCgroupRule("c 1:11 r"), "mknod-open", "c", "1", "3"))
                .as("the default devices still open with a rule added, under the " + how).isEqualTo(ALLOWED);
        System.out.println("[cgroup] device rules by the " + how + ": c 1:11 r allowed, w-only and none denied");
    }

    @Test
    @DisplayName("an exec in a container with device rules of its own is under them too (it joins that devices cgroup)")
    void execIsUnderTheContainersRules() {
        try (RunningContainer c = kmsgReader().deviceCgroupRule("c 1:11 r").start("/bin/sleep", "600")) {
            ExecResult allowed = c.exec(PROBE, "mknod-open", "c", "1", "11");
            assertThat(allowed.stdout()).as(allowed.stderr()).isEqualTo(ALLOWED);
            // /dev/fuse: no capability needed to open it, so EPERM is the device rules' (outside them it opens,
            // or gives ENODEV where the kernel has no fuse)
            ExecResult denied = c.exec(PROBE, "mknod-open", "c", "10", "229");
            assertThat(denied.stdout()).as("/dev/fuse from an exec: " + denied.stderr()).isEqualTo(DENIED);
        }
    }

    @Test
    @DisplayName("device(\"/dev/kmsg:/dev/mine/kmsg:r\"): the host's node at that path with its mode and owner, readable, not writable")
    void deviceBringsTheHostNode() {
        String how = DevicesCgroupV1.mountPoint().isPresent() ? "v1 devices cgroup" : "v2 device BPF program";
        ExecResult r = kmsgReader().device("/dev/kmsg:/dev/mine/kmsg:r").run("/bin/sh", "-c",
                "stat -c '%F %t:%T %a %u:%g' /dev/mine/kmsg; : < /dev/mine/kmsg && echo read; (: > /dev/mine/kmsg) 2>&1");
        assertThat(r.exitCode()).as(r.stdout() + r.stderr()).isNotZero(); // the write's failure
        assertThat(r.stdout()).as("under the " + how).startsWith("character special file 1:b 644 0:0\nread\n")
                .contains("Operation not permitted");
        ExecResult all = kmsgReader().device("/dev/kmsg").run("/bin/sh", "-c", ": < /dev/kmsg && echo read");
        assertThat(all.stdout()).as(all.stderr()).isEqualTo("read\n");
        System.out.println("[cgroup] device(/dev/kmsg...) by the " + how + ": readable, r-only not writable");
    }

    @Test
    @DisplayName("bad device values: refused in one line naming the value, before anything exists")
    void badDeviceValuesAreRefused() {
        assertThatThrownBy(() -> Container.builder().deviceCgroupRule("x 1:11 rwm"))
                .hasMessage("device rule 'x 1:11 rwm': type 'x' (expected a, b or c)");
        assertThatThrownBy(() -> Container.builder().deviceCgroupRule("c 1:11 rwz"))
                .hasMessage("device rule 'c 1:11 rwz': access 'rwz' (expected one or more of r, w, m)");
        assertThatThrownBy(() -> Container.builder().deviceCgroupRule("c -2:11 rwm"))
                .hasMessage("device rule 'c -2:11 rwm': major '-2' (expected * or a number from 0 to 4095)");
        assertThatThrownBy(() -> Container.builder().deviceCgroupRule("c 10 rwm"))
                .hasMessageStartingWith("device rule 'c 10 rwm': expected TYPE MAJOR:MINOR ACCESS");
        assertThatThrownBy(() -> Container.builder().device("/etc/hostname"))
                .hasMessage("device /etc/hostname is not a character or block device");
        assertThatThrownBy(() -> Container.builder().device("/dev/null:/etc/null"))
                .hasMessage("device /dev/null: container path '/etc/null' (expected an absolute, normalized path under /dev)");
        assertThatThrownBy(() -> Container.builder().device("/dev/null:/dev/null:rwx"))
                .hasMessage("device /dev/null: permissions 'rwx' (expected one or more of r, w, m)");
        assertThatThrownBy(() -> Container.builder().device("/nonexistent/dev"))
                .hasMessageStartingWith("device /nonexistent/dev: cannot read it");
    }

    /** The first real disk of /proc/partitions (major, minor); 8:0 (sda) where there is none. */
    private static String[] hostDisk() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/partitions"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 4 && f[0].matches("\\d+") && !f[3].matches("(loop|ram|zram).*")) {
                return new String[] {f[0], f[1]};
            }
        }
        return new String[] {"8", "0"};
    }
}
