package io.mdocker;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** ExecResult is a value: equal by content of its output, a short toString. No container needed. */
class ExecResultTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void equalsAndHashCodeCompareTheOutputByContent() {
        ExecResult a = new ExecResult(0, b("out"), b("err"), Duration.ofMillis(5));
        ExecResult same = new ExecResult(0, b("out"), b("err"), Duration.ofMillis(5), false);
        assertThat(a).isEqualTo(same).hasSameHashCodeAs(same);
        assertThat(a).isNotEqualTo(new ExecResult(0, b("out!"), b("err"), Duration.ofMillis(5)))
                .isNotEqualTo(new ExecResult(0, b("out"), b("er"), Duration.ofMillis(5)))
                .isNotEqualTo(new ExecResult(1, b("out"), b("err"), Duration.ofMillis(5)))
                .isNotEqualTo(new ExecResult(0, b("out"), b("err"), Duration.ofMillis(6)))
                .isNotEqualTo(new ExecResult(0, b("out"), b("err"), Duration.ofMillis(5), true))
                .isNotEqualTo(null)
                .isNotEqualTo("ExecResult");
    }

    @Test
    void toStringGivesSizesNotTheOutput() {
        byte[] big = new byte[8 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        ExecResult r = new ExecResult(137, big, b("oops"), Duration.ofSeconds(2), true);
        assertThat(r.toString()).isEqualTo("ExecResult[exitCode=137, stdout=8388608 bytes, stderr=4 bytes, "
                + "elapsed=PT2S, oomKilled]").hasSizeLessThan(200);
    }
}
