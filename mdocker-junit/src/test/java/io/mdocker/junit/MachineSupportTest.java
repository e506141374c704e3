package io.mdocker.junit;

import static org.assertj.core.api.Assertions.assertThat;

import io.mdocker.junit.JunitFixtures.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.io.TempDir;

/**
 * The condition that disables tests on machines that cannot run containers: its decision on fake
 * /proc trees, the real machine's verdict, and that CI=true never disables.
 */
class MachineSupportTest {
    @TempDir
    Path fake;

    private Path proc(String uidLine, List<String> namespaces, String filesystems) throws Exception {
        Path proc = Files.createDirectories(fake.resolve("proc"));
        Files.createDirectories(proc.resolve("self/ns"));
        Files.createDirectories(proc.resolve("sys/kernel"));
        Files.writeString(proc.resolve("self/status"), "Name:\tjava\n" + uidLine + "\nGid:\t0\t0\t0\t0\n");
        for (String ns : namespaces) {
            Files.writeString(proc.resolve("self/ns").resolve(ns), "");
        }
        Files.writeString(proc.resolve("filesystems"), filesystems);
        Files.writeString(proc.resolve("sys/kernel/osrelease"), "6.1.0-test\n");
        return proc;
    }

    @Test
    void aMachineWithEverythingIsEnabled() throws Exception {
        Path proc = proc("Uid:\t0\t0\t0\t0", List.of("user", "pid", "mnt", "uts", "ipc", "net", "cgroup"),
                "nodev\tproc\nnodev\toverlay\n");
        assertThat(MachineSupport.missing(proc, fake.resolve("modules"))).isEmpty();
        assertThat(MachineSupport.decide(Map.of(), List.of()).isDisabled()).isFalse();
    }

    @Test
    void whatIsMissingIsNamedAndDisablesTheTestsOutsideCi() throws Exception {
        Path proc = proc("Uid:\t1000\t1000\t1000\t1000", List.of("user", "mnt", "uts", "ipc", "net", "cgroup"),
                "nodev\tproc\n\text4\n");
        Files.createDirectories(proc.resolve("sys/user"));
        Files.writeString(proc.resolve("sys/user/max_user_namespaces"), "0\n");
        List<String> missing = MachineSupport.missing(proc, fake.resolve("modules"));
        String rootless = "not root (euid 1000) and user namespaces are disabled (user.max_user_namespaces=0): "
                + "as root, sysctl -w user.max_user_namespaces=15000, or run as root";
        assertThat(missing).containsExactly(rootless,
                "no pid namespaces (" + proc.resolve("self/ns/pid") + " missing)",
                "no OverlayFS (not in " + proc.resolve("filesystems") + ", no overlay module under " + fake.resolve("modules") + ")");
        ConditionEvaluationResult verdict = MachineSupport.decide(Map.of("CI", "false"), missing);
        assertThat(verdict.isDisabled()).isTrue();
        assertThat(verdict.getReason()).hasValue("mdocker cannot run containers on this machine: " + rootless + "; "
                + "no pid namespaces (" + proc.resolve("self/ns/pid") + " missing); " + missing.get(2));
    }

    @Test
    void aUserRunsRootlessWhereTheKernelAllowsUnprivilegedUserNamespaces() throws Exception {
        Path proc = proc("Uid:\t1000\t1000\t1000\t1000", List.of("user", "pid", "mnt", "uts", "ipc", "net", "cgroup"),
                "nodev\tproc\nnodev\toverlay\n");
        Files.createDirectories(proc.resolve("sys/user"));
        Files.writeString(proc.resolve("sys/user/max_user_namespaces"), "15000\n");
        assertThat(MachineSupport.missing(proc, fake.resolve("modules"))).isEmpty();
        Files.writeString(proc.resolve("sys/kernel/apparmor_restrict_unprivileged_userns"), "1\n");
        assertThat(MachineSupport.missing(proc, fake.resolve("modules"))).singleElement().asString()
                .startsWith("not root (euid 1000) and AppArmor restricts unprivileged user namespaces "
                        + "(kernel.apparmor_restrict_unprivileged_userns=1)");
        Files.writeString(proc.resolve("sys/kernel/apparmor_restrict_unprivileged_userns"), "0\n");
        Files.writeString(proc.resolve("sys/kernel/unprivileged_userns_clone"), "0\n");
        assertThat(MachineSupport.missing(proc, fake.resolve("modules"))).singleElement().asString()
                .contains("(kernel.unprivileged_userns_clone=0)");
        Files.writeString(proc.resolve("sys/kernel/unprivileged_userns_clone"), "1\n");
        Files.writeString(proc.resolve("sys/kernel/osrelease"), "5.10.0-old\n");
        assertThat(MachineSupport.missing(proc, fake.resolve("modules"))).singleElement().asString()
                .contains("needs Linux 5.11 or later (userxattr), this kernel is 5.10.0-old");
    }

    @Test
    void anOverlayModuleNotLoadedYetCounts() throws Exception {
        Path proc = proc("Uid:\t0\t0\t0\t0", List.of("user", "pid", "mnt", "uts", "ipc", "net", "cgroup"), "nodev\tproc\n");
        Files.createDirectories(fake.resolve("modules/6.1.0-test/kernel/fs/overlayfs"));
        assertThat(MachineSupport.missing(proc, fake.resolve("modules"))).isEmpty();
    }

    @Test
    void underCiTrueNothingIsEverDisabled() throws Exception {
        Path proc = proc("Uid:\t1000\t1000\t1000\t1000", List.of(), "");
        ConditionEvaluationResult verdict = MachineSupport.decide(Map.of("CI", "true"),
                MachineSupport.missing(proc, fake.resolve("modules")));
        assertThat(verdict.isDisabled()).isFalse();
        assertThat(verdict.getReason().orElseThrow()).startsWith("CI=true: never skipped, although no user namespaces");
    }

    @Test
    void thisMachineCanRunContainers() {
        assertThat(MachineSupport.missing(Path.of("/proc"), Path.of("/lib/modules")))
                .as("the machine that runs the project's tests must be able to run containers").isEmpty();
    }

    @MdockerTest
    static class Sample {
        @Test
        void runs() {
        }
    }

    @Test
    void anMdockerTestRunsHereAndIsNeverSkipped() {
        Report report = JunitFixtures.run(Sample.class, Map.of());
        assertThat(report.skipped()).isEmpty();
        assertThat(report.test("runs()").result().getStatus().name()).isEqualTo("SUCCESSFUL");
    }
}
