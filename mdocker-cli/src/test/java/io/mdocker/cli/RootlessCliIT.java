package io.mdocker.cli;

import io.mdocker.testing.UnprivilegedUser;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The root ./mdocker launcher run by an unprivileged user ({@link UnprivilegedUser}, with
 * subordinate ranges) from a clean environment, on its default state roots (XDG): exit status and
 * output, root inside and the user's mapping, the default network none, a published port through
 * pasta reached with curl on 127.0.0.1, a detached container removed, and the refusal of a limit.
 */
@Tag("rootless")
class RootlessCliIT {
    private static UnprivilegedUser user;
    private static String mdocker;

    @BeforeAll
    static void createUser() throws Exception {
        Path project = Path.of(System.getenv().getOrDefault("MDOCKER_PROJECT_ROOT", "..")).toAbsolutePath().normalize();
        mdocker = project.resolve("mdocker").toString();
        user = UnprivilegedUser.create();
    }

    @AfterAll
    static void removeUser() throws Exception {
        if (user != null) {
            user.close();
        }
    }

    private static UnprivilegedUser.Result mdocker(String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = mdocker;
        System.arraycopy(args, 0, cmd, 1, args.length);
        return user.run(120, cmd);
    }

    @Test
    void runGivesTheCommandsStatusAndOutputWithRootInsideAndNoNetwork() throws Exception {
        UnprivilegedUser.Result r = mdocker("run", "--rootfs", user.rootfs().toString(), "sh", "-c",
                "id -u; ls /sys/class/net; cat /proc/self/uid_map; exit 3");
        assertThat(r.status()).as(r.output()).isEqualTo(3);
        assertThat(r.output().lines().map(l -> l.strip().replaceAll("\\s+", " ")).toList())
                .as("root inside, only lo (network none, the default when not root), the user's two ranges")
                .containsExactly("0", "lo", "0 " + user.uid() + " 1", "1 1300000 65536");
        UnprivilegedUser.Result none = mdocker("run", "--rootfs", user.rootfs().toString(), "--network", "none",
                "ls", "/sys/class/net");
        assertThat(none.status()).as(none.output()).isZero();
        assertThat(none.output()).isEqualTo("lo\n");
    }

    @Test
    void aPublishedPortThroughPastaAnswersCurlOnTheLoopback() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        UnprivilegedUser.Result started = mdocker("run", "-d", "--name", "rlweb", "--rootfs", user.rootfs().toString(),
                "--network", "pasta", "-p", "127.0.0.1:" + port + ":8080", "sh", "-c",
                "echo hello-rootless > /tmp/index.html; exec httpd -f -p 8080 -h /tmp");
        assertThat(started.status()).as(started.output()).isZero();
        try {
            String body = "";
            for (int i = 0; i < 100 && !body.equals("hello-rootless\n"); i++) {
                Process curl = new ProcessBuilder("curl", "-s", "--max-time", "2", "http://127.0.0.1:" + port + "/index.html")
                        .redirectErrorStream(true).start();
                body = new String(curl.getInputStream().readAllBytes());
                curl.waitFor();
                if (!body.equals("hello-rootless\n")) {
                    Thread.sleep(100);
                }
            }
            assertThat(body).isEqualTo("hello-rootless\n");
            UnprivilegedUser.Result ps = mdocker("ps", "-q");
            assertThat(ps.output().strip()).as(ps.output()).matches("[0-9a-f]{12}");
        } finally {
            UnprivilegedUser.Result rm = mdocker("rm", "-f", "rlweb");
            assertThat(rm.status()).as(rm.output()).isZero();
        }
        assertThat(mdocker("ps", "-a", "-q").output()).isEmpty();
    }

    @Test
    void aLimitWithoutADelegatedCgroupIsRefusedInOneLine() throws Exception {
        UnprivilegedUser.Result r = mdocker("run", "--rootfs", user.rootfs().toString(), "-m", "64m", "true");
        assertThat(r.status()).isEqualTo(125);
        assertThat(r.output()).contains("the memory limit needs a cgroup").contains("rootless user (uid " + user.uid() + ")");
        assertThat(r.output().strip().lines().count()).as(r.output()).isEqualTo(1);
    }
}
