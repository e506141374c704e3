package io.mdocker.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.mdocker.ContainerFilter;
import io.mdocker.ContainerInfo;
import io.mdocker.ContainerRuntime;
import io.mdocker.internal.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mdocker ps [-a] [-q] [-n N|-l] [--no-trunc] [-f FILTER]... [--format FORMAT]}: the
 * containers on the state roots, as a table like Docker's, or a line per container from a template.
 */
@Command(name = "ps", mixinStandardHelpOptions = true,
        description = "List running containers (of every mdocker process on the same state roots) with their published "
                + "ports; -a also exited ones.")
final class PsCommand implements Callable<Integer> {
    static final String FORMAT = "%-14s %-20s %-8s %-14s %-16s %-42s %-24s %s";
    private static final int COMMAND_WIDTH = 40;
    private static final int IMAGE_WIDTH = 19;

    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = {"-a", "--all"}, description = "Also list exited detached containers.")
    boolean all;

    @Option(names = {"-q", "--quiet"}, description = "Print the short ids only.")
    boolean quiet;

    @Option(names = {"-f", "--filter"}, paramLabel = "FILTER",
            description = "label=KEY[=VALUE], status=running|paused|exited, name=REGEX, id=PREFIX, exited=CODE, "
                    + "health=starting|healthy|unhealthy|none or ancestor=IMAGE; repeatable: every label must match, and "
                    + "one filter of each other kind. status= and exited= list exited containers without -a.")
    List<String> filters = new ArrayList<>();

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "A line per container from a template ('{{.ID}} {{.Names}}'; fields ID, Image, Names, Command, "
                    + "CreatedAt, RunningFor, Ports, State, Status, Labels, Networks, Pid; \\t is a tab), 'table TEMPLATE' "
                    + "(with a header, columns aligned), 'table' (the default) or 'json' (an object per line).")
    String format;

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
        String template = GoTemplate.ofFormat(format);
        ContainerRuntime.requireRoot();
        List<ContainerInfo> known = state.runtime().list(by);
        Integer newest = latest ? Integer.valueOf(1) : last;
        // as Docker's: a filter on the state or the exit code lists exited containers too
        boolean any = all || java.util.Arrays.stream(by).anyMatch(f -> f instanceof ContainerFilter.Status
                || f instanceof ContainerFilter.Exited);
        List<ContainerInfo> listed = known.stream().filter(c -> any || newest != null || c.running()).toList();
        if (newest != null) { // list() is oldest first; Docker lists the newest first
            List<ContainerInfo> recent = new ArrayList<>(listed.subList(Math.max(0, listed.size() - newest), listed.size()));
            java.util.Collections.reverse(recent);
            listed = recent;
        }
        if (quiet) {
            listed.forEach(c -> System.out.println(noTrunc ? c.id() : c.shortId()));
            return 0;
        }
        if (template != null) {
            Instant now = Instant.now();
            GoTemplate.print(format, template, HEADERS, listed.stream().map(c -> (JsonNode) row(c, known, now)).toList());
            return 0;
        }
        System.out.println(String.format(FORMAT, "CONTAINER ID", "IMAGE", "PID", "STATE", "CREATED", "COMMAND", "PORTS", "NAMES")
                .stripTrailing());
        Instant now = Instant.now();
        for (ContainerInfo c : listed) {
            System.out.println(String.format(FORMAT, noTrunc ? c.id() : c.shortId(), image(c),
                    c.pid() > 0 ? Integer.toString(c.pid()) : "-",
                    state(c), ago(Duration.between(c.created(), now)), noTrunc ? "\"" + c.command() + "\"" : quote(c.command()),
                    String.join(", ", c.ports().stream().map(Object::toString).toList()), c.name().orElse("") + shadowNote(c.name().orElse(null), c.id(), known))
                    .stripTrailing());
        }
        return 0;
    }

    /** The column names of {@code table} templates' fields, Docker's. */
    private static final java.util.Map<String, String> HEADERS = java.util.Map.ofEntries(
            java.util.Map.entry("ID", "CONTAINER ID"), java.util.Map.entry("RunningFor", "CREATED"),
            java.util.Map.entry("CreatedAt", "CREATED AT"));

    /** A container as {@code --format}'s fields see it (Docker's names; Pid mdocker's). */
    private com.fasterxml.jackson.databind.node.ObjectNode row(ContainerInfo c, List<ContainerInfo> known, Instant now) {
        com.fasterxml.jackson.databind.node.ObjectNode o = Json.NODES.objectNode();
        o.put("ID", noTrunc ? c.id() : c.shortId());
        o.put("Image", c.image().orElse(""));
        o.put("Names", c.name().orElse("") + shadowNote(c.name().orElse(null), c.id(), known));
        o.put("Command", noTrunc ? "\"" + c.command() + "\"" : quote(c.command()));
        o.put("CreatedAt", ImagesCommand.CREATED_AT.format(c.created()));
        o.put("RunningFor", ago(Duration.between(c.created(), now)));
        o.put("Ports", String.join(", ", c.ports().stream().map(Object::toString).toList()));
        o.put("State", c.state().name().toLowerCase(java.util.Locale.ROOT));
        o.put("Status", status(c, now));
        o.put("Labels", String.join(",", c.labels().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList()));
        o.put("Networks", c.network());
        o.put("Pid", Math.max(0, c.pid()));
        return o;
    }

    /**
     * The IMAGE column: the reference, or the root filesystem's directory; a long one shortened
     * to its column with "…" (a directory keeps its end), unless --no-trunc.
     */
    private String image(ContainerInfo c) {
        String image = c.image().orElse("-");
        if (noTrunc || image.length() <= IMAGE_WIDTH) {
            return image;
        }
        return image.startsWith("/") ? "…" + image.substring(image.length() - IMAGE_WIDTH + 1)
                : image.substring(0, IMAGE_WIDTH - 1) + "…";
    }

    /** Docker's Status: {@code Up 5 minutes (healthy)}, {@code Up 2 hours (Paused)}, {@code Exited (3)}. */
    static String status(ContainerInfo c, Instant now) {
        if (!c.running()) {
            return "Exited (" + (c.exitCode().isPresent() ? Integer.toString(c.exitCode().getAsInt()) : "?") + ")";
        }
        String up = "Up " + ago(Duration.between(c.created(), now)).replace(" ago", "");
        return up + (c.state() == ContainerInfo.State.PAUSED ? " (Paused)" : health(c, now));
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
