package io.mdocker.cli;

import io.mdocker.ContainerRuntime;
import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI's exit statuses and one-line errors, with real containers, and the ./mdocker launcher. */
class MainTest {
    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final Path ROOTFS = TARGET.resolve("cli-rootfs");
    static final Path STATE = TARGET.resolve("cli-state");

    /** Root and busybox-static, or the test fails (CI=true) or aborts; then the CLI tests' rootfs. */
    @BeforeAll
    static void prerequisites() {
        Fixtures.rootfs(ROOTFS);
    }

    private static int run(String... args) {
        return Cli.run(args);
    }

    /** Runs the CLI with System.err captured; returns what it printed there. */
    static String stderrOf(int expectedStatus, String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.execute(args)).isEqualTo(expectedStatus);
        } finally {
            System.setErr(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void exitStatusIsTheCommands() {
        assertThat(run("/bin/true")).isZero();
        assertThat(run("sh", "-c", "exit 7")).isEqualTo(7);
        assertThat(run("sh", "-c", "kill -9 $$")).isEqualTo(137);
        assertThat(run("-e", "A=1", "-w", "/tmp", "-h", "cli-box", "--", "sh", "-c",
                "test \"$A$(pwd)$(hostname)\" = 1/tmpcli-box")).isZero();
    }

    @Test
    void initIsTheDefaultAndCidfileGetsTheId(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        assertThat(run("--init", "sh", "-c", "test \"$(cat /proc/1/comm)\" = mdocker-init")).isZero();
        assertThat(run("--no-init", "sh", "-c", "test \"$(cat /proc/1/comm)\" = sh")).isZero();
        assertThat(stderrOf(125, "run", "--rootfs", ROOTFS.toString(), "--init", "--no-init", "true"))
                .isEqualTo("mdocker: --init and --no-init: give one of them\n");
        Path cid = tmp.resolve("cid");
        assertThat(run("--cidfile", cid.toString(), "sh", "-c", "hostname > /dev/null")).isZero();
        assertThat(Files.readString(cid)).matches("[0-9a-f]{64}");
        String state = STATE.toString();
        assertThat(stderrOf(125, "run", "--rootfs", ROOTFS.toString(), "--state-root", state, "--cidfile", cid.toString(), "true"))
                .isEqualTo("mdocker: container ID file " + cid + " exists: remove it, or name another (another container may "
                        + "still be running with it)\n");
        Path detachedCid = tmp.resolve("detached-cid");
        assertThat(stderrOf(0, "run", "--rootfs", ROOTFS.toString(), "--state-root", state, "--network", "none", "-d",
                "--cidfile", detachedCid.toString(), "true")).isEmpty();
        String id = Files.readString(detachedCid);
        assertThat(id).matches("[0-9a-f]{64}");
        assertThat(Main.execute("rm", "-f", "--state-root", state, id)).isZero();
    }

    @Test
    void rmIsAcceptedInTheForegroundAndRefusedWithDetach() throws Exception {
        assertThat(run("--rm", "sh", "-c", "exit 3")).isEqualTo(3);
        String state = STATE.toString();
        ContainerRuntime.awaitCleanup();
        try (var records = Files.list(STATE.resolve("run/containers"))) {
            assertThat(records.toList()).as("removed, --rm or not").isEmpty();
        }
        assertThat(stderrOf(125, "run", "--rootfs", ROOTFS.toString(), "--state-root", state, "--network", "none",
                "-d", "--rm", "/bin/true")).isEqualTo("mdocker: --rm with -d: not supported: a detached container stays "
                + "until 'mdocker rm' (a container run in the foreground is always removed)\n");
        try (var records = Files.list(STATE.resolve("run/containers"))) {
            assertThat(records.toList()).as("nothing created").isEmpty();
        }
    }

    @Test
    void envFilesThenDashEAsDockersAndAKeyAloneTakesThisProcesssValue(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        Path file = Files.writeString(tmp.resolve("vars.env"), """
                # comments and blank lines are skipped

                A=1
                   B=from the file
                NOT_SET_HERE_XYZ
                EMPTY=
                """);
        assertThat(System.getenv("NOT_SET_HERE_XYZ")).isNull();
        String hostPath = System.getenv("PATH");
        assertThat(run("--env-file", file.toString(), "-e", "B=2", "-e", "PATH", "-e", "NOT_SET_HERE_XYZ", "sh", "-c",
                "test \"$A:$B:${NOT_SET_HERE_XYZ-unset}:${EMPTY-unset}:$PATH\" = \"1:2:unset::" + hostPath + "\""))
                .isZero();
        assertThat(run("--env-file", file.toString(), "sh", "-c", "test \"$B\" = 'from the file'")).isZero();

        Path bad = Files.writeString(tmp.resolve("bad.env"), "A=1\nBAD KEY=2\n");
        String root = ROOTFS.toString();
        assertThat(stderrOf(125, "run", "--rootfs", root, "--env-file", bad.toString(), "true")).isEqualTo("mdocker: "
                + "--env-file " + bad + " line 2: 'BAD KEY=2': expected KEY=VALUE or KEY, the key without spaces\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--env-file", tmp.resolve("none.env").toString(), "true"))
                .isEqualTo("mdocker: --env-file " + tmp.resolve("none.env") + ": no such file\n");
    }

    @Test
    void mountsOverProcOrDevAndEnvKeysWithSpacesAreOneLineErrors(@org.junit.jupiter.api.io.TempDir Path tmp) {
        String root = ROOTFS.toString();
        String state = tmp.resolve("state").toString();
        assertThat(stderrOf(125, "run", "--rootfs", root, "--state-root", state, "-v", "/tmp:/proc", "true"))
                .isEqualTo("mdocker: invalid bind target '/proc': /proc is the container's own proc file system and cannot be replaced\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--state-root", state, "-v", "/tmp://proc/.:ro", "true"))
                .startsWith("mdocker: invalid bind target '//proc/.': /proc is");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--state-root", state, "--tmpfs", "/proc", "true"))
                .isEqualTo("mdocker: invalid tmpfs target '/proc': /proc is the container's own proc file system and cannot be replaced\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--state-root", state, "--tmpfs", "/dev/:size=1m", "true"))
                .isEqualTo("mdocker: invalid tmpfs target '/dev/': /dev is the container's own device directory and cannot be replaced\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--state-root", state, "-e", "BAD KEY=1", "true"))
                .isEqualTo("mdocker: invalid environment variable name 'BAD KEY': expected a non-empty name without '=',"
                        + " spaces or control characters\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--state-root", state, "-e", "BAD\nKEY=1", "true"))
                .isEqualTo("mdocker: invalid environment variable name 'BAD KEY': expected a non-empty name without '=',"
                        + " spaces or control characters\n");
        assertThat(tmp.resolve("state")).as("nothing created").doesNotExist();
    }

    @Test
    void aNameThatIsAnotherContainersIdPrefixIsShownAsShadowingIt() {
        String a = "abc123" + "0".repeat(58);
        String b = "abc999" + "1".repeat(58);
        java.util.function.BiFunction<String, String, io.mdocker.ContainerInfo> info = (id, name) -> new io.mdocker.ContainerInfo(
                id, true, io.mdocker.ContainerInfo.State.RUNNING, java.util.OptionalInt.empty(), 1, java.time.Instant.now(),
                "sh", List.of(), "none", java.util.Optional.empty(), java.util.Optional.ofNullable(name), java.util.Map.of());
        List<io.mdocker.ContainerInfo> all = List.of(info.apply(a, null), info.apply(b, "abc1"));
        assertThat(PsCommand.shadowNote("abc1", b, all)).isEqualTo(" (shadows the id of abc123000000)");
        assertThat(PsCommand.shadowNote("abc", b, all)).as("its own id does not count").isEqualTo(" (shadows the id of abc123000000)");
        assertThat(PsCommand.shadowNote("web", b, all)).isEmpty();
        assertThat(PsCommand.shadowNote("abd", b, all)).isEmpty();
        assertThat(PsCommand.shadowNote(null, b, all)).isEmpty();
    }

    @Test
    void errorLinesEscapeControlBytesFromUserValues() {
        String root = ROOTFS.toString();
        // an ESC sequence (clear screen), a carriage return and a bell in a value the error echoes
        String err = stderrOf(125, "run", "--rootfs", root, "-v", "/tmp:rel\u001b[2J\rx\u0007", "true");
        assertThat(err).isEqualTo("mdocker: invalid bind target 'rel\\x1b[2J\\x0dx\\x07': expected an absolute path below /\n");
        assertThat(err.chars().filter(c -> c < 0x20 && c != '\n')).isEmpty();
        assertThat(stderrOf(125, "run", "--rootfs", root, "--no-such-option\u001b]0;title\u0007", "true"))
                .doesNotContain("\u001b").contains("\\x1b]0;title\\x07");
        assertThat(Main.oneLine("a\nb\u009bc\u2028d")).isEqualTo("a b\\x9bc\\u2028d");
    }

    @Test
    void badLabelsAreOneLineErrorsAndNothingIsMade(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        String root = ROOTFS.toString();
        Path state = tmp.resolve("state");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--state-root", state.toString(), "-l", "=v", "true"))
                .isEqualTo("mdocker: invalid label '=v': expected KEY=VALUE\n");
        Path bad = Files.writeString(tmp.resolve("bad.labels"), "ok=1\n=2\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--state-root", state.toString(), "--label-file", bad.toString(),
                "true")).isEqualTo("mdocker: --label-file " + bad + " line 2: invalid label '=2': expected KEY=VALUE\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--label-file", tmp.resolve("none").toString(), "true"))
                .isEqualTo("mdocker: --label-file " + tmp.resolve("none") + ": no such file\n");
        assertThat(stderrOf(125, "ps", "--state-root", state.toString(), "--filter", "label="))
                .isEqualTo("mdocker: invalid label key '': expected a non-empty key without '=', NUL or line breaks\n");
        assertThat(state.resolve("run/containers")).as("nothing made").satisfiesAnyOf(
                d -> assertThat(d).doesNotExist(), d -> assertThat(d).isEmptyDirectory());
    }

    @Test
    void notFoundIs127AndNotExecutableIs126() {
        String root = ROOTFS.toString();
        String state = STATE.toString();
        assertThat(stderrOf(127, "run", "--rootfs", root, "--state-root", state, "--network", "none", "/bin/bash"))
                .isEqualTo("mdocker: executable file not found in rootfs: /bin/bash\n");
        assertThat(stderrOf(126, "run", "--rootfs", root, "--state-root", state, "--network", "none", "/etc/passwd"))
                .isEqualTo("mdocker: permission denied executing /etc/passwd\n");
    }

    @Test
    void anOomKilledContainerExits137WithOneLineSayingSo() {
        String root = ROOTFS.toString();
        String state = STATE.toString();
        // busybox dd fills a 64 MiB buffer: more than the limit allows
        String err = stderrOf(137, "run", "--rootfs", root, "--state-root", state, "--network", "none", "--memory", "32m",
                "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1");
        assertThat(err).matches("mdocker: container [0-9a-f]{12} was OOM-killed: it hit its memory limit \\(32 MiB\\)\n");
    }

    @Test
    void limitFlags() throws Exception {
        try {
            assertThat(run("--memory", "64m", "--memory-swap", "-1", "--cpus", "0.5", "--cpu-shares", "512",
                    "--cpuset-cpus", "0", "--cpuset-mems", "0", "--pids-limit", "64", "--cgroup-parent", "mdocker-cli-test", "/bin/true")).isZero();
        } finally {
            // a cgroup parent the user names is kept, as Docker keeps it: this test removes its own
            CgroupLayout layout = CgroupLayout.host();
            for (String c : CgroupLayout.MANAGED) {
                if (layout.v1(c) != null) {
                    Files.deleteIfExists(layout.v1(c).resolve("mdocker-cli-test"));
                }
            }
            if (layout.unified() != null) {
                Files.deleteIfExists(layout.unified().resolve("mdocker-cli-test"));
            }
        }
        assertThat(run("-m", "64m", "--memory-swap", "128m", "sh", "-c", "kill -9 $$")).isEqualTo(137);
        String root = ROOTFS.toString();
        assertThat(stderrOf(125, "run", "--rootfs", root, "--memory", "1m", "true"))
                .isEqualTo("mdocker: invalid memory limit 1048576 bytes (1 MiB): expected at least 6 MiB\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--memory", "lots", "true"))
                .isEqualTo("mdocker: invalid size 'lots': expected a number with an optional unit b, k, m or g, such as 64m\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--cpus", "99", "true"))
                .startsWith("mdocker: invalid cpus 99.0: expected a number of CPUs from 0.01 to").hasLineCount(1);
        assertThat(stderrOf(125, "run", "--rootfs", root, "--pids-limit", "0", "true"))
                .isEqualTo("mdocker: invalid pids limit 0: expected a positive number of processes\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "--cpuset-cpus", "99", "true"))
                .startsWith("mdocker: invalid cpuset '99': CPU 99 does not exist").hasLineCount(1);
        assertThat(stderrOf(125, "run", "--rootfs", root, "--cpuset-mems", "99", "true"))
                .startsWith("mdocker: invalid cpuset mems '99': memory node 99 does not exist").hasLineCount(1);
    }

    @Test
    void badInputIs125WithOneLineAndLeavesNothing() throws Exception {
        String root = ROOTFS.toString();
        String state = STATE.toString();
        assertThat(stderrOf(125, "run", "--bogus", "x")).isEqualTo("mdocker: Unknown option: '--bogus' (see 'mdocker run --help')\n");
        assertThat(stderrOf(125, "run", "--rootfs", root)).startsWith("mdocker: Missing required parameter: 'CMD'");
        assertThat(stderrOf(125, "run", "--rootfs", "/no/such", "true"))
                .isEqualTo("mdocker: rootfs /no/such does not exist: expected a directory holding the container's root filesystem\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "-e", "=x", "true"))
                .isEqualTo("mdocker: invalid environment variable '=x': expected KEY=VALUE\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "-v", "/no/such:/x", "true"))
                .isEqualTo("mdocker: bind source /no/such does not exist\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "-v", "justone", "true"))
                .isEqualTo("mdocker: invalid volume 'justone': expected HOST:CONTAINER[:rw|:ro|:rro|:ro-non-recursive]\n");
        assertThat(stderrOf(125, "run", "--rootfs", root, "-h", "bad_name", "true"))
                .startsWith("mdocker: invalid hostname 'bad_name'").hasLineCount(1);
        assertThat(stderrOf(125, "run", "--rootfs", root, "--state-root", state, "-u", "root", "true"))
                .isEqualTo("mdocker: invalid user 'root': expected UID[:GID] with numeric ids\n");
        io.mdocker.ContainerRuntime.awaitCleanup(); // a run() returns before its teardown is over
        try (Stream<Path> s = Files.list(STATE.resolve("run/containers"))) {
            assertThat(s.toList()).isEmpty();
        }
        try (Stream<Path> s = Files.list(STATE.resolve("lib/containers"))) {
            assertThat(s.toList()).isEmpty();
        }
    }
}
