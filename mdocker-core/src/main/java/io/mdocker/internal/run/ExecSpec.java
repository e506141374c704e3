package io.mdocker.internal.run;

import io.mdocker.TtySize;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an exec starts, as the engine takes it: an immutable snapshot the API makes from an
 * {@code Exec}, its values already checked.
 *
 * @param command the program and its arguments
 * @param env     variables added to (or replacing those of) the container's environment
 * @param workdir the working directory; empty for the container's
 * @param uid     the user id; empty for the container's
 * @param gid     the group id; empty for the container's
 * @param stdin   stdin's choice
 * @param stdout  stdout's choice
 * @param stderr  stderr's choice
 * @param tty     the pseudo-terminal's initial size; empty for none
 * @param input   what is written to stdin before it is closed, or null for none
 * @param timeout how long exec() waits before it kills the process; empty for no limit
 */
public record ExecSpec(List<String> command, Map<String, String> env, Optional<String> workdir, Optional<Integer> uid,
                       Optional<Integer> gid, StreamChoice stdin, StreamChoice stdout, StreamChoice stderr,
                       Optional<TtySize> tty, byte[] input, Optional<Duration> timeout) {
    public ExecSpec {
        command = List.copyOf(command);
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    }
}
