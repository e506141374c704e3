package io.mdocker;

import io.mdocker.bindings.Linux;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernel numbers the API's enums and records carry as plain constants (so that the API does
 * not reach into the bindings) against the bindings, which the ABI probe checks against gcc.
 */
class ApiConstantsTest {
    @Test
    void signalNumbersAreTheKernels() {
        Map<Signal, Integer> kernel = Map.of(Signal.HUP, Linux.SIGHUP(), Signal.INT, Linux.SIGINT(),
                Signal.QUIT, Linux.SIGQUIT(), Signal.KILL, Linux.SIGKILL(), Signal.USR1, Linux.SIGUSR1(),
                Signal.USR2, Linux.SIGUSR2(), Signal.TERM, Linux.SIGTERM(), Signal.CONT, Linux.SIGCONT(),
                Signal.STOP, Linux.SIGSTOP(), Signal.WINCH, Linux.SIGWINCH());
        assertThat(kernel).hasSize(Signal.values().length);
        kernel.forEach((s, n) -> assertThat(s.number()).as(s.name()).isEqualTo(n));
    }

    @Test
    void capabilityBitsAreTheKernels() throws ReflectiveOperationException {
        for (Capability c : Capability.values()) {
            int kernel = (int) Linux.class.getMethod(c.kernelName()).invoke(null);
            assertThat(c.number()).as(c.kernelName()).isEqualTo(kernel);
        }
    }

    @Test
    void ulimitResourcesAreTheKernels() throws ReflectiveOperationException {
        for (String name : new String[] {"cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile", "memlock",
                "as", "locks", "sigpending", "msgqueue", "nice", "rtprio", "rttime"}) {
            int kernel = (int) Linux.class.getMethod("RLIMIT_" + name.toUpperCase(java.util.Locale.ROOT)).invoke(null);
            assertThat(new Ulimit(name, 1, 1).resource()).as(name).isEqualTo(kernel);
        }
    }

    @Test
    void seccompErrnosAreTheKernels() {
        assertThat(DockerDefaultSeccomp.EPERM).isEqualTo(Linux.EPERM());
        assertThat(DockerDefaultSeccomp.ENOSYS).isEqualTo(Linux.ENOSYS());
    }
}
