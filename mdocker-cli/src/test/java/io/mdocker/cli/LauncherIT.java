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

    /**
     * ./mdocker answers --version itself from mdocker-cli.version, which the build's AOT training
     * writes with what the Java CLI printed: the launcher's answer, the file and the JVM's answer
     * (the packaged jar run directly) must be the same bytes.
     */
    @Test
    void theLaunchersVersionIsTheJavaClis() throws Exception {
        Path project = Path.of(System.getenv().getOrDefault("MDOCKER_PROJECT_ROOT", "..")).toAbsolutePath().normalize();
        Path target = project.resolve("mdocker-cli/target");
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (String flag : java.util.List.of("--version", "-V")) {
            byte[] jvm = stdout(javaBin, "-cp", target.resolve("mdocker-cli.jar").toString(), "io.mdocker.cli.Main", flag);
            byte[] launcher = stdout(project.resolve("mdocker").toString(), flag);
            assertThat(new String(jvm, StandardCharsets.UTF_8)).matches("mdocker \\S+\n");
            assertThat(launcher).as("./mdocker %s", flag).isEqualTo(jvm);
            Path file = target.resolve("mdocker-cli.version");
            if (java.nio.file.Files.exists(file)) {
                assertThat(java.nio.file.Files.readAllBytes(file)).as(file.toString()).isEqualTo(jvm);
            }
        }
    }

    /**
     * ./mdocker-runtime execs the front end with the JVM's command line: a verb the front end
     * answers (state), verbs it hands to the JVM (--version, features), and the same with a
     * JAVA_HOME that is no JDK, when the JVM is found by scripts/find-jdk.sh as it starts.
     */
    @Test
    void theRuntimeLauncherAnswersThroughTheFrontEndAndTheJvm() throws Exception {
        Path project = Path.of(System.getenv().getOrDefault("MDOCKER_PROJECT_ROOT", "..")).toAbsolutePath().normalize();
        String runtime = project.resolve("mdocker-runtime").toString();
        String root = MainTest.TARGET.resolve("launcher-runtime-root").toString();
        for (String javaHome : java.util.Arrays.asList(null, "/nonexistent-jdk")) {
            ProcessBuilder version = new ProcessBuilder(runtime, "--root", root, "--version");
            ProcessBuilder features = new ProcessBuilder(runtime, "--root", root, "features");
            ProcessBuilder state = new ProcessBuilder(runtime, "--root", root, "state", "no-such-container");
            for (ProcessBuilder pb : java.util.List.of(version, features, state)) {
                if (javaHome != null) {
                    pb.environment().put("JAVA_HOME", javaHome);
                }
            }
            Process v = version.start();
            assertThat(new String(v.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("mdocker-runtime version 0.1.0\nspec: 1.0.2\n");
            assertThat(v.waitFor()).isZero();
            Process f = features.start();
            assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(f.getInputStream()).get("ociVersionMax").asText())
                    .isEqualTo("1.1.0");
            assertThat(f.waitFor()).isZero();
            Process s = state.start();
            assertThat(new String(s.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                    .isEqualTo("mdocker-runtime: container no-such-container does not exist\n");
            assertThat(s.getInputStream().readAllBytes()).isEmpty();
            assertThat(s.waitFor()).isEqualTo(1);
        }
    }

    private static byte[] stdout(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).as(String.join(" ", command)).isZero();
        return out;
    }

    @Test
    void execIntoAContainerOfAnotherMdockerProcess() throws Exception {
        MainTest.prerequisites();
        Path project = Path.of(System.getenv().getOrDefault("MDOCKER_PROJECT_ROOT", "..")).toAbsolutePath().normalize();
        Path state = MainTest.TARGET.resolve("launcher-exec-state");
        String mdocker = project.resolve("mdocker").toString();
        Process run = new ProcessBuilder(mdocker, "run", "--rootfs", MainTest.ROOTFS.toString(), "--state-root", state.toString(),
                "--network", "none", "-h", "other", "sh", "-c", "echo ready; exec sleep 600")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(run.getInputStream(), StandardCharsets.UTF_8))
                    .readLine()).isEqualTo("ready");
            java.util.List<Path> entries;
            try (var s = java.nio.file.Files.list(state.resolve("run/containers"))) {
                entries = s.toList();
            }
            assertThat(entries).hasSize(1);
            String id = entries.get(0).getFileName().toString().substring(0, 12);
            Process exec = new ProcessBuilder(mdocker, "exec", "-i", "--state-root", state.toString(), id,
                    "sh", "-c", "read x; echo got $x in $(hostname) beside $(cat /proc/2/cmdline | tr '\\0' ' '); exit 5")
                    .redirectErrorStream(true).start();
            exec.getOutputStream().write("input\n".getBytes(StandardCharsets.UTF_8));
            exec.getOutputStream().close();
            String out = new String(exec.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(exec.waitFor()).as(out).isEqualTo(5);
            assertThat(out).isEqualTo("got input in other beside sleep 600\n");
        } finally {
            run.destroy(); // SIGTERM, passed on to the container
            assertThat(run.waitFor()).isEqualTo(143);
        }
    }
}
