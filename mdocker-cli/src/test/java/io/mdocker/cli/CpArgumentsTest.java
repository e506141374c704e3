package io.mdocker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arguments that reach the host side of the CLI's file and state handling: a {@code CONTAINER:PATH} with a newline is refused in one line rather than misread as a
 * host path, and a state root other users may write is refused in one line before anything is
 * created in it.
 */
class CpArgumentsTest {
    static final Path STATE = MainTest.TARGET.resolve("cli-cp-state");

    @Test
    void aCopyArgumentWithANewlineIsRefusedInOneLine(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("f"), "x");
        String err = MainTest.stderrOf(1, "cp", "--state-root", STATE.toString(), "box:/tmp/a\nb", tmp.resolve("out").toString());
        assertThat(err).isEqualTo("mdocker: cp: 'box:/tmp/a\\nb' contains a newline or another control character: refused\n");
        err = MainTest.stderrOf(1, "cp", "--state-root", STATE.toString(), file.toString(), "box\n:/tmp/x");
        assertThat(err).isEqualTo("mdocker: cp: 'box\\n:/tmp/x' contains a newline or another control character: refused\n");
        err = MainTest.stderrOf(1, "cp", "--state-root", STATE.toString(), file.toString(), "box:/tmp/\u001b[2Jx");
        assertThat(err).isEqualTo("mdocker: cp: 'box:/tmp/\\x1b[2Jx' contains a newline or another control character: refused\n");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void aStateRootOthersMayWriteIsRefusedInOneLineAndAPrivateOneWorks(@TempDir Path tmp) throws Exception {
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setAttribute(tmp, "unix:mode", 0755);
        Files.setAttribute(open, "unix:mode", 0777);
        String err = MainTest.stderrOf(125, "ps", "--state-root", open.toString());
        assertThat(err).isEqualTo("mdocker: refusing the state root " + open.resolve("lib") + ": " + open
                + " is writable by other users (mode 777) (a state root and its parents must be writable by root and "
                + "this runtime's user alone)\n");
        try (var entries = Files.list(open)) {
            assertThat(entries.toList()).as("nothing created").isEmpty();
        }
        Files.setAttribute(open, "unix:mode", 0755);
        assertThat(MainTest.stderrOf(0, "ps", "--state-root", open.toString())).isEmpty();
    }
}
