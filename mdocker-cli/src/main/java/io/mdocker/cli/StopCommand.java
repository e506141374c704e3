package io.mdocker.cli;

import io.mdocker.DetachedContainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Duration;

/** {@code mdocker stop [-t SECONDS] ID...}: the stop signal (SIGTERM unless set), a grace period, then SIGKILL. */
@Command(name = "stop", mixinStandardHelpOptions = true,
        description = "Stop detached containers: their stop signal (run --stop-signal, the image's StopSignal, else SIGTERM), "
                + "then SIGKILL after the grace period.")
final class StopCommand extends ContainerVerb {
    @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", defaultValue = "10",
            description = "Seconds to wait after the stop signal before SIGKILL (default 10).")
    int seconds;

    @Override
    String act(DetachedContainer c) {
        if (seconds < 0) {
            throw new IllegalArgumentException("-t " + seconds + ": expected a number of seconds, 0 or more");
        }
        c.stop(Duration.ofSeconds(seconds)); // an exited container stays as it is
        return null;
    }
}
