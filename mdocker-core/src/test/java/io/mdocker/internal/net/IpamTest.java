package io.mdocker.internal.net;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The allocator's rules, on a lease directory of its own (the veth checks query this host's links). */
class IpamTest {
    private static final Path ROOT = Path.of("target", "ipam-test").toAbsolutePath();

    private static Ipam ipam(String name, String cidr) throws IOException {
        Path dir = ROOT.resolve(name + "-" + System.nanoTime());
        Files.createDirectories(dir);
        Ipv4 gateway = Ipv4.parse(cidr, 32, "test");
        return new Ipam(dir, gateway, gateway.address());
    }

    private static Path owner(String name) throws IOException {
        return Files.createDirectories(ROOT.resolve("owners").resolve(name + "-" + System.nanoTime()));
    }

    @Test
    void lowestFreeAddressFirstAndReleaseGivesItBack() throws IOException {
        Ipam ipam = ipam("basic", "10.201.77.1/29");
        Path a = owner("a");
        Path b = owner("b");
        assertThat(Ipv4.format(ipam.allocate(a, "mdkaaaa", 0))).isEqualTo("10.201.77.2");
        assertThat(Ipv4.format(ipam.allocate(b, "mdkbbbb", 0))).isEqualTo("10.201.77.3");
        ipam.release(Ipv4.parseAddress("10.201.77.2", "", ""), b); // not b's: stays
        assertThat(ipam.leaseFile(Ipv4.parseAddress("10.201.77.2", "", ""))).exists();
        ipam.release(Ipv4.parseAddress("10.201.77.2", "", ""), a);
        assertThat(Ipv4.format(ipam.allocate(owner("c"), "mdkcccc", 0))).isEqualTo("10.201.77.2");
    }

    @Test
    void aStaleLeaseIsReclaimedOnlyWhenItsOwnerAndItsVethAreGone() throws IOException {
        Ipam ipam = ipam("stale", "10.201.78.1/30"); // one address for containers: .2
        Path dead = owner("dead");
        ipam.allocate(dead, "lo", 0); // "lo" stands for a veth that still exists
        Files.delete(dead);
        assertThatThrownBy(() -> ipam.allocate(owner("next"), "mdknext", 0)).isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("no free address left in 10.201.78.0/30: 1 are leased");
        // the same lease once its veth is gone too
        Path lease = ipam.leaseFile(Ipv4.parseAddress("10.201.78.2", "", ""));
        Files.writeString(lease, dead + "\nmdk-no-such\n");
        assertThat(Ipv4.format(ipam.allocate(owner("next"), "mdknext", 0))).isEqualTo("10.201.78.2");
    }

    @Test
    void aWantedAddressThatIsHeldIsRefused() throws IOException {
        Ipam ipam = ipam("wanted", "10.201.79.1/24");
        int wanted = Ipv4.parseAddress("10.201.79.50", "", "");
        Path holder = owner("holder");
        assertThat(ipam.allocate(holder, "mdkh", wanted)).isEqualTo(wanted);
        assertThatThrownBy(() -> ipam.allocate(owner("other"), "mdko", wanted))
                .hasMessageStartingWith("address 10.201.79.50 is already leased to another container on 10.201.79.0/24 (held by "
                        + holder + ")");
    }

    @Test
    void concurrentJvmsNeverCollide() throws Exception {
        Ipam ipam = ipam("jvms", "10.201.81.1/24");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> children = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            children.add(new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    IpamChild.class.getName(), ipam.dir().toString(), "10.201.81.1/24", "40")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }
        List<String> all = new java.util.ArrayList<>();
        for (Process p : children) {
            all.addAll(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList());
            assertThat(p.waitFor()).isZero();
        }
        assertThat(all).hasSize(120).doesNotHaveDuplicates();
    }

    @Test
    void concurrentAllocationsNeverCollide() throws Exception {
        Ipam ipam = ipam("concurrent", "10.201.80.1/24");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int n = i;
                futures.add(pool.submit(() -> ipam.allocate(owner("c" + n), "mdk" + n, 0)));
            }
            Set<Integer> got = new HashSet<>();
            for (Future<Integer> f : futures) {
                got.add(f.get());
            }
            assertThat(got).hasSize(100);
        } finally {
            pool.shutdownNow();
        }
    }
}
