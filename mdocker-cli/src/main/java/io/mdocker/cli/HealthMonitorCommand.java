package io.mdocker.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.concurrent.Callable;

/**
 * {@code mdocker health-monitor ID} (hidden; {@code run -d} starts it): runs a detached
 * container's healthcheck until the container exits, recording each run in its state.
 */
@Command(name = "health-monitor", hidden = true,
        description = "Run a detached container's healthcheck until it exits (run -d starts this).")
final class HealthMonitorCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Parameters(index = "0", paramLabel = "CONTAINER")
    String id;

    @Override
    public Integer call() {
        state.runtime().attach(id).runHealthchecks();
        return 0;
    }
}
