package io.mdocker.testing;

import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.internal.sys.Posix;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What the tests share: a busybox rootfs built from the host's busybox-static, and a runtime on
 * state roots of their own under target/, so leak checks see only the tests' containers.
 * Published with mdocker-core's test-jar: the other modules' tests use it too (their paths are
 * under their own target/, as this is relative to the working directory, the module's).
 * Under CI=true a missing prerequisite fails the test; elsewhere it aborts it with the reason.
 * MDOCKER_TEST_STATE moves the state roots (the cgroup v2 VM needs them on a tmpfs, which
 * OverlayFS upper directories need there).
 */
public final class Fixtures {
    private Fixtures() {}

    public static final Path TARGET = Path.of("target").toAbsolutePath();
    public static final Path ROOTFS = TARGET.resolve("test-rootfs");
    public static final Path STATE = System.getenv("MDOCKER_TEST_STATE") != null
            ? Path.of(System.getenv("MDOCKER_TEST_STATE")) : TARGET.resolve("test-state");
    public static final ContainerRuntime RUNTIME = ContainerRuntime.at(STATE.resolve("lib"), STATE.resolve("run"));
    /** An overlay layer holding /usr/local/bin/testbox (src/test/c/testbox.c), built by Maven. */
    public static final Path TESTBOX_LAYER = TARGET.resolve("testbox-layer");

    /** Root, and a static busybox to build the rootfs from; returns the rootfs. */
    public static Path rootfs() {
        return rootfs(ROOTFS);
    }

    /** Root, and a static busybox to build a busybox rootfs in {@code dir} from; returns {@code dir}. */
    public static Path rootfs(Path dir) {
        prerequisite(Posix.geteuid() == 0, "these tests start real containers and need root (euid is " + Posix.geteuid() + ")");
        prerequisite(BusyboxRootfs.findStaticBusybox().isPresent(),
                "a statically linked busybox is needed (apt-get install busybox-static)");
        BusyboxRootfs.ensure(dir);
        return dir;
    }

    /** The group that alone may run the setuid test helper (see mdk-suid-id.c). */
    public static final int SUID_GROUP = 4711;

    /**
     * The escape suite's layer (target/test-layer, built by Maven from src/test/c): mdk-probe and
     * mdk-suid-id in /usr/local/bin, the latter made setuid root here (mode 04710, group
     * {@link #SUID_GROUP}, so no host user can run it).
     */
    public static Path testLayer() {
        rootfs();
        Path layer = TARGET.resolve("test-layer");
        Path probe = layer.resolve("usr/local/bin/mdk-probe");
        Path suid = layer.resolve("usr/local/bin/mdk-suid-id");
        prerequisite(Files.isExecutable(probe) && Files.isRegularFile(suid),
                "the test helpers are built by Maven (process-test-resources) into " + layer + "; run the tests through Maven");
        try {
            Files.setAttribute(suid, "unix:uid", 0);
            Files.setAttribute(suid, "unix:gid", SUID_GROUP);
            Files.setAttribute(suid, "unix:mode", 04710);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return layer;
    }

    /** A builder on the test layer over the test rootfs, with the test runtime. */
    public static Container.Builder probeContainer() {
        return Container.builder().layers(List.of(testLayer(), rootfs())).runtime(RUNTIME);
    }

    /** A builder on the testbox layer over the test rootfs, and the test runtime. */
    public static Container.Builder withTestbox() {
        Path rootfs = rootfs();
        prerequisite(Files.isExecutable(TESTBOX_LAYER.resolve("usr/local/bin/testbox")),
                "the testbox workload binary is built by Maven (process-test-resources) into " + TESTBOX_LAYER);
        return Container.builder().layers(List.of(TESTBOX_LAYER, rootfs)).runtime(RUNTIME);
    }

    /** A builder on the test rootfs and the test runtime. */
    public static Container.Builder container() {
        return Container.builder().rootfs(rootfs()).runtime(RUNTIME);
    }

    public static void prerequisite(boolean met, String what) {
        if (met) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail("missing prerequisite under CI=true: " + what);
        }
        Assumptions.abort(what);
    }

    /** Entries under a directory (empty when it does not exist). */
    public static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The containers recorded under a runtime's run root now, once the pending teardowns are over. */
    public static List<Path> recordedContainers(ContainerRuntime rt) {
        ContainerRuntime.awaitCleanup(); // a run() returns before its teardown is over
        return list(rt.runRoot().resolve("containers"));
    }

    public static String mountinfo() {
        try {
            return Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static int openFds() {
        return list(Path.of("/proc/self/fd")).size();
    }
}
