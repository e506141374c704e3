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
        List<String> missing = MachineSupport.missing(proc, fake.resolve("modules"));
        assertThat(missing).containsExactly("not root (euid 1000)",
                "no pid namespaces (" + proc.resolve("self/ns/pid") + " missing)",
                "no OverlayFS (not in " + proc.resolve("filesystems") + ", no overlay module under " + fake.resolve("modules") + ")");
        ConditionEvaluationResult verdict = MachineSupport.decide(Map.of("CI", "false"), missing);
        assertThat(verdict.isDisabled()).isTrue();
        assertThat(verdict.getReason()).hasValue("mdocker cannot run containers on this machine: not root (euid 1000); "
                + "no pid namespaces (" + proc.resolve("self/ns/pid") + " missing); " + missing.get(2));
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
        assertThat(verdict.getReason().orElseThrow()).startsWith("CI=true: never skipped, although not root (euid 1000)");
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
