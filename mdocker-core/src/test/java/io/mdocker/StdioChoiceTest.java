package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stdio setters of {@link Container.Builder} and {@link Exec.Builder}: one choice, checked alike. */
class StdioChoiceTest {

    @Test
    void stdinRefusesASinkInBothBuilders() {
        Stdio sink = Stdio.to(new ByteArrayOutputStream());
        String expected = "stdin cannot go to a sink: use pipe(), inherit() or discard()";
        assertThatThrownBy(() -> Container.builder().stdin(sink)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(expected);
        assertThatThrownBy(() -> Exec.builder("cat").stdin(sink)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(expected);
        assertThatThrownBy(() -> Exec.builder("cat").stdout(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("stdout");
    }

    @Test
    void eachStreamIsSetOnItsOwnAndInheritIoSetsAllThree() {
        Stdio sink = Stdio.to(new ByteArrayOutputStream());
        Exec e = Exec.builder("cat").stdin(Stdio.discard()).stderr(sink).build();
        assertThat(e.stdin()).isSameAs(Stdio.discard());
        assertThat(e.stdout()).isSameAs(Stdio.pipe());
        assertThat(e.stderr()).isSameAs(sink);
        Exec derived = e.toBuilder().inheritIO().build();
        assertThat(derived.stdin()).isSameAs(Stdio.inherit());
        assertThat(derived.stdout()).isSameAs(Stdio.inherit());
        assertThat(derived.stderr()).isSameAs(Stdio.inherit());
        assertThat(e.toBuilder().build().stderr()).isSameAs(sink);

        Container c = Container.builder().rootfs(Fixtures.rootfs()).stdout(Stdio.discard()).build();
        assertThat(c.stdin()).isSameAs(Stdio.pipe());
        assertThat(c.stdout()).isSameAs(Stdio.discard());
        assertThat(c.toBuilder().inheritIO().build().stderr()).isSameAs(Stdio.inherit());
        assertThat(c.toBuilder().build().stdout()).isSameAs(Stdio.discard());
    }
}
