package io.mdocker.internal.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The exec record's file round trip, and finding an entry by an id prefix (file logic, no kernel). */
class ExecRecordTest {

    @Test
    void aRecordReadsBackAsWritten(@TempDir Path entry) throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/bin");
        env.put("WEIRD", "a=b\nc \\ d = ü");
        ExecRecord r = ExecRecord.of((int) ProcessHandle.current().pid(),
                List.of(Path.of("/sys/fs/cgroup/memory/mdocker/x"), Path.of("/sys/fs/cgroup/pids/mdocker/x")),
                1000, 1001, "/tmp", env, new byte[] {1, 0, 0, 0, 4, 0, 0, 0, 'a', 'b', 'c', 0});
        r.write(entry);
        assertThat(Files.list(entry).map(p -> p.getFileName().toString()).toList()).containsExactly("exec");

        ExecRecord back = ExecRecord.read(entry).orElseThrow();
        assertThat(back.pid()).isEqualTo(r.pid());
        assertThat(back.pidStartTime()).isEqualTo(r.pidStartTime()).isPositive();
        assertThat(back.cgroups()).isEqualTo(r.cgroups());
        assertThat(back.uid()).isEqualTo(1000);
        assertThat(back.gid()).isEqualTo(1001);
        assertThat(back.workdir()).isEqualTo("/tmp");
        assertThat(back.env()).containsExactlyEntriesOf(env);
        assertThat(back.identity()).isEqualTo(r.identity());
        assertThat(back.pid1Alive()).as("this JVM, with its start time").isTrue();

        ExecRecord reused = new ExecRecord(r.pid(), r.pidStartTime() + 1, r.cgroups(), 0, 0, "/", env, new byte[0]);
        assertThat(reused.pid1Alive()).as("the same pid with another start time is another process").isFalse();
    }

    @Test
    void noRecordIsEmptyAndABrokenOneSaysWhichFile(@TempDir Path entry) throws Exception {
        assertThat(ExecRecord.read(entry)).isEmpty();
        Files.writeString(entry.resolve("exec"), "pid=12\n");
        assertThatThrownBy(() -> ExecRecord.read(entry)).isInstanceOf(IllegalStateException.class)
                .hasMessage("malformed " + entry.resolve("exec") + ": no pidStartTime");
    }

    @Test
    void entriesAreFoundByIdOrUniquePrefix(@TempDir Path root) throws Exception {
        StateStore store = new StateStore(root.resolve("lib"), root.resolve("run"));
        Path containers = root.resolve("run/containers");
        Files.createDirectories(containers.resolve("abc123"));
        Files.createDirectories(containers.resolve("abd456"));
        Files.createDirectories(containers.resolve(".new-abe789"));
        assertThat(store.findEntry("abc")).isEqualTo(containers.resolve("abc123"));
        assertThat(store.findEntry("abd456")).isEqualTo(containers.resolve("abd456"));
        assertThatThrownBy(() -> store.findEntry("ab")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("container id prefix ab is ambiguous: 2 containers in " + containers + " start with it");
        assertThatThrownBy(() -> store.findEntry("abe")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no container with id abe in " + containers);
        assertThatThrownBy(() -> store.findEntry("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid container id '': expected the container's id or a prefix of it (hex digits)");
        assertThatThrownBy(() -> store.findEntry("../x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid container id '../x': expected the container's id or a prefix of it (hex digits)");
    }
}
