package io.mdocker.cli;

import io.mdocker.ContainerFilter;
import io.mdocker.ContainerInfo;
import io.mdocker.ContainerRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mdocker ps [-a] [-q] [-n N|-l] [--no-trunc] [-f label=...]}: the containers on the state
 * roots, as a table like Docker's.
 */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = "List running containers (of every mdocker process on the same state roots) with their published "
                + "ports; -a also exited ones.")
final class PsCommand implements Callable<Integer> {
    static final String FORMAT = "%-14s %-8s %-14s %-16s %-42s %-24s %s";
    private static final int COMMAND_WIDTH = 40;

    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = {"-a", "--all"}, description = "Also list exited detached containers.")
    boolean all;

    @Option(names = {"-q", "--quiet"}, description = "Print the short ids only.")
    boolean quiet;

    @Option(names = {"-f", "--filter"}, paramLabel = "label=KEY[=VALUE]",
            description = "Only containers with this label (and value); repeat it: all must match.")
    List<String> filters = new ArrayList<>();

    @Option(names = "--no-trunc", description = "Full ids and commands.")
    boolean noTrunc;

    @Option(names = {"-n", "--last"}, paramLabel = "N",
            description = "The N containers created last, exited ones included (as -a).")
    Integer last;

    @Option(names = {"-l", "--latest"}, description = "The container created last, exited or not (-n 1).")
    boolean latest;

    @Override
    public Integer call() {
        if (last != null && last < 0) {
            throw new IllegalArgumentException("--last " + last + ": expected a number of containers, 0 or more");
        }
        if (latest && last != null) {
            throw new IllegalArgumentException("-l and -n " + last + ": give one of them");
        }
        ContainerFilter[] by = filters.stream().map(ContainerFilter::parse).toArray(ContainerFilter[]::new);
        ContainerRuntime.requireRoot();
        List<ContainerInfo> known = state.runtime().list(by);
        Integer newest = latest ? Integer.valueOf(1) : last;
        List<ContainerInfo> listed = known.stream().filter(c -> all || newest != null || c.running()).toList();
        if (newest != null) { // list() is oldest first; Docker lists the newest first
            List<ContainerInfo> recent = new ArrayList<>(listed.subList(Math.max(0, listed.size() - newest), listed.size()));
            java.util.Collections.reverse(recent);
            listed = recent;
        }
        if (quiet) {
            listed.forEach(c -> System.out.println(noTrunc ? c.id() : c.shortId()));
            return 0;
        }
        System.out.println(String.format(FORMAT, "CONTAINER ID", "PID", "STATE", "CREATED", "COMMAND", "PORTS", "NAMES").stripTrailing());
        Instant now = Instant.now();
        for (ContainerInfo c : listed) {
            System.out.println(String.format(FORMAT, noTrunc ? c.id() : c.shortId(), c.pid() > 0 ? Integer.toString(c.pid()) : "-",
                    state(c), ago(Duration.between(c.created(), now)), noTrunc ? "\"" + c.command() + "\"" : quote(c.command()),
                    String.join(", ", c.ports().stream().map(Object::toString).toList()), c.name().orElse("") + shadowNote(c.name().orElse(null), c.id(), known))
                    .stripTrailing());
        }
        return 0;
    }

    /**
     * A name of hex digits that another container's id starts with shadows that id: the other
     * commands take a name before an id prefix (as Docker does), so {@code ps} says so.
     */
    static String shadowNote(String name, String ownId, List<ContainerInfo> containers) {
        if (name == null || !name.matches("[0-9a-f]{1,64}")) {
            return "";
        }
        List<String> shadowed = containers.stream().filter(o -> !o.id().equals(ownId) && o.id().startsWith(name))
                .map(ContainerInfo::shortId).toList();
        return shadowed.isEmpty() ? "" : " (shadows the id of " + String.join(", ", shadowed) + ")";
    }

    static String state(ContainerInfo c) {
        if (c.running()) {
            return (c.state() == ContainerInfo.State.PAUSED ? "paused" : "running") + health(c, Instant.now());
        }
        return "exited (" + (c.exitCode().isPresent() ? Integer.toString(c.exitCode().getAsInt()) : "?") + ")";
    }

    /**
     * Docker's " (healthy)", " (unhealthy)", " (health: starting)"; with the last run's age when it
     * is more than a minute old (no process runs the check now, or its interval is long).
     */
    static String health(ContainerInfo c, Instant now) {
        if (c.health().isEmpty()) {
            return "";
        }
        io.mdocker.HealthStatus h = c.health().get();
        String word = h.status() == io.mdocker.HealthStatus.Status.STARTING ? "health: starting" : h.status().dockerName();
        String age = h.lastRun().filter(t -> Duration.between(t, now).toSeconds() >= 60)
                .map(t -> ", checked " + ago(Duration.between(t, now))).orElse("");
        return " (" + word + age + ")";
    }

    /** Docker's "5 seconds ago", "3 minutes ago", ... */
    static String ago(Duration d) {
        long s = Math.max(0, d.toSeconds());
        if (s < 60) {
            return s + (s == 1 ? " second ago" : " seconds ago");
        }
        if (s < 3600) {
            return plural(s / 60, "minute");
        }
        if (s < 86400) {
            return plural(s / 3600, "hour");
        }
        return plural(s / 86400, "day");
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s") + " ago";
    }

    private static String quote(String command) {
        String c = command.length() > COMMAND_WIDTH ? command.substring(0, COMMAND_WIDTH - 1) + "…" : command;
        return "\"" + c + "\"";
    }
}
