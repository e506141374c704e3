package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An exec'd process is in the container's cgroups: listed in their cgroup.procs, counted under
 * its pids limit, restricted by its device rules (the v1 devices cgroup here, the device BPF
 * program of the v2 cgroup in the VM that scripts/test-cgroup-v2 boots: tagged "cgroup" for it).
 */
@Tag("cgroup")
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ExecCgroupTest {

    @Test
    void anExecdProcessIsInEveryCgroupOfTheContainerAndCountsUnderItsPidsLimit() throws Exception {
        List<Path> dirs;
        try (RunningContainer c = Fixtures.withTestbox().pidsLimit(10).memory(DataSize.ofMiB(64))
                .start("/bin/sh", "-c", "cat /proc/self/cgroup > /tmp/cgroup; echo ready; exec sleep 600")) {
            dirs = c.cgroupDirs();
            BufferedReader out = new BufferedReader(new InputStreamReader(c.stdout(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("ready");
            assertThat(c.stats().pids()).as("init and sleep").isEqualTo(2);

            // Its cgroup as it sees it: the same as the command's, every hierarchy's root.
            ExecResult seen = c.exec("/bin/sh", "-c", "cat /proc/self/cgroup; echo; cat /tmp/cgroup");
            String[] both = seen.stdout().split("\n\n");
            assertThat(both[0]).isEqualTo(both[1].strip());
            assertThat(both[0].lines()).isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(":/"));

            try (ExecProcess p = c.execStart("/bin/sleep", "608")) {
                // From the host: its pid in the cgroup.procs of every one of the container's cgroups.
                assertThat(c.cgroupDirs()).isNotEmpty();
                for (Path dir : c.cgroupDirs()) {
                    assertThat(procs(dir)).as(dir.toString()).contains(p.pid());
                }
                assertThat(c.stats().pids()).as("init, sleep and the exec'd sleep").isEqualTo(3);

                // An exec'd fork bomb gets what is left of the limit: 10 - init, sleep, sleep 608, testbox.
                ExecResult bomb = c.exec("testbox", "forkbomb", "20", "1");
                String[] f = bomb.stdout().strip().split(" ");
                assertThat(f[0]).as(bomb.stdout() + bomb.stderr()).isEqualTo("forked");
                assertThat(Integer.parseInt(f[1])).as(bomb.stdout()).isEqualTo(6);
                assertThat(Integer.parseInt(f[3])).isEqualTo(14);
                assertThat(f[5]).as("fork's errno: EAGAIN").isEqualTo("11");
                System.out.println("[cgroup] exec'd fork bomb under pids 10 with 4 processes: " + bomb.stdout().strip());
            }
        }
        assertThat(dirs).as("removed, exec'd processes and all").allSatisfy(d -> assertThat(d).doesNotExist());
    }

    @Test
    void anExecdProcessIsUnderTheContainersDeviceRules() {
        String how = io.mdocker.internal.security.DevicesCgroupV1.mountPoint().isPresent()
                ? "v1 devices cgroup" : "v2 device BPF program";
        try (RunningContainer c = Fixtures.probeContainer().start("/bin/sleep", "600")) {
            ExecResult kmsg = c.exec("/usr/local/bin/mdk-probe", "mknod-open", "c", "1", "11");
            assertThat(kmsg.stdout()).as("/dev/kmsg by an exec'd process, under the " + how + ": " + kmsg.stderr())
                    .isEqualTo("mknod: ok\nopen: EPERM (Operation not permitted)\n");
            ExecResult nul = c.exec("/usr/local/bin/mdk-probe", "mknod-open", "c", "1", "3");
            assertThat(nul.stdout()).as("/dev/null by an exec'd process").isEqualTo("mknod: ok\nopen: ok\n");
        }
    }

    private static List<Integer> procs(Path dir) throws IOException {
        List<Integer> pids = new ArrayList<>();
        for (String s : Files.readAllLines(dir.resolve("cgroup.procs"))) {
            pids.add(Integer.parseInt(s.trim()));
        }
        return pids;
    }
}
