package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;

import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.internal.cgroup.CgroupSpec;
import io.mdocker.internal.cgroup.ContainerCgroups;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What goes wrong on real hosts: a full state root, a rootfs deleted under a running container, a
 * cgroup controller the host lacks, no iptables. Each gives one clear error (or the documented
 * degradation, README "Faults"), and leaves nothing of the container behind.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class FaultsTest {

    @Test
    void aFullStateRootIsAClearErrorAndANearlyFullOneOnlyFailsTheContainersWrites() throws Exception {
        Path rootfs = Fixtures.rootfs();
        Path mnt = Fixtures.TARGET.resolve("fault-tmpfs");
        Files.createDirectories(mnt);
        host("mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "mdocker-fault-test", mnt.toString());
        ContainerRuntime rt = ContainerRuntime.at(mnt.resolve("lib"), mnt.resolve("run"));
        try {
            // the roots exist (one container ran) before the disk fills
            assertThat(Container.builder().rootfs(rootfs).runtime(rt).run("/bin/true").exitCode()).isZero();
            Set<Path> cgroupsBefore = Leftovers.containerCgroups();
            FileStore store = Files.getFileStore(mnt);
            Path filler = mnt.resolve("filler");
            fill(filler, store.getUsableSpace());
            assertThat(store.getUsableSpace()).isZero();

            assertThatThrownBy(() -> Container.builder().rootfs(rootfs).runtime(rt).run("/bin/true"))
                    .isInstanceOf(ContainerException.class)
                    .hasMessageStartingWith("recording container ")
                    .hasMessageContaining(mnt.resolve("run").toString())
                    .hasMessageEndingWith("No space left on device");
            assertNothingLeft(rt, cgroupsBefore);

            // Nearly full: the container starts, and its own writes get ENOSPC, as on any full disk.
            Files.delete(filler);
            fill(filler, store.getUsableSpace() - (256 << 10));
            long free = store.getUsableSpace();
            ExecResult r = Container.builder().rootfs(rootfs).runtime(rt)
                    .run("/bin/sh", "-c", "dd if=/dev/zero of=/big bs=64k count=64 2>&1; echo status $?");
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).contains("No space left on device")
                    .doesNotContain("status 0");
            ContainerRuntime.awaitCleanup(); // run() leaves the deletion of the writable layer to the cleanup thread
            assertThat(store.getUsableSpace()).as("the writable layer is gone, its space back").isEqualTo(free);
            assertNothingLeft(rt, cgroupsBefore);

            // Detached, and the disk fills while it runs: its exit status cannot be recorded.
            DetachedContainer d = Container.builder().rootfs(rootfs).runtime(rt).startDetached("/bin/sleep", "600");
            Leftovers made = Leftovers.of(rt, d.id());
            Path filler2 = mnt.resolve("filler2");
            fill(filler2, store.getUsableSpace());
            assertThat(store.getUsableSpace()).isZero();
            assertThat(d.kill(Signal.KILL)).isTrue();
            assertThatThrownBy(d::waitFor).isInstanceOf(ContainerException.class)
                    .hasMessage("the exit code of container " + d.shortId() + " was not recorded: its mdocker-init was killed, or "
                            + rt.runRoot().resolve("containers").resolve(d.id()).resolve("exit") + " could not be written");
            made.assertReleased();
            assertThat(rt.list()).singleElement().satisfies(i -> {
                assertThat(i.state()).isEqualTo(ContainerInfo.State.EXITED);
                assertThat(i.exitCode()).isEmpty();
            });
            d.remove(false);
            made.assertGone();
            Files.delete(filler2);
            assertNothingLeft(rt, cgroupsBefore);
        } finally {
            try {
                Leftovers.removeDetached(rt); // what a failure above left running
            } finally {
                host("umount", mnt.toString());
            }
        }
        assertThat(Fixtures.mountinfo()).doesNotContain(mnt.toString());
    }

    @Test
    void aRootfsDeletedUnderARunningContainerLeavesItRunningAndTheNextStartIsRefused() throws Exception {
        Path copy = Fixtures.TARGET.resolve("fault-rootfs-copy");
        host("rm", "-rf", copy.toString());
        host("cp", "-a", Fixtures.rootfs().toString(), copy.toString());
        Container spec = Container.builder().rootfs(copy).runtime(Fixtures.RUNTIME).build();
        Leftovers made;
        try (RunningContainer c = spec.start("/bin/sleep", "600")) {
            made = Leftovers.of(Fixtures.RUNTIME, c.id());
            host("rm", "-rf", copy.toString());
            assertThat(copy).doesNotExist();
            // The overlay keeps what it has open: pid 1 and the command run on.
            assertThat(c.waitFor(java.time.Duration.ofMillis(500))).isFalse();
            assertThat(Path.of("/proc", Integer.toString(c.pid()))).exists();
            assertThat(c.stop(java.time.Duration.ofSeconds(5))).isEqualTo(143);
        }
        made.assertGone();
        Set<Path> recordsBefore = Set.copyOf(Fixtures.list(Fixtures.RUNTIME.runRoot().resolve("containers")));
        assertThatThrownBy(() -> spec.start("/bin/true")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("rootfs " + copy + " does not exist: expected a directory holding the container's root filesystem");
        assertThat(Fixtures.list(Fixtures.RUNTIME.runRoot().resolve("containers"))).containsExactlyInAnyOrderElementsOf(recordsBefore);
    }

    @Test
    void aLimitWhoseControllerTheHostLacksIsRefusedBeforeAnyCgroupExists() throws Exception {
        // This host has every controller mdocker limits; the same decision code runs on the real
        // cgroupfs with the real mountinfo, less the pids hierarchy (the fake-cgroupfs tests cover
        // the other layouts).
        String mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        String withoutPids = mountinfo.lines().filter(l -> !(l.contains(" - cgroup ") && l.matches(".*[ ,]pids(,.*|$)")))
                .collect(Collectors.joining("\n", "", "\n"));
        Fixtures.prerequisite(!withoutPids.equals(mountinfo + "\n") && !mountinfo.equals(withoutPids),
                "a cgroup v1 pids hierarchy, to hide from the layout");
        CgroupLayout lacking = CgroupLayout.detect(withoutPids, Files.readString(Path.of("/proc/self/cgroup")), Path.of("/"));
        assertThat(lacking.has("pids")).isFalse();
        Set<Path> cgroupsBefore = Leftovers.containerCgroups();
        CgroupSpec pids = new CgroupSpec(CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET,
                CgroupSpec.UNSET, CgroupSpec.UNSET, null, 64, null);
        String id = "f".repeat(64);
        assertThatThrownBy(() -> ContainerCgroups.plan(lacking, pids, id, CgroupFs.REAL))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the pids limit needs the pids cgroup controller, which this host does not have: "
                        + "cgroup layout ");
        assertThat(Leftovers.containerCgroups()).isEqualTo(cgroupsBefore);
    }

    @Test
    void missingIptablesStopsBridgeNetworkingBeforeAnythingExistsAndNoneStillWorks() {
        Set<Path> cgroupsBefore = Leftovers.containerCgroups();
        Set<Path> recordsBefore = Set.copyOf(Fixtures.list(Fixtures.RUNTIME.runRoot().resolve("containers")));
        Path missing = Fixtures.TARGET.resolve("no-such-iptables");
        assertThatThrownBy(() -> ContainerRuntime.setIptables(missing)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iptables " + missing + " is not an executable file: expected the path of the iptables binary");
        assertThat(ContainerRuntime.iptables()).isEmpty();
        // one that was there when set and is gone when a container starts
        Path gone = Fixtures.TARGET.resolve("gone-iptables");
        try {
            Files.writeString(gone, "#!/bin/sh\nexit 1\n");
            Files.setPosixFilePermissions(gone, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            ContainerRuntime.setIptables(gone);
            assertThat(ContainerRuntime.iptables()).contains(gone);
            Files.delete(gone);
            assertThatThrownBy(() -> Fixtures.container().network(Network.bridge("mdt19", "10.201.19.1/24")).run("/bin/true"))
                    .isInstanceOf(ContainerException.class)
                    .hasMessage("checking the network bridge mdt19 10.201.19.1/24: iptables " + gone
                            + " (ContainerRuntime.setIptables) is not an executable file: bridge and veth networking "
                            + "install their NAT and forwarding rules with it; point it at iptables, or use "
                            + "Network.none() or Network.host()");
            // the documented degradation: containers without those networks run as before
            assertThat(Fixtures.container().run("/bin/true").exitCode()).isZero();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            ContainerRuntime.setIptables(null);
        }
        assertThat(NetFixtures.host("ip", "-o", "link", "show")).doesNotContain("mdt19");
        assertThat(Leftovers.containerCgroups()).isEqualTo(cgroupsBefore);
        assertThat(Set.copyOf(Fixtures.list(Fixtures.RUNTIME.runRoot().resolve("containers")))).isEqualTo(recordsBefore);
    }

    private static void assertNothingLeft(ContainerRuntime rt, Set<Path> cgroupsBefore) {
        ContainerRuntime.awaitCleanup(); // run() returns before its teardown is over
        assertThat(Fixtures.list(rt.runRoot().resolve("containers"))).isEmpty();
        assertThat(Fixtures.list(rt.libRoot().resolve("containers"))).isEmpty();
        assertThat(Leftovers.containerCgroups()).isEqualTo(cgroupsBefore);
        assertThat(Fixtures.mountinfo()).doesNotContain(rt.libRoot().toString() + "/containers/");
    }

    /** Writes {@code bytes} (or as many as fit) of zeros to {@code file}. */
    private static void fill(Path file, long bytes) throws IOException {
        byte[] chunk = new byte[64 << 10];
        try (var out = Files.newOutputStream(file)) {
            for (long left = bytes; left > 0; left -= chunk.length) {
                out.write(chunk, 0, (int) Math.min(chunk.length, left));
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
    }

    private static void host(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command) + ": " + out).isZero();
    }
}
