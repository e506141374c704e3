package io.mdocker;

import io.mdocker.testing.UnprivilegedUser;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rootless warm pool, as an unprivileged user ({@link UnprivilegedUser}): the user's JVM
 * ({@link RootlessPoolProbe}) opens {@code ContainerRuntime.pool(definition, 2)}; the pool fills
 * with two parked sandboxes (their monitors the JVM's children), a claim through the pool runs
 * its command as root of a user namespace of its own (the user's two-line map) with the
 * definition's environment and hostname, stdout, stderr and exit code; a matching definition's
 * start() claims a parked sandbox, and exec works in it; a command that cannot start is the
 * cold start's error. A pool on a rootless named network (mdn1, 10.216.1.0/24): its claimed sandbox
 * has an address of the subnet, fetches a page from a container of the network by name, and is in
 * the holder's user namespace. After close no state entry, writable layer, network file or process
 * is left.
 */
@Tag("rootless")
class RootlessPoolTest {
    private static UnprivilegedUser user;
    private static String classpath;

    @BeforeAll
    static void createUser() throws Exception {
        user = UnprivilegedUser.create();
        classpath = user.classpath(List.of(RootlessPoolProbe.class, ContainerRuntime.class,
                io.mdocker.bindings.Linux.class, com.fasterxml.jackson.databind.JsonNode.class,
                com.fasterxml.jackson.core.JsonFactory.class, com.fasterxml.jackson.annotation.JsonProperty.class,
                com.github.luben.zstd.Zstd.class));
    }

    @AfterAll
    static void removeAll() throws Exception {
        if (user != null) {
            user.close();
        }
    }

    @Test
    void aClaimedSandboxRunsRootlessAndCloseLeavesNothing() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>();
        Optional.ofNullable(System.getenv("JAVA_TOOL_OPTIONS")).ifPresent(o -> cmd.addAll(List.of("/usr/bin/env",
                "JAVA_TOOL_OPTIONS=" + o)));
        cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", classpath,
                RootlessPoolProbe.class.getName(), user.rootfs().toString()));
        Process p = user.command(cmd).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, String> r = new LinkedHashMap<>();
        out.lines().filter(l -> l.contains("=")).forEach(l -> r.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));

        assertThat(r.get("full")).as(out).isEqualTo("true");
        assertThat(r.get("parked")).as(out).isEqualTo("2");
        assertThat(r.get("monitors")).as(out + ": the parked sandboxes' monitors").isEqualTo("2");
        // root of a user namespace of its own (subordinate ids: two map lines), not the JVM's
        String[] run = r.get("run").split("\\|");
        assertThat(run).as(out).hasSize(6);
        assertThat(run[0]).isEqualTo("3 1");
        assertThat(run[1]).isEqualTo("pooled");
        assertThat(run[2]).isEqualTo("0");
        assertThat(run[3]).isEqualTo("2");
        assertThat(run[4]).startsWith("user:[").isNotEqualTo(r.get("jvmuserns"));
        assertThat(run[5]).isEqualTo("err");
        assertThat(r.get("full2")).as(out).isEqualTo("true");
        assertThat(r.get("start")).as(out + ": a matching definition's start() claims a parked sandbox")
                .isEqualTo("true in-pooled 2 /tmp/work");
        assertThat(r.get("claims")).as(out).isEqualTo("2 0");
        assertThat(r.get("badcommand!")).as(out + ": the cold start's error")
                .isEqualTo("ExecFailedException: executable file not found in rootfs: /no/such/program");
        // on a rootless named network: an address of its subnet, the server by name, the holder's user namespace
        assertThat(r.get("netfull")).as(out).isEqualTo("true");
        String[] net = r.get("netrun").split("\\|");
        assertThat(net).as(out).hasSize(3);
        assertThat(net[0]).matches("0 10\\.216\\.1\\.\\d+/24");
        assertThat(net[1]).isEqualTo("pooled-web");
        assertThat(net[2]).isEqualTo(r.get("webuserns"));
        // nothing left: state entries, writable layers, processes, pools
        assertThat(r.get("leftrun")).as(out).isEqualTo("[]");
        assertThat(r.get("leftlib")).as(out).isEqualTo("[]");
        assertThat(r.get("children")).as(out).isEqualTo("0");
        assertThat(r.get("pools")).as(out).isEqualTo("0");
        assertThat(r.get("leftnet")).as(out).isEqualTo("[]");
        assertThat(UnprivilegedUser.sh("pgrep -u " + UnprivilegedUser.NAME + " || true").strip()).as("the user's processes")
                .isEmpty();
        try (var s = Files.list(user.dir().resolve("run"))) {
            assertThat(s.map(f -> f.getFileName().toString()).toList()).containsOnly("mdocker");
        }
    }
}
