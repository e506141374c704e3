package io.mdocker.junit;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.engine.discovery.DiscoverySelectors;

/**
 * What the extension's tests share beyond mdocker-core's fixtures ({@code io.mdocker.testing.Fixtures}:
 * the busybox rootfs and the runtime on state roots under target/): a way to run sample test classes
 * through the JUnit Platform Launcher and see their outcomes.
 */
final class JunitFixtures {
    private JunitFixtures() {}

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
