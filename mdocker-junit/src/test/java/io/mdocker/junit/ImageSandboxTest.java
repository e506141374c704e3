package io.mdocker.junit;

import io.mdocker.ContainerInfo;
import io.mdocker.ContainerRuntime;
import io.mdocker.ExecResult;
import io.mdocker.ImageStore;
import io.mdocker.Wait;
import io.mdocker.testing.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code SandboxContainer.of("image")}: a sandbox of a stored image on the default runtime, running
 * the image's own entrypoint (an umoci-made busybox image whose entrypoint serves a page with httpd),
 * started and removed by the extension. Run through the JUnit Platform Launcher.
 */
class ImageSandboxTest {
    static final String IMAGE = "mdocker-junit-test/web:1";

    @MdockerTest
    static class FromImage {
        @Sandbox
        static SandboxContainer web = SandboxContainer.of(IMAGE)
                .waitingFor(Wait.forCommand("test", "-s", "/www/index.html"));

        @Test
        void runsTheImagesOwnEntrypoint() {
            ExecResult r = web.container().exec("/bin/sh", "-c", "cat /www/index.html; for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done");
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).startsWith("hello\n").contains("httpd -f -p 80 -h /www");
        }
    }

    @BeforeAll
    static void storeTheImage() throws Exception {
        Path layout = TestImages.umociLayout(Path.of("target/image-sandbox"));
        TestImages.webTag(layout);
        ImageStore.of(ContainerRuntime.defaults()).loadOciLayout(layout, Optional.of("web"), Optional.of(IMAGE));
    }

    @AfterAll
    static void removeTheImage() {
        ImageStore.of(ContainerRuntime.defaults()).remove(IMAGE, false);
        assertThat(ImageStore.of(ContainerRuntime.defaults()).inspect(IMAGE)).isEmpty();
    }

    @Test
    void aSandboxOfAStoredImageRunsItsEntrypoint() {
        Set<String> before = ids();
        JunitFixtures.Report report = JunitFixtures.run(FromImage.class, Map.of());
        assertThat(report.test("runsTheImagesOwnEntrypoint").result().getStatus())
                .as("%s", report.finished()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
        assertThat(ids()).as("containers left on the default runtime").isEqualTo(before);
    }

    private static Set<String> ids() {
        return ContainerRuntime.defaults().list().stream().map(ContainerInfo::id).collect(Collectors.toSet());
    }

    @Test
    void aBadImageReferenceIsOneLine() {
        assertThatThrownBy(() -> SandboxContainer.of("Bad Image!"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Bad Image!")
                .hasMessageNotContaining("\n");
    }
}
