package io.mdocker.testing;

import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.net.Ipv4;
import io.mdocker.internal.sys.Posix;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@link TestBridge} does: ip_forward remembered before a class, its test bridge, the
 * bridge's NAT rules and the named veth rules removed after it, ip_forward restored. Acts only for
 * the class that carries the annotation (not again for its {@code @Nested} classes). The same
 * removal is {@link #removeBridge}, for tests that make and remove a bridge on their own schedule.
 */
public final class TestBridgeExtension implements BeforeAllCallback, AfterAllCallback {
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(TestBridgeExtension.class);
    /** How long the veth pairs of closed containers may take to go. */
    private static final Duration RELEASE_PATIENCE = Duration.ofSeconds(20);

    @Override
    public void beforeAll(ExtensionContext context) {
        TestBridge bridge = annotation(context);
        if (bridge != null) {
            context.getStore(NAMESPACE).put(context.getRequiredTestClass(), ipForward());
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        TestBridge bridge = annotation(context);
        if (bridge == null) {
            return;
        }
        String before = context.getStore(NAMESPACE).remove(context.getRequiredTestClass(), String.class);
        if (before == null || Posix.geteuid() != 0) {
            return; // not root: nothing was made, and nothing could be removed
        }
        removeBridge(bridge.name(), bridge.address(), before, bridge.vethRules());
    }

    /** The annotation of the class this context is of, when it carries one itself. */
    private static TestBridge annotation(ExtensionContext context) {
        return context.getTestClass().map(c -> c.getAnnotation(TestBridge.class)).orElse(null);
    }

    /** {@code /proc/sys/net/ipv4/ip_forward} now ("0" or "1"). */
    public static String ipForward() {
        try {
            return Files.readString(IP_FORWARD).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Once the veth pairs of closed containers are gone: removes the bridge {@code name} and its
     * NAT rules and the rules of the veth networks {@code vethRules}; restores ip_forward to "0"
     * when {@code ipForwardBefore} was "0"; then checks that neither the link nor a rule naming
     * the subnets is left. Everything is attempted; the first failure is thrown at the end.
     */
    public static void removeBridge(String name, String address, String ipForwardBefore, String... vethRules) {
        List<Throwable> failures = new ArrayList<>();
        Ipv4 gateway = Ipv4.parse(address, 32, "test bridge");
        if (!ContainerNetwork.awaitReleases(RELEASE_PATIENCE)) {
            failures.add(new AssertionError("the veth pairs of closed containers were not released within "
                    + RELEASE_PATIENCE.toSeconds() + " s; removing bridge " + name + " anyway"));
        }
        List<String> subnets = new ArrayList<>(List.of(cidr(gateway.network())));
        for (String veth : vethRules) {
            attempt(failures, () -> {
                Ipv4 subnet = Ipv4.parse(veth, 32, "veth rules");
                ContainerNetwork.removeVethRules(subnet);
                subnets.add(cidr(subnet));
            });
        }
        attempt(failures, () -> ContainerNetwork.removeBridge(name, gateway));
        if ("0".equals(ipForwardBefore)) {
            attempt(failures, () -> Files.writeString(IP_FORWARD, "0\n"));
        }
        if (Files.exists(Path.of("/sys/class/net", name))) {
            failures.add(new AssertionError("test bridge " + name + " is still there after its removal"));
        }
        attempt(failures, () -> {
            List<String> left = NetFixtures.iptablesRules().stream()
                    .filter(r -> subnets.stream().anyMatch(r::contains)).toList();
            if (!left.isEmpty()) {
                throw new AssertionError("iptables rules of test bridge " + name + " left: " + left);
            }
        });
        if (!failures.isEmpty()) {
            Throwable first = failures.getFirst();
            failures.stream().skip(1).forEach(first::addSuppressed);
            if (first instanceof RuntimeException r) {
                throw r;
            }
            if (first instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(first);
        }
    }

    private static String cidr(Ipv4 net) {
        return Ipv4.format(net.address()) + "/" + net.prefix();
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void attempt(List<Throwable> failures, Step step) {
        try {
            step.run();
        } catch (Exception | AssertionError e) {
            failures.add(e);
        }
    }
}
