package io.mdocker;

import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A bound on the writable layer ({@code storageSize}) against the real kernel: a write beyond it
 * fails with ENOSPC, a smaller one succeeds, the same container without it is unbounded, bad
 * values are refused before anything exists, and nothing stays mounted after close or after the
 * JVM is SIGKILLed. On a state root without project quotas (this host's ext4, the v2 VM's tmpfs)
 * the layer is a tmpfs in the container's own mount namespace; ProjectQuotaTest covers quotas.
 */
class StorageSizeTest {
    static final DataSize LIMIT = DataSize.ofMiB(16);
    /** 24 MiB, then 8 MiB; the df line of / (1K blocks) first. */
    static final String WRITES = "df -k / | tail -n 1; dd if=/dev/zero of=/big bs=1M count=24 2>&1; echo big=$?; "
            + "rm -f /big; dd if=/dev/zero of=/small bs=1M count=8 2>/dev/null; echo small=$?";

    @Test
    void aWriteBeyondTheSizeFailsWithEnospcAndASmallerOneSucceeds() {
        ExecResult r = Fixtures.container().storageSize(LIMIT).run("sh", "-c", WRITES);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("No space left on device").contains("big=1").contains("small=0");
        String df = r.stdout().lines().findFirst().orElseThrow();
        assertThat(df.trim().split("\\s+")[1]).as("df of / inside: " + df).isEqualTo("16384");
    }

    @Test
    void withoutAStorageSizeTheSameWriteSucceeds() {
        ExecResult r = Fixtures.container().run("sh", "-c", WRITES);
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("big=0").contains("small=0").doesNotContain("No space left");
    }

    @Test
    void filesCopiedInBeforeTheStartAreThereAndWritable() {
        ExecResult r = Fixtures.container().storageSize(LIMIT)
                .copyIn(CopySource.ofString("before\n"), "/etc/app.conf")
                .run("sh", "-c", "cat /etc/app.conf; echo after >> /etc/app.conf; cat /etc/app.conf");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        assertThat(r.stdout()).isEqualTo("before\nbefore\nafter\n");
    }

    @Test
    void badSizesAreRefusedInOneLineNamingTheValue() {
        assertThatThrownBy(() -> Container.builder().storageSize(DataSize.ofBytes(0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid storage size 0 B (0 bytes): expected 1 MiB to 16 TiB");
        assertThatThrownBy(() -> Container.builder().storageSize(DataSize.ofKiB(512)))
                .hasMessage("invalid storage size 512 KiB (524288 bytes): expected 1 MiB to 16 TiB");
        assertThatThrownBy(() -> Container.builder().storageSize(DataSize.ofGiB(17 * 1024)))
                .hasMessageStartingWith("invalid storage size 17 TiB (");
        assertThatThrownBy(() -> DataSize.ofBytes(-1)).hasMessage("invalid size -1 bytes: expected zero or more");
        assertThatThrownBy(() -> DataSize.parse("lots")).hasMessageStartingWith("invalid size 'lots': expected a number");
    }

    @Test
    void aSizeNoTmpfsCouldHoldIsRefusedBeforeAnythingExists() throws Exception {
        Path roots = Files.createTempDirectory(Fixtures.TARGET, "storage-refused");
        Path lib = roots.resolve("lib");
        Path run = roots.resolve("run");
        String mounts = Fixtures.mountinfo();
        Container c = Container.builder().rootfs(Fixtures.rootfs()).runtime(ContainerRuntime.at(lib, run))
                .storageSize(DataSize.ofGiB(15 * 1024)).build();
        assertThatThrownBy(() -> c.run("true"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("storage size 15 TiB cannot be bounded: ")
                .hasMessageContaining("has no project quotas")
                .hasMessageContaining("exceeds this host's memory and swap")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        assertThat(Fixtures.list(lib.resolve("containers"))).isEmpty();
        assertThat(Fixtures.list(run.resolve("containers"))).isEmpty();
        assertThat(Fixtures.mountinfo()).isEqualTo(mounts);
        io.mdocker.internal.fs.ContainerDirs.deleteTree(roots);
    }

    @Test
    void theTmpfsIsTheContainersAloneAndGoesWithIt() throws Exception {
        String hostMounts = Fixtures.mountinfo();
        Path layer;
        try (RunningContainer c = Fixtures.container().storageSize(LIMIT).start("sleep", "600")) {
            layer = Fixtures.RUNTIME.libRoot().resolve("containers").resolve(c.id()).resolve("layer");
            // pid 1 mounted the tmpfs before pivot_root, which detached it from the mount table
            // with the old root: the overlay alone holds it now.
            String inside = Files.readString(Path.of("/proc", Integer.toString(c.pid()), "mountinfo"));
            assertThat(inside).contains("upperdir=" + layer.resolve("upper") + ",");
            ExecResult df = c.exec("sh", "-c", "df -k / | tail -n 1");
            assertThat(df.stdout().trim().split("\\s+")[1]).isEqualTo("16384");
            assertThat(Fixtures.mountinfo()).as("the host's mounts").doesNotContain(c.id());
        }
        ContainerRuntime.awaitCleanup();
        assertThat(layer.getParent()).doesNotExist();
        assertThat(Fixtures.mountinfo()).isEqualTo(hostMounts);
    }

    @Test
    void aKilledJvmsBoundedContainersLeaveNothingMounted() throws Exception {
        Path lib = Fixtures.TARGET.resolve("storage-recovery/lib");
        Path run = Fixtures.TARGET.resolve("storage-recovery/run");
        RecoveryChild.Launched child = RecoveryChild.launch(Fixtures.rootfs(), lib, run, 2, "storage:" + LIMIT.bytes());
        List<Integer> pids = child.pids();
        try {
            for (int pid : pids) {
                assertThat(Files.readString(Path.of("/proc", Integer.toString(pid), "mountinfo"))).contains("/layer/upper,");
            }
        } finally {
            child.killHard();
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (int pid : pids) {
            while (Files.exists(Path.of("/proc", Integer.toString(pid))) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(Path.of("/proc", Integer.toString(pid))).as("container pid 1 " + pid).doesNotExist();
        }
        for (String id : child.ids()) {
            assertThat(Fixtures.mountinfo()).doesNotContain(id);
        }
        ContainerRuntime.at(lib, run).gc();
        assertThat(Fixtures.list(lib.resolve("containers"))).isEmpty();
        assertThat(Fixtures.list(run.resolve("containers"))).isEmpty();
    }
}
