package io.mdocker.examples;

import io.mdocker.Network;
import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.junit.SandboxContainer;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The JUnit figures for the benchmark: the start-to-ready time of the web server
 * example (start, copy, bridge, published port, HTTP wait), and the wall time of a test class
 * whose 20 tests each start a sandbox ({@link ParallelSandboxes}), run through the JUnit
 * Platform Launcher with parallel execution on and, for the ratio, off.
 *
 * <pre>sudo java -cp examples/target/mdocker-cli.jar io.mdocker.examples.JUnitTiming [--runs N]
 *      [--bridge NAME --bip CIDR]</pre>
 *
 * The bridge ({@code mdocker0} by default) is made if missing and kept, as the benchmark does.
 */
public final class JUnitTiming {
    private JUnitTiming() {}

    /** Launcher runs of the 20-sandbox class per mode. */
    private static final int CLASS_RUNS = 5;

    /** What a launcher run of a class gave: tests that succeeded, failed, and the wall time. */
    public record ClassRun(int succeeded, int failed, Duration wall) { }

    public static void main(String[] args) throws Exception {
        int runs = 10;
        String bridge = Network.DEFAULT_BRIDGE;
        String bip = Network.DEFAULT_BRIDGE_ADDRESS;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--runs") && i + 1 < args.length) {
                runs = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--bridge") && i + 1 < args.length) {
                bridge = args[++i];
            } else if (args[i].equals("--bip") && i + 1 < args.length) {
                bip = args[++i];
            } else {
                System.err.println("usage: JUnitTiming [--runs N] [--bridge NAME --bip CIDR]");
                System.exit(2);
            }
        }
        Figures f = measure(Network.bridge(bridge, bip), runs);
        System.out.printf("web server example, start to ready (busybox httpd, file copied in, bridge %s, "
                + "published port, HTTP wait), %d runs: median %.1f ms, min %.1f ms, max %.1f ms%n", bridge, runs,
                millis(f.readyMedian()), millis(f.readyMin()), millis(f.readyMax()));
        System.out.printf("test class with %d sandboxes (one per test), median of %d runs: parallel execution %.0f ms, "
                + "sequential %.0f ms, sequential/parallel %.2f; %d failed tests%n", ParallelSandboxes.SANDBOXES,
                CLASS_RUNS, millis(f.parallel()), millis(f.sequential()),
                (double) f.sequential().toNanos() / f.parallel().toNanos(), f.failedTests());
        ContainerNetwork.awaitReleases(Duration.ofSeconds(20));
        System.exit(f.failedTests() == 0 ? 0 : 1);
    }

    /**
     * What the benchmark reports: start-to-ready of the web server example (median, min, max of
     * {@code runs}), and the median wall time of the 20-sandbox class with parallel execution on
     * and off, with the tests that failed in all those runs.
     */
    public record Figures(Duration readyMedian, Duration readyMin, Duration readyMax, Duration parallel,
                          Duration sequential, int failedTests) { }

    /** Measures both figures on {@code network}: the server {@code runs} times, the class {@value #CLASS_RUNS} times per mode. */
    public static Figures measure(Network network, int runs) throws Exception {
        List<Duration> ready = serverStartToReady(network, runs);
        runClass(ParallelSandboxes.class, true); // warm-up: JUnit's and mdocker's classes, the rootfs
        List<ClassRun> parallel = new ArrayList<>();
        List<ClassRun> sequential = new ArrayList<>();
        for (int i = 0; i < CLASS_RUNS; i++) { // interleaved, so both see the same machine
            parallel.add(runClass(ParallelSandboxes.class, true));
            sequential.add(runClass(ParallelSandboxes.class, false));
        }
        int failed = parallel.stream().mapToInt(ClassRun::failed).sum() + sequential.stream().mapToInt(ClassRun::failed).sum();
        return new Figures(median(ready), Collections.min(ready), Collections.max(ready),
                median(parallel.stream().map(ClassRun::wall).toList()),
                median(sequential.stream().map(ClassRun::wall).toList()), failed);
    }

    /** Starts the web server example {@code runs} times (after one warm-up) and returns each start-to-ready time. */
    public static List<Duration> serverStartToReady(Network network, int runs) throws Exception {
        Path site = Files.createTempDirectory("mdocker-site");
        try {
            Files.writeString(site.resolve("index.html"), "<h1>mdocker</h1>\n");
            List<Duration> times = new ArrayList<>();
            for (int i = -1; i < runs; i++) {
                try (SandboxContainer web = WebServer.sandbox(network, site)) {
                    web.start();
                    if (i >= 0) {
                        times.add(web.startToReady());
                    }
                }
            }
            return times;
        } finally {
            io.mdocker.internal.fs.ContainerDirs.deleteTree(site);
        }
    }

    /** Runs a test class through the JUnit Platform Launcher, with parallel execution on or off. */
    public static ClassRun runClass(Class<?> testClass, boolean parallel) {
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(testClass))
                .configurationParameters(Map.of(
                        "junit.jupiter.execution.parallel.enabled", Boolean.toString(parallel),
                        "junit.jupiter.execution.parallel.mode.default", "concurrent",
                        "junit.jupiter.execution.parallel.config.executor-service", "WORKER_THREAD_POOL",
                        "junit.jupiter.execution.parallel.config.strategy", "fixed",
                        "junit.jupiter.execution.parallel.config.fixed.parallelism", "20"))
                .build();
        long t0 = System.nanoTime();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (id.isTest()) {
                    (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? ok : failed).incrementAndGet();
                } else if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    failed.incrementAndGet();
                    result.getThrowable().ifPresent(t -> System.err.println(id.getDisplayName() + ": " + t));
                }
            }
        });
        return new ClassRun(ok.get(), failed.get(), Duration.ofNanos(System.nanoTime() - t0));
    }

    private static Duration median(List<Duration> times) {
        List<Duration> sorted = new ArrayList<>(times);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    private static double millis(Duration d) {
        return d.toNanos() / 1e6;
    }
}
