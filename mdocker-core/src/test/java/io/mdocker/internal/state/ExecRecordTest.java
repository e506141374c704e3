package io.mdocker.internal.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The exec record's round trip through a state file, pid 1 found as the only child of the
 * recorded monitor (a stand-in here: a shell with one sleeping child).
 */
class ExecRecordTest {

    private static void writeState(Path entry, Map<String, String> info) throws Exception {
        Properties p = new Properties();
        p.putAll(info);
        StringWriter w = new StringWriter();
        p.store(w, null);
        Files.writeString(entry.resolve("state"), w.toString(), StandardCharsets.UTF_8);
    }

    @Test
    void aRecordReadsBackFromTheStateWithPid1AsTheMonitorsChild(@TempDir Path runRoot) throws Exception {
        Path entry = Files.createDirectories(runRoot.resolve("containers/abc"));
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/bin");
        env.put("WEIRD", "a=b\nc \\ d = ü");
        ExecRecord basis = ExecRecord.basis(List.of(Path.of("/sys/fs/cgroup/memory/mdocker/x"),
                Path.of("/sys/fs/cgroup/pids/mdocker/x")), 1000, 1001, "/tmp", env, new byte[] {1, 0, 0, 0, 4, 0, 'a', 0});
        Process monitor = new ProcessBuilder("/bin/sh", "-c", "sleep 60; true").start();
        try {
            Map<String, String> info = new LinkedHashMap<>(basis.stateInfo(runRoot));
            // the identity records once per run root, named by their SHA-256 (beside the memo of that name)
            assertThat(identityFiles(runRoot)).singleElement()
                    .satisfies(f -> assertThat(Files.readAllBytes(f)).isEqualTo(basis.identity()))
                    .satisfies(f -> assertThat(info.get("exec.identity")).isEqualTo(f.getFileName().toString()));
            assertThat(basis.stateInfo(runRoot)).isEqualTo(info);
            assertThat(identityFiles(runRoot)).hasSize(1);
            info.put("monitorPid", Long.toString(monitor.pid()));
            info.put("monitorStartTime", Long.toString(ProcStat.startTime((int) monitor.pid())));
            writeState(entry, info);
            int sleep = -1;
            for (long deadline = System.nanoTime() + 5_000_000_000L; sleep < 0 && System.nanoTime() < deadline; ) {
                sleep = monitor.children().findFirst().map(h -> (int) h.pid()).orElse(-1); // once sh has forked it
            }

            ExecRecord back = ExecRecord.of(ContainerRecord.read(entry, runRoot.resolve("lib"))).orElseThrow();
            assertThat(back.pid()).as("the monitor's only child").isEqualTo(sleep).isPositive();
            assertThat(back.pidStartTime()).isEqualTo(ProcStat.startTime(sleep));
            assertThat(back.pid1Alive()).isTrue();
            assertThat(back.cgroups()).isEqualTo(basis.cgroups());
            assertThat(back.uid()).isEqualTo(1000);
            assertThat(back.gid()).isEqualTo(1001);
            assertThat(back.workdir()).isEqualTo("/tmp");
            assertThat(back.env()).containsExactlyEntriesOf(env);
            assertThat(back.identity()).isEqualTo(basis.identity());

            // a monitor with another start time is another process: no pid 1
            info.put("monitorStartTime", Long.toString(ProcStat.startTime((int) monitor.pid()) + 1));
            writeState(entry, info);
            assertThat(ExecRecord.of(ContainerRecord.read(entry, runRoot.resolve("lib"))).orElseThrow().pid1Alive()).isFalse();
        } finally {
            monitor.destroyForcibly();
            monitor.waitFor(10, TimeUnit.SECONDS);
        }
        ExecRecord reused = basis.withPid1((int) ProcessHandle.current().pid());
        assertThat(reused.pid1Alive()).isTrue();
        assertThat(new ExecRecord(reused.pid(), reused.pidStartTime() + 1, List.of(), 0, 0, "/", env, new byte[0]).pid1Alive())
                .as("the same pid with another start time is another process").isFalse();
    }

    @Test
    void aStateWithoutExecKeysHasNoRecordAndABrokenOneSaysWhichFile(@TempDir Path runRoot) throws Exception {
        Path entry = Files.createDirectories(runRoot.resolve("containers/abc"));
        writeState(entry, Map.of("id", "x", "monitorPid", "1"));
        assertThat(ExecRecord.of(ContainerRecord.read(entry, runRoot.resolve("lib")))).isEmpty();
        writeState(entry, Map.of("exec.identity", "AAAA", "monitorPid", "1"));
        assertThatThrownBy(() -> ExecRecord.of(ContainerRecord.read(entry, runRoot.resolve("lib")))).isInstanceOf(IllegalStateException.class)
                .hasMessage("malformed " + entry.resolve("state") + ": no exec.uid");
        String missing = "0".repeat(64);
        writeState(entry, Map.of("exec.identity", missing, "exec.uid", "0", "exec.gid", "0", "exec.workdir", "/",
                "monitorPid", "1", "monitorStartTime", "1"));
        assertThatThrownBy(() -> ExecRecord.of(ContainerRecord.read(entry, runRoot.resolve("lib")))).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(entry.resolve("state") + " names " + runRoot.resolve("exec-identities").resolve(missing)
                        + ", which cannot be read");
    }

    private static List<Path> identityFiles(Path runRoot) throws IOException {
        try (var files = Files.list(runRoot.resolve("exec-identities"))) {
            return files.filter(f -> f.getFileName().toString().matches("[0-9a-f]{64}")).toList();
        }
    }
}
