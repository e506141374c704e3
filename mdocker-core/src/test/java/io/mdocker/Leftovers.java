package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;

import io.mdocker.internal.security.DevicesCgroupV1;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What one container made on the host, read from its state record, and the check that none of
 * it is left: per container, so that other tests' and other users' containers on the same host do
 * not matter.
 */
record Leftovers(String id, Path libDir, Path runDir, List<Path> cgroupDirs, String veth, Path lease) {

    /** Reads what the record of container {@code id} on {@code rt}'s roots names. */
    static Leftovers of(ContainerRuntime rt, String id) {
        ContainerRuntime.awaitCleanup(); // a run() returns before its teardown; its record may still be there
        Path runDir = rt.runRoot().resolve("containers").resolve(id);
        Properties state = load(runDir.resolve("state"));
        List<Path> cgroups = new ArrayList<>();
        for (String k : state.stringPropertyNames()) {
            if (k.startsWith("cgroup.")) {
                cgroups.add(Path.of(state.getProperty(k).substring(3)));
            }
        }
        DevicesCgroupV1.mountPoint().ifPresent(m -> cgroups.add(m.resolve("mdocker").resolve(id)));
        Properties net = Files.exists(runDir.resolve("network")) ? load(runDir.resolve("network")) : new Properties();
        String lease = net.getProperty("lease");
        return new Leftovers(id, rt.libRoot().resolve("containers").resolve(id), runDir, cgroups,
                net.getProperty("veth"), lease == null ? null : Path.of(lease));
    }

    private static Properties load(Path file) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    /**
     * The container cgroup directories (named by a 64-digit id) on the host now: a test compares
     * the sets before and after a start that failed before its id was known.
     */
    static java.util.Set<Path> containerCgroups() {
        ContainerRuntime.awaitCleanup(); // the teardown run() leaves to the cleanup thread is over
        try (var s = Files.walk(Path.of("/sys/fs/cgroup"), 6)) {
            return s.filter(p -> p.getFileName() != null && p.getFileName().toString().matches("[0-9a-f]{64}"))
                    .collect(java.util.stream.Collectors.toSet());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Removes every detached container on {@code rt}'s roots, running or not: what a failed test
     * left there must not outlive the test run (they survive their JVM by design).
     */
    static void removeDetached(ContainerRuntime rt) {
        for (ContainerInfo c : rt.list()) {
            if (c.detached()) {
                rt.attach(c.id()).remove(true);
            }
        }
    }

    /** The cgroups, veth pair and lease are gone (what an exited container releases). */
    void assertReleased() {
        ContainerRuntime.awaitCleanup(); // the teardown run() leaves to the cleanup thread is over
        assertThat(cgroupDirs).as("cgroup directories of " + id).allSatisfy(d -> assertThat(d).doesNotExist());
        if (veth != null) {
            assertThat(NetFixtures.vethLinks()).as("veth links").doesNotContain(veth);
        }
        if (lease != null) {
            assertThat(lease).as("the address lease of " + id).doesNotExist();
        }
    }

    /** Nothing at all is left: no mount, cgroup, veth, lease, writable layer or record. */
    void assertGone() {
        assertReleased();
        assertThat(Fixtures.mountinfo()).as("host mounts").doesNotContain(id);
        assertThat(libDir).as("the writable layer and logs of " + id).doesNotExist();
        assertThat(runDir).as("the record of " + id).doesNotExist();
    }
}
