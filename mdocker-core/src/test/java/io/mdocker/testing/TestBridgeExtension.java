package io.mdocker.testing;

import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.net.Ipv4;
import io.mdocker.internal.sys.Posix;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@link TestBridge} does: ip_forward remembered before a class, its test bridge, the
 * bridge's NAT rules and the named veth rules removed after it (from outside the runtime, with
 * {@code ip}, {@code iptables} and {@code nft}), ip_forward restored. Acts only for
 * the class that carries the annotation (not again for its {@code @Nested} classes). The same
 * removal is {@link #removeBridge}, for tests that make and remove a bridge on their own schedule.
 */
public final class TestBridgeExtension implements BeforeAllCallback, AfterAllCallback {
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(TestBridgeExtension.class);
    /** How long the veth pairs of closed containers may take to go. */
    private static final Duration RELEASE_PATIENCE = Duration.ofSeconds(20);
    /** The comment the runtime tags a bridge's iptables rules with, before the bridge's name. */
    private static final String BRIDGE_TAG = "mdocker ";
    /** The comment the runtime tags a veth network's iptables rules with, before its subnet. */
    private static final String VETH_TAG = "mdocker veth ";
    /** The chain of the runtime's bridge isolation rules, deleted once nothing is left in it. */
    private static final String ISOLATION = "MDOCKER-ISOLATION";
    /** The bridge alias that names the lease directory of a bridge the runtime made. */
    private static final String LEASES_ALIAS = "mdocker leases ";
    /** The runtime's anti-spoofing table (nftables, bridge family) and the lock it takes to change it. */
    private static final String GUARD_TABLE = "mdocker";
    private static final Path GUARD_LOCK = Path.of("/run/mdocker-nft.lock");

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
     * Once the veth pairs of closed containers are gone: removes the bridge {@code name} and the
     * iptables rules the runtime tags with it, and the rules of the veth networks {@code vethRules};
     * restores ip_forward to "0" when {@code ipForwardBefore} was "0"; then checks that neither the
     * link nor a rule naming the subnets is left. Everything is attempted; the first failure is
     * thrown at the end.
     *
     * <p>This is the fixture's own removal, done as an administrator would from outside the runtime
     * ({@code ip link del}, {@code iptables -D}, {@code nft delete table}): it neither checks for
     * users nor removes the leases, and containers still attached lose their network. The runtime
     * notices a bridge removed behind its back and makes it, and its rules, again for the next
     * container.
     */
    public static void removeBridge(String name, String address, String ipForwardBefore, String... vethRules) {
        List<Throwable> failures = new ArrayList<>();
        Ipv4 gateway = Ipv4.parse(address, 32, "test bridge");
        if (!ContainerNetwork.awaitReleases(RELEASE_PATIENCE)) {
            failures.add(new AssertionError("the veth pairs of closed containers were not released within "
                    + RELEASE_PATIENCE.toSeconds() + " s; removing bridge " + name + " anyway"));
        }
        List<String> subnets = new ArrayList<>(List.of(gateway.network().toString()));
        List<String> tags = new ArrayList<>(List.of(BRIDGE_TAG + name));
        for (String veth : vethRules) {
            attempt(failures, () -> {
                String subnet = Ipv4.parse(veth, 32, "veth rules").network().toString();
                subnets.add(subnet);
                tags.add(VETH_TAG + subnet);
            });
        }
        attempt(failures, () -> deleteRules(tags));
        attempt(failures, () -> deleteHostsFile(name));
        attempt(failures, () -> {
            if (Files.exists(Path.of("/sys/class/net", name))) {
                command("ip", "link", "del", name);
            }
        });
        attempt(failures, TestBridgeExtension::deleteGuardIfUnused);
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

    /**
     * Deletes every rule of the nat and filter tables whose comment is one of {@code tags} (each
     * copy: {@code iptables -S} lists them as they were added, {@code -D} with the same arguments
     * deletes one), then the isolation chain if it is left empty and unreferenced.
     */
    private static void deleteRules(List<String> tags) {
        for (String table : List.of("nat", "filter")) {
            for (String line : command("iptables", "-w", "-t", table, "-S").lines().toList()) {
                List<String> rule = words(line);
                int comment = rule.indexOf("--comment");
                if (rule.size() > 2 && rule.getFirst().equals("-A") && comment > 0 && comment + 1 < rule.size()
                        && tags.contains(rule.get(comment + 1))) {
                    List<String> delete = new ArrayList<>(List.of("iptables", "-w", "-t", table, "-D"));
                    delete.addAll(rule.subList(1, rule.size()));
                    command(delete.toArray(String[]::new));
                }
            }
        }
        Ran isolation = run("iptables", "-w", "-t", "filter", "-S", ISOLATION);
        if (isolation.status() == 0 && isolation.output().lines().noneMatch(l -> l.startsWith("-A "))) {
            run("iptables", "-w", "-t", "filter", "-X", ISOLATION); // refused while FORWARD still jumps to it: kept
        }
    }

    /** The hosts file of a bridge the runtime made, beside the lease directory its alias names. */
    private static void deleteHostsFile(String bridge) throws IOException {
        Path alias = Path.of("/sys/class/net", bridge, "ifalias");
        if (!Files.exists(alias)) {
            return;
        }
        String text = Files.readString(alias).strip();
        if (text.startsWith(LEASES_ALIAS)) {
            Path leases = Path.of(text.substring(LEASES_ALIAS.length()));
            Files.deleteIfExists(leases.resolveSibling(leases.getFileName() + ".hosts"));
        }
    }

    /**
     * Deletes the runtime's anti-spoofing table when no container has elements in it, under the
     * runtime's own lock (an fcntl lock, as the runtime takes it: this JVM's containers are all
     * closed and released by now, so it holds no lock of its own on the file).
     */
    private static void deleteGuardIfUnused() throws IOException {
        if (run("nft", "--version").status() != 0) {
            return; // without nft no container was ever guarded
        }
        try (FileChannel ch = FileChannel.open(GUARD_LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = ch.lock()) {
            Ran table = run("nft", "list", "table", "bridge", GUARD_TABLE);
            if (table.status() == 0 && table.output().lines().map(String::strip).noneMatch(l -> l.startsWith("elements = "))) {
                command("nft", "delete", "table", "bridge", GUARD_TABLE);
            }
        }
    }

    /** What a command printed (stdout and stderr) and its exit status (-1: it could not be started). */
    private record Ran(int status, String output) { }

    /** {@code command}'s output; an exception naming the command and what it printed when it fails. */
    private static String command(String... command) {
        Ran r = run(command);
        if (r.status() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + r.status() + "): "
                    + r.output().strip());
        }
        return r.output();
    }

    private static Ran run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String out;
            try (var in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not end within 30 s");
            }
            return new Ran(p.exitValue(), out);
        } catch (IOException e) {
            return new Ran(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", command) + " interrupted", e);
        }
    }

    /**
     * The words of a line of {@code iptables -S}, which quotes a word holding spaces in double
     * quotes, with {@code \"} and {@code \\} inside.
     */
    private static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < line.length()) {
                    word.append(line.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                } else {
                    word.append(c);
                }
            } else if (c == ' ') {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                if (c == '"') {
                    quoted = true;
                } else {
                    word.append(c);
                }
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
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
