package io.mdocker.junit;

import io.mdocker.testing.UnprivilegedUser;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An {@code @MdockerTest} class ({@link RootlessSandboxSample}) run end to end by an unprivileged
 * user ({@link UnprivilegedUser}, with subordinate ranges): its JVM, started with setpriv and a
 * clean environment, runs the class through the JUnit Platform Launcher; the extension runs its
 * sandboxes rootless rather than disabling the class, both tests pass, and nothing is left in the
 * user's state roots.
 */
@Tag("rootless")
class RootlessJunitTest {

    @Test
    void anMdockerTestClassPassesAsAnUnprivilegedUser() throws Exception {
        try (UnprivilegedUser user = UnprivilegedUser.create()) {
            String cp = user.classpath(List.of(RootlessJunitMain.class, MdockerTest.class, io.mdocker.Container.class,
                    Class.forName("io.mdocker.bindings.Linux"), org.junit.platform.launcher.core.LauncherFactory.class,
                    org.junit.jupiter.engine.JupiterTestEngine.class, org.junit.jupiter.api.Test.class,
                    org.junit.platform.engine.TestEngine.class, org.junit.platform.commons.annotation.Testable.class,
                    org.opentest4j.AssertionFailedError.class, org.apiguardian.api.API.class));
            String java = ProcessHandle.current().info().command().orElseThrow();
            UnprivilegedUser.Result r = user.run(180, java, "--enable-native-access=ALL-UNNAMED",
                    "-Drl.rootfs=" + user.rootfs(), "-cp", cp, RootlessJunitMain.class.getName());
            assertThat(r.status()).as(r.output()).isZero();
            assertThat(r.output().lines().filter(l -> !l.startsWith("WARNING")).sorted().toList()).as(r.output())
                    .containsExactly("left 0", "test rootInsideIsThisUserOutside(RunningContainer) SUCCESSFUL",
                            "test theSharedContainerRuns() SUCCESSFUL");
        }
    }
}
