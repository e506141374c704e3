package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.internal.fs.ContainerDirs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The state roots against other users of the host: a detached container's
 * secrets in its state and logs are readable by root alone, and a state root another user could
 * change is refused before anything is written below it.
 *
 * <p>The other user is a uid without an account ({@link #UID}), entered with {@code setpriv}: no
 * entry in /etc/passwd is made (others run tests on this host at the same time, and a crashed run
 * leaves no account behind), and the kernel's permission checks need a uid, not a name. Its files
 * are removed by the tests themselves. Under CI=true a missing setpriv fails the tests.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class StateRootSecurityTest {
    /** An unprivileged uid (and gid) no account on the test hosts uses. */
    static final int UID = 64123;
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    @BeforeAll
    static void prerequisites() {
        Fixtures.rootfs();
        Fixtures.prerequisite(Files.isExecutable(SETPRIV), "setpriv (util-linux) to act as an unprivileged user");
    }

    record Result(int status, String out) {}

    /** {@code script} run by /bin/sh as uid and gid {@link #UID}, no supplementary groups, no capabilities. */
    static Result asUser(String script) throws Exception {
        return run(List.of(SETPRIV.toString(), "--reuid", Integer.toString(UID), "--regid", Integer.toString(UID),
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "/bin/sh", "-c", script));
    }

    static Result asRoot(String script) throws Exception {
        return run(List.of("/bin/sh", "-c", script));
    }

    private static Result run(List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), out);
    }

    private static String mode(Path p) throws IOException {
        return Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777);
    }

    private static String random() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    @Test
    void aDetachedContainersSecretInItsStateAndLogsIsReadableByRootAlone() throws Exception {
        Path roots = Fixtures.STATE.resolve("secrets-" + random()); // new roots: made by the runtime, not left by a run before
        Path lib = roots.resolve("lib");
        Path run = roots.resolve("run");
        ContainerRuntime rt = ContainerRuntime.at(lib, run);
        String secret = "hunter2-" + random();
        DetachedContainer c = Fixtures.container().runtime(rt).env("SECRET", secret)
                .startDetached("/bin/sh", "-c", "echo $SECRET; echo $SECRET >&2; exec sleep 120");
        try {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!c.logs().contains(secret) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            String grep = "grep -rlF " + secret + " " + lib + " " + run;
            // the gate can open: root finds the secret in the state record and both logs
            Result root = asRoot(grep);
            Path state = run.resolve("containers").resolve(c.id()).resolve("state");
            assertThat(root.out()).as(root.toString()).contains(state.toString(), c.stdoutLog().toString(),
                    c.stderrLog().toString());
            // another user finds nothing, and cannot list the roots nor read a record by its path
            Result other = asUser(grep + " 2>/dev/null");
            assertThat(other.out()).as("what uid " + UID + " found").isEmpty();
            assertThat(other.status()).isNotZero();
            Result named = asUser("cat " + state + "; cat " + c.stdoutLog() + "; ls " + run + "; ls " + lib);
            assertThat(named.out()).doesNotContain(secret).contains("Permission denied");
            assertThat(asUser("cat " + state + " || ls " + run + " || ls " + lib).status()).isNotZero();
            // the modes: roots 0711, their directories 0700, the files 0600
            assertThat(mode(run)).isEqualTo("711");
            assertThat(mode(lib)).isEqualTo("711");
            for (String d : List.of("containers", "names", "exec-identities", "net")) {
                assertThat(mode(run.resolve(d))).as(d).isEqualTo("700");
            }
            assertThat(mode(lib.resolve("containers"))).isEqualTo("700");
            assertThat(mode(state)).isEqualTo("600");
            assertThat(mode(state.resolveSibling("lock"))).isEqualTo("600");
            assertThat(mode(c.stdoutLog())).isEqualTo("600");
            assertThat(mode(c.stderrLog())).isEqualTo("600");
            for (Path identity : Fixtures.list(run.resolve("exec-identities"))) {
                assertThat(mode(identity)).as(identity.toString()).isEqualTo("600");
            }
            c.stop(Duration.ofSeconds(5));
            assertThat(mode(state.resolveSibling("exit"))).isEqualTo("600");
        } finally {
            c.remove(true);
            ContainerDirs.deleteTree(roots);
        }
    }

    @Test
    void aStateRootAnotherUserOwnsOrPlantedLinksInIsRefusedBeforeAnythingIsWritten() throws Exception {
        Path dir = Path.of("/tmp/mdk-planted-" + random());
        Path own = Path.of("/tmp/mdk-own-" + random());
        Path parent = Files.createDirectories(Fixtures.TARGET.resolve("planted-" + random()));
        try {
            // the user's DIR/run/names and DIR/run/exec-identities lead to a directory of its own
            Result made = asUser("mkdir -m 755 " + dir + " " + dir + "/run " + own + " && ln -s " + own + " " + dir
                    + "/run/names && ln -s " + own + " " + dir + "/run/exec-identities");
            assertThat(made.status()).as(made.out()).isZero();
            ContainerRuntime rt = ContainerRuntime.at(dir.resolve("lib"), dir.resolve("run")); // as --state-root DIR
            assertThatThrownBy(() -> Fixtures.container().runtime(rt).name("planted-" + random()).run("/bin/true"))
                    .isInstanceOf(ContainerException.class)
                    .hasMessage("refusing the state root " + dir.resolve("lib") + ": " + dir + " belongs to uid " + UID
                            + ", another user than this runtime's (uid 0) and root (a state root and its parents must be "
                            + "writable by root and this runtime's user alone)");
            assertThatThrownBy(rt::list).isInstanceOf(ContainerException.class);
            assertThatThrownBy(rt::gc).isInstanceOf(ContainerException.class);
            assertThat(Fixtures.list(own)).as("written into the user's directory").isEmpty();
            assertThat(dir.resolve("lib")).as("created in the user's directory").doesNotExist();
            assertThat(Fixtures.list(dir.resolve("run"))).hasSize(2);

            // a link the user owns, in a root-owned 0755 directory, leading to its directory
            Files.setAttribute(parent, "unix:mode", 0755);
            Path link = Files.createSymbolicLink(parent.resolve("link"), own);
            Files.setAttribute(link, "unix:uid", UID, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(link, "unix:gid", UID, LinkOption.NOFOLLOW_LINKS);
            ContainerRuntime viaLink = ContainerRuntime.at(link.resolve("lib"), link.resolve("run"));
            assertThatThrownBy(() -> Fixtures.container().runtime(viaLink).run("/bin/true"))
                    .isInstanceOf(ContainerException.class)
                    .hasMessageStartingWith("refusing the state root " + link.resolve("lib") + ": " + link
                            + " is a symbolic link owned by uid " + UID);
            assertThat(Fixtures.list(own)).isEmpty();

            // a root-owned directory any user may write (no sticky bit)
            Path open = Files.createDirectory(parent.resolve("open"));
            Files.setAttribute(open, "unix:mode", 0777);
            ContainerRuntime writable = ContainerRuntime.at(open.resolve("lib"), open.resolve("run"));
            assertThatThrownBy(() -> Fixtures.container().runtime(writable).run("/bin/true"))
                    .isInstanceOf(ContainerException.class)
                    .hasMessageStartingWith("refusing the state root " + open.resolve("lib") + ": " + open
                            + " is writable by other users (mode 777)");
            assertThat(Fixtures.list(open)).isEmpty();
        } finally {
            ContainerDirs.deleteTree(dir);
            ContainerDirs.deleteTree(own);
            ContainerDirs.deleteTree(parent);
        }
    }

    @Test
    void aRootOwned0755StateRootWorksAndALinkRootOwnsIsFollowed() throws Exception {
        Path dir = Files.createDirectories(Fixtures.TARGET.resolve("state-ok-" + random()));
        try {
            Files.setAttribute(dir, "unix:mode", 0755);
            ContainerRuntime rt = ContainerRuntime.at(dir.resolve("lib"), dir.resolve("run"));
            ExecResult r = Fixtures.container().runtime(rt).name("ok-" + random()).run("/bin/sh", "-c", "echo ran");
            assertThat(r.stdout()).isEqualTo("ran\n");
            ContainerRuntime.awaitCleanup(); // run() leaves the teardown to a background thread
            assertThat(mode(dir.resolve("run"))).isEqualTo("711");
            assertThat(mode(dir.resolve("run/names"))).isEqualTo("700");

            // an older root of 0755 directories is made private; a link root owns is followed
            Files.setAttribute(dir.resolve("run"), "unix:mode", 0755);
            Files.setAttribute(dir.resolve("run/containers"), "unix:mode", 0755);
            Path link = Files.createSymbolicLink(dir.resolve("alias"), dir);
            ContainerRuntime viaLink = ContainerRuntime.at(link.resolve("lib"), link.resolve("run"));
            assertThat(viaLink.list()).isEmpty();
            assertThat(mode(dir.resolve("run"))).isEqualTo("711");
            assertThat(mode(dir.resolve("run/containers"))).isEqualTo("700");
            assertThat(Fixtures.container().runtime(viaLink).run("/bin/true").exitCode()).isZero();
        } finally {
            ContainerDirs.deleteTree(dir);
        }
    }
}
