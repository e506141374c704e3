package io.mdocker.internal.cgroup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The decision logic on fake cgroup trees in a temporary directory: layout detection from
 * mountinfo and /proc/self/cgroup texts, placement, which files get which values on v1 and v2,
 * controller enabling, missing controllers, removal and recovery. In addition to the real runs
 * of ResourceLimitsTest, never instead of them.
 */
class FakeCgroupfsTest {
    private static final String ID = "c0ffee";
    private static final CgroupSpec LIMITS = new CgroupSpec(32L << 20, CgroupSpec.UNSET, 50_000, 100_000,
            512, CgroupSpec.UNSET, "0", 64, null);

    @TempDir
    Path root;

    /** This machine's layout: v1 controllers, the JVM in a memory cgroup, a controller-less v2 beside. */
    private static final String HYBRID_MOUNTINFO = """
            30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
            34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
            36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
            38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
            39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """;
    private static final String HYBRID_CGROUP = """
            9:name=systemd:/
            8:pids:/
            6:freezer:/
            4:memory:/process_api/abc
            3:cpuset:/
            2:cpuacct:/
            1:cpu:/
            0::/
            """;
    private static final String V2_MOUNTINFO = "25 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";

    private CgroupLayout hybrid() throws IOException {
        Path fs = root.resolve("sys/fs/cgroup");
        for (String c : List.of("cpu", "cpuacct", "cpuset", "memory", "freezer", "pids", "systemd", "unified")) {
            Files.createDirectories(fs.resolve(c));
        }
        Files.writeString(fs.resolve("unified/cgroup.controllers"), "hugetlb\n");
        Path mem = Files.createDirectories(fs.resolve("memory/process_api/abc"));
        touch(mem, "cgroup.procs", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.oom_control");
        Files.writeString(fs.resolve("cpuset/cpuset.cpus"), "0-1\n");
        Files.writeString(fs.resolve("cpuset/cpuset.mems"), "0\n");
        touch(fs.resolve("cpuset"), "cgroup.procs");
        Files.writeString(fs.resolve("cpuset/cgroup.clone_children"), "0\n");
        touch(fs.resolve("cpu"), "cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.shares");
        return CgroupLayout.detect(HYBRID_MOUNTINFO, HYBRID_CGROUP, root);
    }

    private CgroupLayout unified(String subtreeControl) throws IOException {
        Path fs = Files.createDirectories(root.resolve("sys/fs/cgroup"));
        Files.writeString(fs.resolve("cgroup.controllers"), "cpuset cpu io memory hugetlb pids rdma misc\n");
        Files.writeString(fs.resolve("cgroup.subtree_control"), subtreeControl);
        touch(fs, "cgroup.procs", "memory.max", "memory.swap.max", "cpu.max", "cpu.weight", "cpuset.cpus", "pids.max");
        return CgroupLayout.detect(V2_MOUNTINFO, "0::/\n", root);
    }

    private static void touch(Path dir, String... files) throws IOException {
        for (String f : files) {
            Files.writeString(dir.resolve(f), "");
        }
    }

    @Test
    void hybridLayoutIsDetectedControllerByController() throws IOException {
        CgroupLayout l = hybrid();
        assertThat(l.kind()).isEqualTo(CgroupLayout.Kind.HYBRID);
        assertThat(l.v1("memory").own()).isEqualTo(root.resolve("sys/fs/cgroup/memory/process_api/abc"));
        assertThat(l.v1("cpu").own()).isEqualTo(root.resolve("sys/fs/cgroup/cpu"));
        assertThat(l.v1("systemd")).isNull();
        assertThat(l.onUnified("hugetlb")).isTrue();
        assertThat(l.has("memory")).isTrue();
        assertThat(l.has("io")).isFalse();
        assertThat(l.describe()).isEqualTo("hybrid (v1: cpu, cpuacct, cpuset, freezer, memory, pids; v2: hugetlb)");
    }

    @Test
    void aDetachedMonitorLeavesTheStartersCgroupOnlyOnTrackingHierarchiesWhereThatIsNotTheTop() throws IOException {
        CgroupLayout top = hybrid();
        Path fs = root.resolve("sys/fs/cgroup");
        assertThat(top.tracking()).extracting(CgroupLayout.Hierarchy::mount)
                .containsExactly(fs.resolve("unified"), fs.resolve("systemd"));
        assertThat(MonitorCgroups.adopt(top, new FakeCgroupFs(), 4242)).as("in the top cgroups: nothing to leave").isEmpty();
        assertThat(fs.resolve("unified").resolve(MonitorCgroups.NAME)).doesNotExist();

        // A service on a v2 host: the starter in /system.slice/app.service.
        Path v2 = Files.createDirectories(root.resolve("v2/sys/fs/cgroup/system.slice/app.service"));
        CgroupLayout service = CgroupLayout.detect(V2_MOUNTINFO, "0::/system.slice/app.service\n", root.resolve("v2"));
        Path monitors = root.resolve("v2/sys/fs/cgroup").resolve(MonitorCgroups.NAME);
        assertThat(MonitorCgroups.adopt(service, new FakeCgroupFs(), 4242)).containsExactly(monitors);
        assertThat(Files.readString(monitors.resolve("cgroup.procs"))).isEqualTo("4242");
        assertThat(v2).isDirectory();
    }

    @Test
    void cpusetMemsIsWrittenWhereSetAndCopiedFromTheParentElse() throws IOException {
        CgroupLayout layout = hybrid();
        Path fs = root.resolve("sys/fs/cgroup");
        Files.writeString(fs.resolve("cpuset/cpuset.mems"), "0-3\n");
        CgroupSpec mems = new CgroupSpec(CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET,
                CgroupSpec.UNSET, CgroupSpec.UNSET, null, "1-2", CgroupSpec.UNSET, null);
        assertThat(mems.required()).containsEntry("cpuset", "cpuset mems");
        ContainerCgroups set = ContainerCgroups.plan(layout, mems, ID, new FakeCgroupFs());
        set.create();
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/cpuset.mems"))).as("the parent, from its parent").isEqualTo("0-3");
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/" + ID + "/cpuset.mems"))).isEqualTo("1-2");
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/" + ID + "/cpuset.cpus"))).as("cpus still inherited").isEqualTo("0-1");
        set.close();
        ContainerCgroups inherited = ContainerCgroups.plan(layout, CgroupSpec.NONE, ID, new FakeCgroupFs());
        inherited.create();
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/" + ID + "/cpuset.mems"))).isEqualTo("0-3");
        inherited.close();
    }

    @Test
    void v1PlacesTheContainerBelowTheJvmsOwnCgroupInEachHierarchy() throws IOException {
        ContainerCgroups cg = ContainerCgroups.plan(hybrid(), LIMITS, ID, new FakeCgroupFs());
        Path fs = root.resolve("sys/fs/cgroup");
        assertThat(cg.dirs()).containsExactly(
                fs.resolve("memory/process_api/abc/mdocker/" + ID), fs.resolve("cpu/mdocker/" + ID),
                fs.resolve("cpuacct/mdocker/" + ID), fs.resolve("cpuset/mdocker/" + ID),
                fs.resolve("pids/mdocker/" + ID), fs.resolve("freezer/mdocker/" + ID));
        // no v2 cgroup: the unified hierarchy holds none of the managed controllers
        assertThat(cg.stateInfo()).containsEntry("cgroup.1", "v1 " + fs.resolve("memory/process_api/abc/mdocker/" + ID))
                .containsEntry("cgroupParent.1", "v1 " + fs.resolve("memory/process_api/abc/mdocker"))
                .doesNotContainKey("cgroup.7");
    }

    @Test
    void v1LimitsGoToTheirFilesAndCpusetIsFilledFromTheParent() throws IOException {
        ContainerCgroups cg = ContainerCgroups.plan(hybrid(), LIMITS, ID, new FakeCgroupFs());
        cg.create();
        Path fs = root.resolve("sys/fs/cgroup");
        Path mem = fs.resolve("memory/process_api/abc/mdocker/" + ID);
        assertThat(Files.readString(mem.resolve("memory.limit_in_bytes"))).isEqualTo("33554432");
        assertThat(Files.readString(mem.resolve("memory.memsw.limit_in_bytes"))).as("no swap: the limit holds").isEqualTo("33554432");
        Path cpu = fs.resolve("cpu/mdocker/" + ID);
        assertThat(Files.readString(cpu.resolve("cpu.cfs_period_us"))).as("the kernel's default, not written").isEmpty();
        assertThat(Files.readString(cpu.resolve("cpu.cfs_quota_us"))).isEqualTo("50000");
        assertThat(Files.readString(cpu.resolve("cpu.shares"))).isEqualTo("512");
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/cpuset.cpus"))).as("the new parent, from its parent").isEqualTo("0-1");
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/cpuset.mems"))).isEqualTo("0");
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/cgroup.clone_children"))).as("mdocker's own parent clones").isEqualTo("1");
        assertThat(Files.readString(fs.resolve("cpuset/cgroup.clone_children"))).as("the root is not ours").isEqualTo("0\n");
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/" + ID + "/cpuset.cpus"))).isEqualTo("0");
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/" + ID + "/cpuset.mems"))).isEqualTo("0");
        assertThat(Files.readString(fs.resolve("pids/mdocker/" + ID + "/pids.max"))).isEqualTo("64");

        cg.attach(4242);
        for (Path d : cg.dirs()) {
            assertThat(Files.readString(d.resolve("cgroup.procs"))).isEqualTo("4242");
        }
        cg.close();
        assertThat(cg.dirs()).allSatisfy(d -> assertThat(d).doesNotExist());
        assertThat(fs.resolve("memory/process_api/abc/mdocker")).as("the default parent, kept for the next container").isDirectory();
        ContainerCgroups.removeUnusedParents(); // at the JVM's exit
        assertThat(fs.resolve("memory/process_api/abc/mdocker")).as("the empty default parent goes then").doesNotExist();
        assertThat(fs.resolve("memory/process_api/abc")).as("the JVM's own cgroup stays").exists();
    }

    @Test
    void unlimitedSwapAndWeightsConvert() throws IOException {
        CgroupSpec spec = new CgroupSpec(64L << 20, CgroupSpec.UNLIMITED, CgroupSpec.UNSET, CgroupSpec.UNSET,
                CgroupSpec.UNSET, 100, null, CgroupSpec.UNSET, null);
        ContainerCgroups cg = ContainerCgroups.plan(hybrid(), spec, ID, new FakeCgroupFs());
        cg.create();
        Path fs = root.resolve("sys/fs/cgroup");
        assertThat(Files.readString(fs.resolve("memory/process_api/abc/mdocker/" + ID + "/memory.memsw.limit_in_bytes"))).isEqualTo("-1");
        assertThat(Files.readString(fs.resolve("cpu/mdocker/" + ID + "/cpu.shares"))).isEqualTo(Long.toString(CpuController.weightToShares(100)));
        assertThat(Files.readString(fs.resolve("cpuset/mdocker/" + ID + "/cpuset.cpus"))).as("all of the parent's").isEqualTo("0-1");
        cg.close();

        assertThat(CpuController.sharesToWeight(2)).isEqualTo(1);
        assertThat(CpuController.sharesToWeight(262_144)).isEqualTo(10_000);
        for (long w = 1; w <= 10_000; w++) {
            assertThat(CpuController.sharesToWeight(CpuController.weightToShares(w))).isEqualTo(w);
        }
    }

    @Test
    void v2PlacesAtTheRootAndEnablesOnlyMissingControllers() throws IOException {
        CgroupLayout l = unified("");
        assertThat(l.kind()).isEqualTo(CgroupLayout.Kind.UNIFIED);
        assertThat(l.describe()).isEqualTo("cgroup v2 (unified) (v2: cpu, cpuset, hugetlb, io, memory, misc, pids, rdma)");
        ContainerCgroups cg = ContainerCgroups.plan(l, LIMITS, ID, new FakeCgroupFs());
        Path fs = root.resolve("sys/fs/cgroup");
        assertThat(cg.dirs()).containsExactly(fs.resolve("mdocker/" + ID));
        cg.create();
        assertThat(Files.readString(fs.resolve("cgroup.subtree_control"))).isEqualTo("memory cpu cpuset pids\n");
        assertThat(Files.readString(fs.resolve("mdocker/cgroup.subtree_control"))).isEqualTo("memory cpu cpuset pids\n");
        Path d = fs.resolve("mdocker/" + ID);
        assertThat(Files.readString(d.resolve("memory.max"))).isEqualTo("33554432");
        assertThat(Files.readString(d.resolve("memory.swap.max"))).as("memory+swap = memory: no swap").isEqualTo("0");
        assertThat(Files.readString(d.resolve("cpu.max"))).isEqualTo("50000 100000");
        assertThat(Files.readString(d.resolve("cpu.weight"))).isEqualTo(Long.toString(CpuController.sharesToWeight(512)));
        assertThat(Files.readString(d.resolve("cpuset.cpus"))).isEqualTo("0");
        assertThat(Files.readString(d.resolve("pids.max"))).isEqualTo("64");
        cg.close();
        assertThat(d).doesNotExist();
        ContainerCgroups.removeUnusedParents();
        assertThat(fs.resolve("mdocker")).doesNotExist();
    }

    @Test
    void v2LeavesAnEnabledRootAlone() throws IOException {
        CgroupLayout l = unified("cpuset cpu io memory pids\n");
        ContainerCgroups cg = ContainerCgroups.plan(l, CgroupSpec.NONE, ID, new FakeCgroupFs());
        cg.create();
        Path fs = root.resolve("sys/fs/cgroup");
        assertThat(Files.readString(fs.resolve("cgroup.subtree_control"))).isEqualTo("cpuset cpu io memory pids\n");
        assertThat(Files.readString(fs.resolve("mdocker/" + ID + "/memory.max"))).as("no limit: nothing written").isEmpty();
        cg.close();
    }

    @Test
    void customParentsAbsoluteFromTheRootRelativeFromTheJvmsCgroupAndOnlyTheLevelsMadeRemoved() throws IOException {
        CgroupLayout l = hybrid();
        Path fs = root.resolve("sys/fs/cgroup");
        CgroupSpec abs = new CgroupSpec(CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET,
                CgroupSpec.UNSET, CgroupSpec.UNSET, null, CgroupSpec.UNSET, "/batch/jobs");
        ContainerCgroups a = ContainerCgroups.plan(l, abs, ID, new FakeCgroupFs());
        assertThat(a.dirs()).contains(fs.resolve("memory/batch/jobs/" + ID), fs.resolve("cpu/batch/jobs/" + ID));
        assertThat(a.stateInfo()).as("the levels it will make, deepest first, for a recovery to remove")
                .containsEntry("cgroupParent.1", "v1 " + fs.resolve("memory/batch/jobs"))
                .containsEntry("cgroupParent.2", "v1 " + fs.resolve("memory/batch"));
        a.create();
        assertThat(Files.readString(fs.resolve("cpuset/batch/jobs/" + ID + "/cpuset.cpus"))).as("filled by hand").isEqualTo("0-1");
        assertThat(Files.readString(fs.resolve("cpuset/batch/jobs/cgroup.clone_children"))).as("not ours to change").isEmpty();
        a.close();
        assertThat(fs.resolve("memory/batch")).as("the levels of a named parent mdocker made go with the container").doesNotExist();
        assertThat(fs.resolve("cpuset/batch")).doesNotExist();

        // a level that existed before is never removed
        Files.createDirectories(fs.resolve("memory/keep"));
        CgroupSpec kept = new CgroupSpec(CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET,
                CgroupSpec.UNSET, CgroupSpec.UNSET, null, CgroupSpec.UNSET, "/keep/jobs");
        ContainerCgroups k = ContainerCgroups.plan(l, kept, ID, new FakeCgroupFs());
        assertThat(k.stateInfo().values()).doesNotContain("v1 " + fs.resolve("memory/keep"));
        k.create();
        k.close();
        assertThat(fs.resolve("memory/keep")).as("not ours to remove").exists();
        assertThat(fs.resolve("memory/keep/jobs")).doesNotExist();
        assertThat(fs.resolve("pids/keep")).as("made for the container, in this hierarchy").doesNotExist();

        CgroupSpec rel = new CgroupSpec(CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET,
                CgroupSpec.UNSET, CgroupSpec.UNSET, null, CgroupSpec.UNSET, "jobs");
        assertThat(ContainerCgroups.plan(l, rel, ID, new FakeCgroupFs()).dirs())
                .contains(fs.resolve("memory/process_api/abc/jobs/" + ID), fs.resolve("pids/jobs/" + ID));
    }

    @Test
    void aNamespacedMountRootIsStrippedFromTheOwnPath() throws IOException {
        // a container's view: its cgroup is the mount's root
        Files.createDirectories(root.resolve("sys/fs/cgroup/memory"));
        CgroupLayout l = CgroupLayout.detect(
                "34 30 0:31 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n",
                "4:memory:/docker/abc\n", root);
        assertThat(l.kind()).isEqualTo(CgroupLayout.Kind.LEGACY);
        assertThat(l.v1("memory").own()).isEqualTo(root.resolve("sys/fs/cgroup/memory"));
    }

    @Test
    void coMountedCpuAndCpuacctShareOneDirectory() throws IOException {
        Files.createDirectories(root.resolve("sys/fs/cgroup/cpu,cpuacct"));
        CgroupLayout l = CgroupLayout.detect(
                "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n",
                "1:cpu,cpuacct:/user.slice\n", root);
        assertThat(l.v1("cpu")).isSameAs(l.v1("cpuacct"));
        ContainerCgroups cg = ContainerCgroups.plan(l, CgroupSpec.NONE, ID, new FakeCgroupFs());
        assertThat(cg.dirs()).containsExactly(root.resolve("sys/fs/cgroup/cpu,cpuacct/user.slice/mdocker/" + ID));
    }

    @Test
    void aHybridHostWithAControllerOnV2GetsACgroupOnEachVersion() throws IOException {
        // pids is not mounted on v1 here but offered by the unified hierarchy
        Path fs = root.resolve("sys/fs/cgroup");
        Files.createDirectories(fs.resolve("memory"));
        Files.createDirectories(fs.resolve("unified"));
        Files.writeString(fs.resolve("unified/cgroup.controllers"), "pids\n");
        Files.writeString(fs.resolve("unified/cgroup.subtree_control"), "");
        touch(fs.resolve("unified"), "cgroup.procs", "pids.max");
        touch(fs.resolve("memory"), "cgroup.procs", "memory.limit_in_bytes");
        CgroupLayout l = CgroupLayout.detect("34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                + "40 30 0:37 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n", "4:memory:/\n0::/\n", root);
        assertThat(l.describe()).isEqualTo("hybrid (v1: memory; v2: pids)");
        CgroupSpec spec = new CgroupSpec(32L << 20, CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET,
                CgroupSpec.UNSET, CgroupSpec.UNSET, null, 16, null);
        ContainerCgroups cg = ContainerCgroups.plan(l, spec, ID, new FakeCgroupFs());
        assertThat(cg.dirs()).containsExactly(fs.resolve("memory/mdocker/" + ID), fs.resolve("unified/mdocker/" + ID));
        assertThat(cg.stateInfo()).containsEntry("cgroup.2", "v2 " + fs.resolve("unified/mdocker/" + ID));
        cg.create();
        assertThat(Files.readString(fs.resolve("unified/cgroup.subtree_control"))).isEqualTo("pids\n");
        assertThat(Files.readString(fs.resolve("unified/mdocker/" + ID + "/pids.max"))).isEqualTo("16");
        assertThat(Files.readString(fs.resolve("memory/mdocker/" + ID + "/memory.limit_in_bytes"))).isEqualTo("33554432");
        cg.attach(7);
        assertThat(Files.readString(fs.resolve("unified/mdocker/" + ID + "/cgroup.procs"))).isEqualTo("7");
        cg.close();
        assertThat(cg.dirs()).allSatisfy(d -> assertThat(d).doesNotExist());
    }

    @Test
    void mountinfoEscapesAreDecoded() {
        assertThat(CgroupLayout.unescape("/a\\040b\\134c")).isEqualTo("/a b\\c");
    }

    @Test
    void aMissingControllerIsNamedWithTheLayoutBeforeAnythingExists() throws IOException {
        Files.createDirectories(root.resolve("sys/fs/cgroup/memory"));
        CgroupLayout l = CgroupLayout.detect("34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
                "4:memory:/\n", root);
        assertThatThrownBy(() -> ContainerCgroups.plan(l, LIMITS, ID, new FakeCgroupFs()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the cpus limit needs the cpu cgroup controller, which this host does not have:"
                        + " cgroup layout cgroup v1 (legacy) (v1: memory)");
        assertThat(root.resolve("sys/fs/cgroup/memory/mdocker")).doesNotExist();
    }

    @Test
    void explicitSwapNeedsSwapAccounting() throws IOException {
        CgroupLayout l = hybrid();
        Files.delete(root.resolve("sys/fs/cgroup/memory/process_api/abc/memory.memsw.limit_in_bytes"));
        CgroupSpec swap = new CgroupSpec(32L << 20, 64L << 20, CgroupSpec.UNSET, CgroupSpec.UNSET,
                CgroupSpec.UNSET, CgroupSpec.UNSET, null, CgroupSpec.UNSET, null);
        assertThatThrownBy(() -> ContainerCgroups.plan(l, swap, ID, new FakeCgroupFs()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("swap accounting");
    }

    @Test
    void recoveryRemovesWhatTheStateRecordNames() throws IOException {
        ContainerCgroups cg = ContainerCgroups.plan(hybrid(), LIMITS, ID, new FakeCgroupFs());
        Map<String, String> state = cg.stateInfo();
        cg.create();
        assertThat(cg.dirs()).allSatisfy(d -> assertThat(d).exists());
        List<Path> removed = ContainerCgroups.removeRecorded(state, new FakeCgroupFs());
        assertThat(removed).containsExactlyInAnyOrderElementsOf(cg.dirs());
        assertThat(cg.dirs()).allSatisfy(d -> assertThat(d).doesNotExist());
        assertThat(root.resolve("sys/fs/cgroup/cpu/mdocker")).doesNotExist();
    }

    @Test
    void aFailedCreateRemovesWhatItMade() throws IOException {
        CgroupLayout l = hybrid();
        // pids.max cannot be written: pids' directory is a file where the cgroup should go
        Files.createDirectories(root.resolve("sys/fs/cgroup/pids/mdocker"));
        Files.writeString(root.resolve("sys/fs/cgroup/pids/mdocker/" + ID), "in the way");
        ContainerCgroups cg = ContainerCgroups.plan(l, LIMITS, ID, new FakeCgroupFs());
        assertThatThrownBy(cg::create).isInstanceOf(CgroupException.class).hasMessageContaining("already exists");
        assertThat(root.resolve("sys/fs/cgroup/memory/process_api/abc/mdocker/" + ID)).doesNotExist();
        assertThat(root.resolve("sys/fs/cgroup/cpu/mdocker/" + ID)).doesNotExist();
    }

    private static final CgroupSpec MEMORY_PIDS = new CgroupSpec(32L << 20, CgroupSpec.UNSET, CgroupSpec.UNSET,
            CgroupSpec.UNSET, CgroupSpec.UNSET, CgroupSpec.UNSET, null, 64, null);

    /** A pure v2 host where the JVM runs in {@code /user.slice/app.scope} offering {@code controllers}. */
    private Path delegatedTree(String controllers) throws IOException {
        Path fs = Files.createDirectories(root.resolve("sys/fs/cgroup"));
        Files.writeString(fs.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
        Files.writeString(fs.resolve("cgroup.subtree_control"), "cpu memory pids\n");
        Path own = Files.createDirectories(fs.resolve("user.slice/app.scope"));
        Files.writeString(own.resolve("cgroup.controllers"), controllers);
        Files.writeString(own.resolve("cgroup.subtree_control"), "");
        Files.writeString(own.resolve("cgroup.procs"), "4242\n");
        touch(own, "memory.max", "memory.swap.max", "pids.max", "cpu.max");
        return own;
    }

    private CgroupLayout delegatedLayout(String ownPath) {
        return CgroupLayout.detect(V2_MOUNTINFO, "0::" + ownPath + "\n", root);
    }

    private static int ownerOf(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:uid");
    }

    @Test
    void aDelegatedSubtreeHoldsTheContainerBelowItAndTheJvmMovesIntoALeaf() throws IOException {
        Path own = delegatedTree("cpu memory pids\n");
        CgroupLayout l = delegatedLayout("/user.slice/app.scope");
        FakeCgroupFs fs = new FakeCgroupFs();
        int uid = ownerOf(own);
        Path dir = Delegation.check(l, fs, uid, MEMORY_PIDS.required());
        assertThat(dir).isEqualTo(own);
        Delegation.enterLeaf(fs, dir, 4242);
        assertThat(Files.readString(own.resolve("mdocker-jvm/cgroup.procs"))).isEqualTo("4242");
        assertThat(Delegation.check(delegatedLayout("/user.slice/app.scope/mdocker-jvm"), fs, uid, MEMORY_PIDS.required()))
                .as("a JVM already in its leaf finds the delegated cgroup above it").isEqualTo(own);

        ContainerCgroups cg = ContainerCgroups.planDelegated(l, dir, MEMORY_PIDS, ID, fs);
        assertThat(cg.dirs()).containsExactly(own.resolve("mdocker/" + ID));
        cg.create();
        Path fsRoot = root.resolve("sys/fs/cgroup");
        assertThat(Files.readString(fsRoot.resolve("cgroup.subtree_control"))).as("nothing above the delegation touched")
                .isEqualTo("cpu memory pids\n");
        assertThat(Files.readString(own.resolve("cgroup.subtree_control"))).isEqualTo("memory cpu pids\n");
        assertThat(Files.readString(own.resolve("mdocker/cgroup.subtree_control"))).isEqualTo("memory cpu pids\n");
        Path d = own.resolve("mdocker/" + ID);
        assertThat(Files.readString(d.resolve("memory.max"))).isEqualTo("33554432");
        assertThat(Files.readString(d.resolve("pids.max"))).isEqualTo("64");
        assertThat(cg.stateInfo()).containsEntry("cgroup.1", "v2 " + d).containsEntry("cgroupParent.1", "v2 " + own.resolve("mdocker"));
        cg.close();
        assertThat(d).doesNotExist();
        ContainerCgroups.removeUnusedParents();
        assertThat(own.resolve("mdocker")).doesNotExist();
        assertThat(own.resolve("mdocker-jvm")).as("the JVM's leaf stays: the JVM is in it").exists();
    }

    @Test
    void aCgroupTheUserDoesNotOwnIsNoDelegationAndNothingIsCreated() throws IOException {
        Path own = delegatedTree("cpu memory pids\n");
        int other = ownerOf(own) + 1;
        assertThatThrownBy(() -> Delegation.check(delegatedLayout("/user.slice/app.scope"), new FakeCgroupFs(), other,
                MEMORY_PIDS.required()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the memory limit, pids limit needs a cgroup, and this rootless user (uid " + other
                        + ") has no delegated cgroup v2 subtree (its own cgroup's directory " + own + " is owned by uid ")
                .hasMessageNotContaining("\n");
        assertThat(own.resolve("mdocker")).doesNotExist();
        assertThat(own.resolve("mdocker-jvm")).doesNotExist();
    }

    @Test
    void aCgroupV1HostHasNoDelegation() throws IOException {
        CgroupLayout legacy = CgroupLayout.detect(
                "31 30 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n", "4:memory:/\n", root);
        assertThatThrownBy(() -> Delegation.check(legacy, new FakeCgroupFs(), 1000, MEMORY_PIDS.required()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no delegated cgroup v2 subtree (no cgroup v2 hierarchy is mounted; cgroup layout cgroup v1");
    }

    @Test
    void aControllerTheDelegationDoesNotOfferIsNamed() throws IOException {
        Path own = delegatedTree("cpu memory\n");
        assertThatThrownBy(() -> Delegation.check(delegatedLayout("/user.slice/app.scope"), new FakeCgroupFs(), ownerOf(own),
                MEMORY_PIDS.required()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the pids limit needs the pids cgroup controller, which the cgroup delegated to this rootless user"
                        + " (uid " + ownerOf(own) + "), " + own + ", does not offer (its cgroup.controllers: cpu memory):"
                        + " delegate it (systemd: Delegate=pids in user@.service)");
        assertThat(own.resolve("mdocker")).doesNotExist();
    }
}
