package io.mdocker;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.NetFixtures;
import io.mdocker.testing.TestBridgeExtension;
import io.mdocker.testing.HostSnapshot;

import io.mdocker.internal.net.ContainerNetwork;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The soak: containers one after another, then more in concurrent batches, each a random
 * (seeded) {@link SoakCase}: with or without limits, with no network or on a test bridge, exiting
 * 0 or not, failing to exec, killed and closed from two threads right after start, timing out and
 * stopped, OOM-killed. Every container must end as its case says; afterwards the host and the JVM
 * must be as before ({@link HostSnapshot}: mounts, cgroups and their processes, links, veths,
 * leases, iptables rules, descriptors, threads, state directories, processes), and once the test
 * bridge is removed, its links and rules too.
 *
 * <p>In the test run: 400 + 100 containers (CI). {@code scripts/soak --sequential 10000
 * --concurrent 1000} runs the full soak; {@code -Dsoak.seed=N} repeats a mix.
 */
class SoakTest {
    private static final int SEQUENTIAL = Integer.getInteger("soak.sequential", 400);
    private static final int CONCURRENT = Integer.getInteger("soak.concurrent", 100);
    private static final int IN_FLIGHT = Integer.getInteger("soak.inFlight", 16);
    private static final long SEED = Long.getLong("soak.seed", System.nanoTime());
    /** Failures kept for the report (all are counted). */
    private static final int KEPT_FAILURES = 20;

    private final Path state = Fixtures.TARGET.resolve("soak-state");
    private final ContainerRuntime rt = ContainerRuntime.at(state.resolve("lib"), state.resolve("run"));
    private final Map<SoakCase.Outcome, AtomicInteger> counts = new EnumMap<>(SoakCase.Outcome.class);
    private final AtomicInteger onBridge = new AtomicInteger();
    private final AtomicInteger withLimits = new AtomicInteger();
    private final Map<SoakCase.Outcome, AtomicInteger> failed = new EnumMap<>(SoakCase.Outcome.class);
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());

    @Test
    void containersOfEveryKindLeaveNothingBehind() throws Exception {
        NetFixtures.prerequisites();
        Container base = Fixtures.withTestbox().runtime(rt).build();
        for (SoakCase.Outcome o : SoakCase.Outcome.values()) {
            counts.put(o, new AtomicInteger());
            failed.put(o, new AtomicInteger());
        }
        System.out.printf("soak: seed %d (-Dsoak.seed=%d repeats the mix), %d sequential, %d concurrent, %d in flight%n",
                SEED, SEED, SEQUENTIAL, CONCURRENT, IN_FLIGHT);
        String ipForward = TestBridgeExtension.ipForward();
        HostSnapshot initial = HostSnapshot.take(rt, SoakCase.BRIDGE);
        ExecutorService helper = Executors.newSingleThreadExecutor();
        ExecutorService batch = Executors.newFixedThreadPool(IN_FLIGHT);
        try {
            // Warm-up: every case kind once, so that what is made once per JVM or host (the
            // bridge and its rules, the reaper threads, the spare monitor) exists before the count.
            for (SoakCase.Outcome o : SoakCase.Outcome.values()) {
                new SoakCase(o, true, true, o == SoakCase.Outcome.EXEC_FAILS ? 127 : 3).run(base, helper);
                new SoakCase(o, false, false, o == SoakCase.Outcome.EXEC_FAILS ? 126 : 3).run(base, helper);
            }
            ((java.util.concurrent.ThreadPoolExecutor) batch).prestartAllCoreThreads();
            awaitQuiet();
            HostSnapshot before = HostSnapshot.take(rt, SoakCase.BRIDGE);

            Random random = new Random(SEED);
            long t0 = System.nanoTime();
            for (int i = 0; i < SEQUENTIAL; i++) {
                runCase(i, SoakCase.random(random), base, helper);
                if ((i + 1) % 1000 == 0) {
                    System.out.printf("soak: %d sequential done, %.0f s%n", i + 1, (System.nanoTime() - t0) / 1e9);
                }
            }
            double sequentialSeconds = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            for (int done = 0; done < CONCURRENT; done += IN_FLIGHT) {
                List<Future<?>> inFlight = new ArrayList<>();
                for (int k = done; k < Math.min(CONCURRENT, done + IN_FLIGHT); k++) {
                    SoakCase c = SoakCase.random(random);
                    int index = SEQUENTIAL + k;
                    inFlight.add(batch.submit(() -> runCase(index, c, base, helper)));
                }
                for (Future<?> f : inFlight) {
                    f.get();
                }
            }
            double concurrentSeconds = (System.nanoTime() - t0) / 1e9;
            printCounts(sequentialSeconds, concurrentSeconds);
            awaitQuiet();
            List<String> left = settled(rt, before);
            System.out.printf("soak: %d things left on the host and in the JVM that were not there before%n", left.size());
            assertThat(left).as("what the soak left behind (seed " + SEED + ")").isEmpty();
            assertThat(failures).as("containers that did not end as their case says (seed " + SEED + ")").isEmpty();
        } finally {
            batch.shutdownNow();
            helper.shutdownNow();
            batch.awaitTermination(1, TimeUnit.MINUTES);
            helper.awaitTermination(1, TimeUnit.MINUTES);
            removeBridge(ipForward);
        }
        assertThat(HostSnapshot.take(rt, SoakCase.BRIDGE)
                .leftSince(initial, List.of("network link", "veth", "iptables rule", "address lease")))
                .as("links and rules once the test bridge is removed").isEmpty();
        assertThat(TestBridgeExtension.ipForward()).isEqualTo(ipForward);
    }

    private void runCase(int index, SoakCase c, Container base, ExecutorService helper) {
        try {
            c.run(base, helper);
            counts.get(c.outcome()).incrementAndGet();
            if (c.bridge()) {
                onBridge.incrementAndGet();
            }
            if (c.limits()) {
                withLimits.incrementAndGet();
            }
        } catch (Throwable e) {
            failed.get(c.outcome()).incrementAndGet();
            if (failures.size() < KEPT_FAILURES) {
                failures.add("#" + index + " " + c + ": " + e);
            }
            System.out.printf("soak: #%d %s failed: %s%n", index, c, e);
        }
    }

    private void printCounts(double sequentialSeconds, double concurrentSeconds) {
        int total = counts.values().stream().mapToInt(AtomicInteger::get).sum();
        int bad = failed.values().stream().mapToInt(AtomicInteger::get).sum();
        System.out.printf("soak: %d containers ended as their case says, %d did not; %d sequential in %.1f s, "
                + "%d concurrent in %.1f s%n", total, bad, SEQUENTIAL, sequentialSeconds, CONCURRENT, concurrentSeconds);
        counts.forEach((o, n) -> System.out.printf("soak:   %-16s %6d ended as expected, %d did not%n", o, n.get(),
                failed.get(o).get()));
        System.out.printf("soak:   on bridge %s %d, with memory+cpu+pids limits %d%n", SoakCase.BRIDGE, onBridge.get(),
                withLimits.get());
    }

    /**
     * What is left, looked at again for up to 5 s while something is. Transient and not ours: a
     * process the JDK starts (ip, iptables, iptables-save) leaves a pipe end of the JDK's open
     * for up to ~30 ms after it has been waited for and its streams closed (in about 40 % of
     * launches of /bin/true on this machine, measured). Before the snapshot listed the JVM's
     * descriptors ahead of running its own commands, three such pipe ends showed at the first
     * look in about one soak in five. A leak stays; what went away meanwhile is printed.
     */
    private static List<String> settled(ContainerRuntime rt, HostSnapshot before) throws InterruptedException {
        List<String> first = HostSnapshot.take(rt, SoakCase.BRIDGE).leftSince(before);
        List<String> left = first;
        long t0 = System.nanoTime();
        while (!left.isEmpty() && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5)) {
            Thread.sleep(50);
            left = HostSnapshot.take(rt, SoakCase.BRIDGE).leftSince(before);
        }
        if (!first.isEmpty()) {
            System.out.printf("soak: at first look %d things were left (%s); %d after %d ms%n", first.size(), first,
                    left.size(), (System.nanoTime() - t0) / 1_000_000);
        }
        return left;
    }

    /** Veth pairs of closed containers go with their namespaces a moment later; wait for that. */
    private static void awaitQuiet() {
        assertThat(ContainerNetwork.awaitReleases(Duration.ofSeconds(30))).as("veth pairs released").isTrue();
    }

    private static void removeBridge(String ipForwardBefore) {
        awaitQuiet();
        TestBridgeExtension.removeBridge(SoakCase.BRIDGE, SoakCase.BRIDGE_ADDRESS, ipForwardBefore);
    }
}
