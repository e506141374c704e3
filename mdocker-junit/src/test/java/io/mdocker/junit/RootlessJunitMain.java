package io.mdocker.junit;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.engine.discovery.DiscoverySelectors;

/**
 * Runs {@link RootlessSandboxSample} through the JUnit Platform Launcher (as a build tool would)
 * in the JVM of {@link RootlessJunitTest}'s unprivileged user, and prints one line per test
 * ({@code test NAME STATUS [message]}), one per skip, and what the user's state roots hold after.
 */
public final class RootlessJunitMain {
    private RootlessJunitMain() {}

    public static void main(String[] args) throws Exception {
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(RootlessSandboxSample.class)).build(), new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                        if (id.isTest() || result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                            System.out.println((id.isTest() ? "test " : "container ") + id.getDisplayName() + " "
                                    + result.getStatus() + result.getThrowable().map(t -> " " + t).orElse("").replace('\n', '|'));
                        }
                    }

                    @Override
                    public void executionSkipped(TestIdentifier id, String reason) {
                        System.out.println("skipped " + id.getDisplayName() + " " + reason);
                    }
                });
        io.mdocker.ContainerRuntime.awaitCleanup();
        java.nio.file.Path containers = io.mdocker.ContainerRuntime.defaults().libRoot().resolve("containers");
        try (var s = java.nio.file.Files.list(containers)) {
            System.out.println("left " + s.count());
        } catch (java.nio.file.NoSuchFileException e) {
            System.out.println("left 0");
        }
    }
}
