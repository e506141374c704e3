package com.example.consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import io.mdocker.BusyboxRootfs;
import io.mdocker.Network;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * What this machine must have for the test, and the test bridge. A missing prerequisite skips
 * the test with the reason, except under CI=true, where it fails it.
 *
 * <p>A user keeps the bridge (as Docker keeps docker0); this project's machines are shared by
 * other test runs, so the test uses a bridge of its own ({@value #BRIDGE}, 10.201.40.1/24) and
 * removes it and its NAT rules afterwards, and restores ip_forward as it was.
 */
final class TestMachine {
    private TestMachine() {}

    static final Path ROOTFS = Path.of("target/rootfs").toAbsolutePath();
    static final String BRIDGE = "mdt40";
    private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
    private static String ipForwardBefore;

    static Network bridge() {
        return Network.bridge(BRIDGE, "10.201.40.1/24");
    }

    /** Checks the prerequisites and builds the busybox rootfs (once). */
    static synchronized void prepare() {
        List<String> missing = new ArrayList<>();
        if (BusyboxRootfs.findStaticBusybox().isEmpty()) {
            missing.add("a static busybox (apt-get install busybox-static)");
        }
        for (String tool : List.of("iptables", "ip")) {
            if (!onPath(tool)) {
                missing.add(tool + " (bridge networking" + (tool.equals("ip") ? ": this test's clean-up)" : ")"));
            }
        }
        if (!missing.isEmpty()) {
            String why = "this test needs " + String.join(", ", missing);
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        BusyboxRootfs.ensure(ROOTFS);
        if (ipForwardBefore == null) {
            ipForwardBefore = read(IP_FORWARD);
        }
    }

    /**
     * Removes the test network as a user's code does, with {@link Network#close()} (its bridge, its
     * rules, its hosts file), checks nothing of it is left, and restores ip_forward.
     */
    static synchronized void cleanUp() {
        if (ipForwardBefore == null) {
            return; // prepare() did not get that far: nothing was made
        }
        bridge().close();
        String tag = "\"mdocker " + BRIDGE + "\"";
        for (String table : List.of("nat", "filter")) {
            String rules = sh("iptables -t " + table + " -S");
            assertFalse(rules.contains(tag), "rules of " + BRIDGE + " left in " + table);
            // the chain is shared by every mdocker bridge: it goes with the last one (another, such
            // as mdocker0 made by ./mdocker, keeps it)
            boolean otherBridges = rules.lines().anyMatch(l -> l.contains("--comment \"mdocker ") && !l.contains(tag));
            if (!otherBridges) {
                assertFalse(rules.contains("MDOCKER-ISOLATION"), "the bridges' isolation chain left in " + table);
            }
        }
        if ("0".equals(ipForwardBefore)) {
            write(IP_FORWARD, "0\n");
        }
        assertFalse(Files.exists(Path.of("/sys/class/net", BRIDGE)), "bridge " + BRIDGE + " removed");
        ipForwardBefore = null;
    }

    private static boolean onPath(String tool) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a shell command (with $0 = arg when given) and returns its output; fails on a non-zero exit. */
    private static String sh(String command, String... arg) {
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", command));
        cmd.addAll(List.of(arg));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), command + ": " + out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
