package io.mdocker;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.sys.Posix;
import io.mdocker.internal.sys.Quotas;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * storageSize on a state root whose filesystem has project quotas: an XFS image this test makes
 * and loop-mounts with {@code pquota} (beside the test state: under target/ on the host, on the
 * v2 VM's tmpfs there), and removes after. The layer stays on XFS under a project quota of its
 * own; the limit is removed with the container, and by gc after a SIGKILLed JVM. Tagged
 * "project-quota" and left out of the main run (this host's kernel has no quota support:
 * CONFIG_QUOTA without XFS_QUOTA or QFMT_V2); scripts/test-cgroup-v2 runs it on Debian's kernel.
 */
@Tag("project-quota")
class ProjectQuotaTest {
    static final Path BASE = Fixtures.STATE.resolveSibling("project-quota");
    static final Path IMAGE = BASE.resolve("xfs.img");
    static final Path MOUNT = BASE.resolve("mnt");
    static final Path LIB = MOUNT.resolve("lib");
    static final Path RUN = MOUNT.resolve("run");
    static boolean mounted;

    @BeforeAll
    static void xfsWithProjectQuotas() throws Exception {
        Fixtures.prerequisite(Posix.geteuid() == 0, "root");
        Fixtures.prerequisite(Files.isExecutable(Path.of("/usr/sbin/mkfs.xfs")) || Files.isExecutable(Path.of("/sbin/mkfs.xfs")),
                "mkfs.xfs (apt-get install xfsprogs)");
        Files.createDirectories(MOUNT);
        Files.deleteIfExists(IMAGE);
        sh("truncate -s 320M " + IMAGE); // xfsprogs 6 makes nothing smaller than 300 MB
        sh("mkfs.xfs -q " + IMAGE);
        // the VM's kernel has xfs and loop as modules, which nothing there loads on demand
        String out = shOutput("modprobe -q xfs 2>/dev/null; modprobe -q loop 2>/dev/null; mount -o loop,pquota " + IMAGE
                + " " + MOUNT + " 2>&1; echo rc=$?");
        mounted = out.endsWith("rc=0");
        Fixtures.prerequisite(mounted, "XFS project quotas (mount -o loop,pquota: " + out + "; dmesg says why)");
    }

    @AfterAll
    static void removeTheFilesystem() throws Exception {
        if (mounted) {
            sh("umount " + MOUNT); // a mount -o loop device is set to autoclear: it detaches now
        }
        Files.deleteIfExists(IMAGE);
        Files.deleteIfExists(MOUNT);
        Files.deleteIfExists(BASE);
        assertThat(shOutput("losetup -j " + IMAGE)).as("loop devices left").isEmpty();
    }

    @Test
    void theLayerIsBoundedByAProjectQuotaRemovedWithTheContainer() throws Exception {
        ContainerRuntime rt = ContainerRuntime.at(LIB, RUN);
        String mounts = Fixtures.mountinfo();
        int project;
        try (RunningContainer c = Container.builder().rootfs(Fixtures.rootfs()).runtime(rt)
                .storageSize(StorageSizeTest.LIMIT).start("sleep", "600")) {
            String storage = record(c.id()).getProperty("storage");
            assertThat(storage).startsWith("project-quota " + StorageSizeTest.LIMIT.bytes() + " ");
            project = Integer.parseInt(storage.split(" ")[2]);
            assertThat(limitOf(project)).isEqualTo(StorageSizeTest.LIMIT.bytes());
            ExecResult r = c.exec("sh", "-c", StorageSizeTest.WRITES);
            assertThat(r.stdout()).contains("No space left on device").contains("big=1").contains("small=0");
            assertThat(Fixtures.mountinfo()).as("nothing mounted for it on the host").isEqualTo(mounts);
        }
        assertThat(limitOf(project)).as("the limit after close").isZero();
        assertThat(Fixtures.list(LIB.resolve("containers"))).isEmpty();
    }

    @Test
    void aKilledJvmsQuotaIsRemovedByGc() throws Exception {
        RecoveryChild.Launched child = RecoveryChild.launch(Fixtures.rootfs(), LIB, RUN, 1,
                "storage:" + StorageSizeTest.LIMIT.bytes());
        String id = child.ids().get(0);
        int project = Integer.parseInt(record(id).getProperty("storage").split(" ")[2]);
        assertThat(limitOf(project)).isEqualTo(StorageSizeTest.LIMIT.bytes());
        child.killHard();
        long deadline = System.nanoTime() + 10_000_000_000L;
        Path pid1 = Path.of("/proc", Integer.toString(child.pids().get(0)));
        while (Files.exists(pid1) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(limitOf(project)).as("nobody removed it yet").isEqualTo(StorageSizeTest.LIMIT.bytes());
        List<String> removed = ContainerRuntime.at(LIB, RUN).gc();
        assertThat(removed).contains(id);
        assertThat(limitOf(project)).as("the limit after gc").isZero();
        assertThat(Fixtures.list(LIB.resolve("containers"))).isEmpty();
    }

    private static Properties record(String id) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(RUN.resolve("containers").resolve(id).resolve("state"), StandardCharsets.UTF_8)) {
            p.load(in);
        }
        return p;
    }

    private static long limitOf(int project) {
        int fd = Posix.open(MOUNT.toString(), Linux.O_RDONLY() | Linux.O_DIRECTORY() | Linux.O_CLOEXEC());
        try {
            return Quotas.usage(fd, project).limitBytes();
        } finally {
            Posix.closeQuietly(fd);
        }
    }

    private static void sh(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(command + ": " + out).isZero();
    }

    private static String shOutput(String command) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }
}
