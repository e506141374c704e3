package io.mdocker.cli.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.SeccompProfile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * config.json files as {@code runc spec}, {@code runc spec --rootless} and Podman 4.3 write them
 * (captured on this machine, in src/test/resources/oci), read into {@link OciConfig}; and the
 * refusals: an unknown field, a wrong type or value, each in one line naming the field.
 */
class OciConfigReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static byte[] resource(String name) {
        try (InputStream in = OciConfigReaderTest.class.getResourceAsStream("/oci/" + name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] edited(String name, Consumer<ObjectNode> edit) {
        try {
            ObjectNode n = (ObjectNode) JSON.readTree(resource(name));
            edit.accept(n);
            return JSON.writeValueAsBytes(n);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void readsRuncSpec() {
        OciConfig c = OciConfigReader.parse(resource("runc.json"));
        assertThat(c.ociVersion()).isEqualTo("1.0.2-dev");
        assertThat(c.process().terminal()).isTrue();
        assertThat(c.process().args()).containsExactly("sh");
        assertThat(c.process().env()).contains("TERM=xterm");
        assertThat(c.process().cwd()).isEqualTo("/");
        assertThat(c.process().capabilities().orElseThrow().bounding())
                .containsExactly("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE");
        assertThat(c.process().rlimits()).containsExactly(new OciConfig.Rlimit("RLIMIT_NOFILE", 1024, 1024));
        assertThat(c.process().noNewPrivileges()).isTrue();
        assertThat(c.root()).isEqualTo(new OciConfig.Root("rootfs", true));
        assertThat(c.hostname()).contains("runc");
        assertThat(c.mounts()).extracting(OciConfig.Mount::type)
                .containsExactly("proc", "tmpfs", "devpts", "tmpfs", "mqueue", "sysfs", "cgroup");
        assertThat(c.mounts().get(2).options()).contains("newinstance", "ptmxmode=0666");
        assertThat(c.linux().namespaces()).extracting(OciConfig.Namespace::type)
                .containsExactly("pid", "network", "ipc", "uts", "mount");
        assertThat(c.linux().resources().devices())
                .containsExactly(new OciConfig.DeviceRule(false, "a", -1, -1, "rwm"));
        assertThat(c.linux().maskedPaths()).contains("/proc/kcore", "/sys/firmware");
        assertThat(c.linux().readonlyPaths()).contains("/proc/sys", "/proc/sysrq-trigger");
        assertThat(c.hooks()).isEqualTo(OciConfig.Hooks.NONE);
    }

    @Test
    void readsRuncRootlessSpec() {
        OciConfig c = OciConfigReader.parse(resource("runc-rootless.json"));
        assertThat(c.linux().namespaces()).extracting(OciConfig.Namespace::type).contains("user");
        assertThat(c.linux().uidMappings()).hasSize(1);
        assertThat(c.linux().uidMappings().get(0).containerId()).isZero();
        assertThat(c.linux().uidMappings().get(0).size()).isEqualTo(1);
        assertThat(c.linux().gidMappings()).hasSize(1);
        assertThat(c.mounts()).anySatisfy(m -> {
            assertThat(m.destination()).isEqualTo("/sys");
            assertThat(m.type()).isEqualTo("bind");
            assertThat(m.options()).contains("rbind", "ro");
        });
    }

    @Test
    void readsPodmanSpec() {
        OciConfig c = OciConfigReader.parse(resource("podman.json"));
        assertThat(c.process().user()).isEqualTo(new OciConfig.User(1000, 1000, java.util.OptionalInt.of(18),
                java.util.List.of(1000)));
        assertThat(c.process().cwd()).isEqualTo("/tmp");
        assertThat(c.process().env()).contains("A=b");
        assertThat(c.linux().resources().memoryLimit()).hasValue(64L << 20);
        assertThat(c.linux().resources().pidsLimit()).hasValue(50);
        assertThat(c.linux().cgroupsPath()).get().asString().startsWith("/libpod_parent/libpod-");
        assertThat(c.linux().sysctl()).containsEntry("net.ipv4.ping_group_range", "0 0");
        assertThat(c.annotations()).containsKey("io.container.manager");
        SeccompProfile seccomp = c.linux().seccomp().orElseThrow();
        assertThat(seccomp.defaultAction()).isEqualTo(SeccompProfile.Action.errno(38));
        assertThat(seccomp.rules()).isNotEmpty();
        assertThat(c.mounts()).filteredOn(m -> m.destination().equals("/etc/hosts")).singleElement()
                .satisfies(m -> {
                    assertThat(m.type()).isEqualTo("bind");
                    assertThat(m.options()).contains("rprivate");
                });
    }

    @Test
    void readsHooksNamespacePathsAndDevices() {
        OciConfig c = OciConfigReader.parse(edited("runc.json", n -> {
            ObjectNode hooks = n.putObject("hooks");
            hooks.putArray("createRuntime").addObject().put("path", "/bin/true").put("timeout", 5)
                    .putArray("args").add("true").add("x");
            hooks.putArray("poststop").addObject().put("path", "/bin/echo").putArray("env").add("A=1");
            ((ArrayNode) n.with("linux").get("namespaces")).addObject().put("type", "cgroup");
            ((ObjectNode) n.with("linux").get("namespaces").get(1)).put("path", "/run/netns/x");
            n.with("linux").putArray("devices").addObject().put("type", "c").put("path", "/dev/fuse")
                    .put("major", 10).put("minor", 229).put("fileMode", 0666);
            n.with("process").putObject("consoleSize").put("height", 24).put("width", 80);
            n.with("process").put("oomScoreAdj", 100);
            n.with("linux").put("rootfsPropagation", "rslave");
        }));
        assertThat(c.hooks().createRuntime()).singleElement().satisfies(h -> {
            assertThat(h.args()).containsExactly("true", "x");
            assertThat(h.timeout()).hasValue(5);
        });
        assertThat(c.hooks().poststop().get(0).env()).containsExactly("A=1");
        assertThat(c.linux().namespaces().get(1)).isEqualTo(
                new OciConfig.Namespace("network", java.util.Optional.of("/run/netns/x")));
        assertThat(c.linux().devices()).singleElement().satisfies(d -> assertThat(d.major()).isEqualTo(10));
        assertThat(c.process().consoleSize()).contains(new OciConfig.ConsoleSize(24, 80));
        assertThat(c.process().oomScoreAdj()).hasValue(100);
        assertThat(c.linux().rootfsPropagation()).contains("rslave");
    }

    private static void refused(String expected, Consumer<ObjectNode> edit) {
        byte[] json = edited("runc.json", edit);
        assertThatThrownBy(() -> OciConfigReader.parse(json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(expected)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void refusesUnknownFieldsByTheirPath() {
        refused("unsupported field linux.intelRdt", n -> n.with("linux").putObject("intelRdt").put("closID", "x"));
        refused("unsupported field process.ioPriority", n -> n.with("process").putObject("ioPriority"));
        refused("unsupported field linux.resources.blockIO", n -> n.with("linux").with("resources").putObject("blockIO"));
        refused("unsupported field linux.resources.memory.disableOOMKiller (true)",
                n -> n.with("linux").with("resources").putObject("memory").put("disableOOMKiller", true));
        refused("unsupported field vm", n -> n.putObject("vm"));
        refused("unsupported field process.apparmorProfile ('docker-default')",
                n -> n.with("process").put("apparmorProfile", "docker-default"));
        refused("unsupported field mounts[0].uidMappings[0] (idmapped mounts)",
                n -> ((ObjectNode) n.get("mounts").get(0)).putArray("uidMappings").addObject());
    }

    @Test
    void refusesWrongTypesAndValues() {
        refused("process.args: empty (expected the command to run)", n -> n.with("process").putArray("args"));
        refused("process.user.uid: expected a 32-bit integer, got \"root\"",
                n -> n.with("process").with("user").put("uid", "root"));
        refused("process.cwd: 'tmp' is not an absolute path", n -> n.with("process").put("cwd", "tmp"));
        refused("process.env: 'NOEQUALS' is not KEY=VALUE", n -> n.with("process").putArray("env").add("NOEQUALS"));
        refused("mounts[1].type: 'nfs' is not supported (expected one of [bind, cgroup, cgroup2, devpts, mqueue, proc, sysfs, tmpfs])",
                n -> ((ObjectNode) n.get("mounts").get(1)).put("type", "nfs"));
        refused("linux.namespaces[0].type: namespace 'time' is not supported (expected one of [cgroup, ipc, mount, network, pid, user, uts])",
                n -> ((ObjectNode) n.with("linux").get("namespaces").get(0)).put("type", "time"));
        refused("linux.namespaces: 'pid' appears twice",
                n -> ((ArrayNode) n.with("linux").get("namespaces")).addObject().put("type", "pid"));
        refused("process.rlimits[0].type: 'NOFILE' is not an RLIMIT_ name",
                n -> ((ObjectNode) n.with("process").get("rlimits").get(0)).put("type", "NOFILE"));
        refused("ociVersion: 2.0.0 is not supported (expected 1.x)", n -> n.put("ociVersion", "2.0.0"));
        refused("root: missing (required)", n -> n.remove("root"));
        refused("linux.seccomp: unknown action 'SCMP_ACT_NOPE'",
                n -> n.with("linux").putObject("seccomp").put("defaultAction", "SCMP_ACT_NOPE"));
        refused("linux.resources.devices[0].access: 'rwx' (expected letters of rwm)",
                n -> ((ObjectNode) n.with("linux").with("resources").get("devices").get(0)).put("access", "rwx"));
        refused("process.oomScoreAdj: 2000 is outside -1000..1000", n -> n.with("process").put("oomScoreAdj", 2000));
        refused("hooks.poststart[0].path: 'true' is not an absolute path",
                n -> n.putObject("hooks").putArray("poststart").addObject().put("path", "true"));
    }

    @Test
    void refusesWhatIsNotJson() {
        assertThatThrownBy(() -> OciConfigReader.parse("{".getBytes(StandardCharsets.UTF_8)))
                .hasMessageStartingWith("config.json is not valid JSON: ");
        assertThatThrownBy(() -> OciConfigReader.parse("[]".getBytes(StandardCharsets.UTF_8)))
                .hasMessage("config.json: expected a JSON object");
    }
}
