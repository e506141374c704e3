package io.mdocker.cli.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.internal.run.OciCreate;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The config.json files Podman 4.3 and {@code runc spec --rootless} write, turned into the
 * engine's plan: mount flags and data, namespaces, cgroup placement, capabilities; and the
 * one-line refusals of what mdocker-runtime cannot do.
 */
class OciPlannerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path bundle;

    private OciConfig config(String name, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode n;
        try (InputStream in = getClass().getResourceAsStream("/oci/" + name)) {
            n = (ObjectNode) JSON.readTree(in);
        }
        Files.createDirectories(bundle.resolve("rootfs/tmp"));
        n.with("root").put("path", "rootfs");
        n.with("process").put("terminal", false);
        edit.accept(n);
        return OciConfigReader.parse(JSON.writeValueAsBytes(n));
    }

    private OciCreate.Plan plan(OciConfig c) {
        return OciPlanner.plan("abc", bundle, c, Optional.empty(), bundle.resolve("fifo"), false, bundle);
    }

    @Test
    void podmanConfig() throws IOException {
        OciCreate.Plan p = plan(config("podman.json", n -> { }));
        assertThat(p.rootfs()).isEqualTo(bundle.resolve("rootfs").toRealPath());
        assertThat(p.nsflags()).isEqualTo(OciPlanner.CLONE_NEWPID | OciPlanner.CLONE_NEWNET | OciPlanner.CLONE_NEWIPC
                | OciPlanner.CLONE_NEWUTS | OciPlanner.CLONE_NEWNS | OciPlanner.CLONE_NEWCGROUP);
        OciCreate.Mount dev = p.mounts().stream().filter(m -> m.target().equals("/dev")).findFirst().orElseThrow();
        assertThat(dev.type()).isEqualTo("tmpfs");
        assertThat(dev.flags()).isEqualTo(OciPlanner.MS_NOSUID | OciPlanner.MS_NOEXEC | OciPlanner.MS_STRICTATIME);
        assertThat(dev.data()).isEqualTo("mode=755,size=65536k");
        OciCreate.Mount shm = p.mounts().stream().filter(m -> m.target().equals("/dev/shm")).findFirst().orElseThrow();
        assertThat(shm.flags()).isEqualTo(OciPlanner.MS_BIND | OciPlanner.MS_NOSUID | OciPlanner.MS_NOEXEC | OciPlanner.MS_NODEV);
        assertThat(shm.propagation()).isZero(); // rprivate is what mdocker-init makes every mount
        assertThat(p.mounts()).noneMatch(m -> m.type().startsWith("cgroup"));
        assertThat(p.cgroupMount()).isTrue();
        assertThat(p.cgroupMountRw()).isFalse();
        assertThat(p.cgroupLeaf()).startsWith("libpod-");
        assertThat(p.cgroups().parent()).isEqualTo("/libpod_parent");
        assertThat(p.cgroups().memory()).isEqualTo(64L << 20);
        assertThat(p.cgroups().pidsMax()).isEqualTo(50);
        assertThat(p.groups()).containsExactly(1000);
        assertThat(p.uid()).isEqualTo(1000);
        assertThat(p.deviceRules().isDefault()).as(p.deviceRules().toString()).isTrue();
        assertThat(p.seccomp()).isPresent();
        assertThat(p.sysctl()).containsEntry("net.ipv4.ping_group_range", "0 0");
        assertThat(p.caps()[0] & 1L).isEqualTo(1L); // CAP_CHOWN (0) in the bounding set, CAP_SYS_ADMIN (21) not
        assertThat(p.caps()[0] & (1L << 21)).isZero();
    }

    @Test
    void plansDeviceNodes() throws IOException {
        OciCreate.Plan p = plan(config("podman.json", n -> {
            ArrayNode devices = n.with("linux").putArray("devices");
            devices.addObject().put("type", "c").put("path", "/dev/fuse").put("major", 10).put("minor", 229)
                    .put("fileMode", 0620).put("uid", 1000).put("gid", 5);
            devices.addObject().put("type", "b").put("path", "/dev/loop9").put("major", 7).put("minor", 9);
        }));
        assertThat(p.devices()).containsExactly(new OciCreate.Device(0020000, 10, 229, 0620, 1000, 5, "/dev/fuse"),
                new OciCreate.Device(0060000, 7, 9, 0666, 0, 0, "/dev/loop9"));
    }

    /** A device plugin's rule after Podman's default ones: the default list and that allowance; allow-all: none. */
    @Test
    void plansDeviceRules() throws IOException {
        OciCreate.Plan p = plan(config("podman.json", n -> ((ArrayNode) n.with("linux").with("resources").get("devices"))
                .addObject().put("allow", true).put("type", "c").put("major", 10).put("minor", 229).put("access", "rwm")));
        assertThat(p.deviceRules().isDefault()).isFalse();
        assertThat(p.deviceRules().v1List()).contains("c 10:229 rwm", "c 1:3 rwm").hasSize(io.mdocker.internal.security.DevicesCgroupV1.RULES.size() + 1);
        OciCreate.Plan all = plan(config("podman.json", n -> n.with("linux").with("resources").putArray("devices")
                .addObject().put("allow", true).put("access", "rwm")));
        assertThat(all.deviceRules().allowsAll()).isTrue();
    }

    @Test
    void joinsNamespacesByPath() throws IOException {
        OciCreate.Plan p = plan(config("runc.json", n -> ((ObjectNode) n.with("linux").get("namespaces").get(1))
                .put("path", "/proc/self/ns/net")));
        assertThat(p.nsflags() & OciPlanner.CLONE_NEWNET).isZero();
        assertThat(p.joinNamespaces()).containsEntry(OciPlanner.CLONE_NEWNET, Path.of("/proc/self/ns/net"));
        // a pid namespace joined: pid 1 is cloned into it (CLONE_NEWPID stays: not the host's)
        OciCreate.Plan pid = plan(config("runc.json", n -> ((ObjectNode) n.with("linux").get("namespaces").get(0))
                .put("path", "/proc/self/ns/pid")));
        assertThat(pid.nsflags() & OciPlanner.CLONE_NEWPID).isEqualTo(OciPlanner.CLONE_NEWPID);
        assertThat(pid.joinNamespaces()).containsEntry(OciPlanner.CLONE_NEWPID, Path.of("/proc/self/ns/pid"));
    }

    @Test
    void refusesWhatItCannotDo() throws IOException {
        OciConfig rootless = config("runc-rootless.json", n -> { });
        assertThatThrownBy(() -> plan(rootless)).hasMessage("linux.namespaces[4].type: a user namespace is not supported");
        OciConfig tty = config("runc.json", n -> n.with("process").put("terminal", true));
        assertThatThrownBy(() -> plan(tty)).hasMessageStartingWith("process.terminal is true, but no --console-socket");
        OciConfig systemd = config("podman.json", n -> n.with("linux").put("cgroupsPath", "machine.slice:libpod:abc"));
        assertThatThrownBy(() -> plan(systemd)).hasMessageContaining("systemd's slice:prefix:name form");
        OciConfig mnt = config("podman.json", n -> ((ObjectNode) n.with("linux").get("namespaces").get(4))
                .put("path", "/proc/self/ns/mnt"));
        assertThatThrownBy(() -> plan(mnt)).hasMessageStartingWith("linux.namespaces[4].path: joining a mount namespace");
        OciConfig device = config("podman.json", n -> n.with("linux").putArray("devices").addObject()
                .put("type", "c").put("path", "/dev/../etc/x").put("major", 10).put("minor", 229));
        assertThatThrownBy(() -> plan(device)).hasMessage(
                "linux.devices[0].path: '/dev/../etc/x' (expected an absolute, normalized path under /dev)");
        OciConfig option = config("podman.json", n -> n.withArray("mounts").addObject().put("destination", "/x")
                .put("type", "bind").put("source", "/tmp").putArray("options").add("rbind").add("idmap"));
        assertThatThrownBy(() -> plan(option)).hasMessage("mounts[10] (/x): mount option 'idmap' is not supported");
        OciConfig noRoot = config("podman.json", n -> n.with("root").put("path", "missing"));
        assertThatThrownBy(() -> plan(noRoot)).hasMessageStartingWith("root.path: " + bundle.resolve("missing"));
    }
}
