package io.mdocker.internal;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The actions at a JVM's exit: in their stages' order, every one of them, once. */
class AtExitTest {

    @Test
    void actionsRunInStageOrderEvenAfterOneThrowsAndNoneIsAddedOnceTheyRun() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), AtExitChild.class.getName())
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("the status System.exit was given").isEqualTo(3);
        assertThat(out.lines().toList()).containsExactly("exiting", "containers 1", "containers 2 throws",
                "registered at exit: false", "shared", "event loop");
        assertThat(err).as("the failed action, logged").contains("thrown at exit");
    }
}
