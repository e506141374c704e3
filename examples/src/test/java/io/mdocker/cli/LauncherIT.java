package io.mdocker.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The root ./mdocker launcher with the packaged CLI jar: stdio, environment, exit status. */
class LauncherIT {

    @Test
    void theLauncherRunsAContainerOnTheCallersStdio() throws Exception {
        MainTest.prerequisites();
        Path project = Path.of(System.getenv().getOrDefault("MDOCKER_PROJECT_ROOT", "..")).toAbsolutePath().normalize();
        Process p = new ProcessBuilder(project.resolve("mdocker").toString(), "run", "--rootfs", MainTest.ROOTFS.toString(),
                "--state-root", MainTest.STATE.toString(), "--network", "none", "-e", "GREETING=hi",
                "sh", "-c", "read x; echo $GREETING $x from $(hostname); exit 4")
                .redirectErrorStream(true).start();
        p.getOutputStream().write("there\n".getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isEqualTo(4);
        // Nothing else on the terminal: no JVM warning about native access, no build chatter.
        assertThat(out).matches("hi there from [0-9a-f]{12}\n");
    }
}
