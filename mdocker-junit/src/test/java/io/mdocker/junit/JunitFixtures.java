package io.mdocker.junit;

import static org.assertj.core.api.Assertions.fail;

import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.engine.discovery.DiscoverySelectors;

/**
 * What the extension's tests share: a busybox rootfs and a runtime on state roots under target/,
 * and a way to run sample test classes through the JUnit Platform Launcher and see their outcomes.
 */
final class JunitFixtures {
    private JunitFixtures() {}

    static final Path TARGET = Path.of("target").toAbsolutePath();
    static final ContainerRuntime RUNTIME = ContainerRuntime.at(TARGET.resolve("test-state/lib"),
            TARGET.resolve("test-state/run"));

    /** A definition on the test rootfs and runtime (root and busybox-static needed: fails otherwise). */
    static Container.Builder box() {
        Path rootfs = TARGET.resolve("test-rootfs");
        if (BusyboxRootfs.findStaticBusybox().isEmpty()) {
            fail("a statically linked busybox is needed (apt-get install busybox-static)");
        }
        BusyboxRootfs.ensure(rootfs);
        return Container.builder().rootfs(rootfs).runtime(RUNTIME);
    }

    /** Containers recorded under the test runtime now (none once every scope has closed). */
    static List<Path> recordedContainers() {
        io.mdocker.ContainerRuntime.awaitCleanup(); // a run() returns before its teardown is over
        Path dir = RUNTIME.runRoot().resolve("containers");
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One finished test or container of a launcher run. */
    record Outcome(TestIdentifier id, TestExecutionResult result) {
        Throwable failure() {
            return result.getThrowable().orElseThrow();
        }
    }

    /** What a launcher run reported: finished tests and containers, and skipped ones with reasons. */
    record Report(List<Outcome> finished, Map<String, String> skipped) {
        Outcome test(String displayNamePrefix) {
            return finished.stream().filter(o -> o.id().isTest() && o.id().getDisplayName().startsWith(displayNamePrefix))
                    .findFirst().orElseThrow(() -> new AssertionError("no test " + displayNamePrefix + " in " + finished));
        }

        Outcome container(String displayName) {
            return finished.stream().filter(o -> o.id().isContainer() && o.id().getDisplayName().endsWith(displayName))
                    .findFirst().orElseThrow(() -> new AssertionError("no container " + displayName + " in " + finished));
        }
    }

    /** Runs {@code testClass} through the launcher with the given configuration parameters. */
    static Report run(Class<?> testClass, Map<String, String> config) {
        List<Outcome> finished = new ArrayList<>();
        Map<String, String> skipped = new ConcurrentHashMap<>();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(testClass)).configurationParameters(config).build();
        LauncherFactory.create().execute(request, new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                synchronized (finished) {
                    finished.add(new Outcome(id, result));
                }
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                skipped.put(id.getDisplayName(), reason);
            }
        });
        return new Report(List.copyOf(finished), Map.copyOf(skipped));
    }
}
