package io.mdocker.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.ContainerException;
import io.mdocker.ContainerInfo;
import io.mdocker.ContainerRuntime;
import io.mdocker.PortMapping;
import io.mdocker.internal.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mdocker inspect ID...}: what the state roots record of containers, as a JSON array shaped
 * like Docker's {@code inspect} (the fields mdocker has: Id, Created, Name, Command, Config (Image, Labels), State (Status, Running, Paused,
 * Pid, ExitCode), NetworkSettings, LogPath). Detached or not, started by any process on the same roots. An id
 * that matches nothing is one line on stderr; the others are still printed, and the status is 1.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what is recorded of containers (detached or not) as a JSON array, as Docker's inspect.")
final class InspectCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Parameters(arity = "1..*", paramLabel = "ID", description = ContainerVerb.ID_DESCRIPTION)
    List<String> ids = new ArrayList<>();

    @picocli.CommandLine.Option(names = {"-f", "--format"}, paramLabel = "TEMPLATE",
            description = "A line per container from TEMPLATE, as Docker's: text with {{.Field.Sub}} (a value, or an "
                    + "object's JSON) and {{json .Field}}, e.g. '{{.State.Pid}}'.")
    String format;

    @Override
    public Integer call() throws Exception {
        ContainerRuntime.requireRoot();
        if (format != null) {
            GoTemplate.render(format, null); // its syntax, checked before any container is read
        }
        ContainerRuntime rt = state.runtime();
        ArrayNode out = Json.NODES.arrayNode();
        int status = 0;
        for (String id : ids) {
            try {
                out.add(json(rt, rt.inspect(id)));
            } catch (ContainerException | IllegalArgumentException e) {
                status = ContainerVerb.report(e);
            }
        }
        if (format == null) {
            System.out.println(Json.pretty(out));
            return status;
        }
        for (com.fasterxml.jackson.databind.JsonNode c : out) {
            try {
                System.out.println(GoTemplate.render(format, c));
            } catch (IllegalArgumentException e) { // a field this container lacks
                status = ContainerVerb.report(e);
            }
        }
        return status;
    }

    static ObjectNode json(ContainerRuntime rt, ContainerInfo c) {
        ObjectNode o = Json.NODES.objectNode();
        o.put("Id", c.id());
        o.put("Created", c.created().toString());
        o.put("Name", c.name().map(n -> "/" + n).orElse("")); // Docker's leading slash
        o.put("Command", c.command());
        o.put("Detached", c.detached());
        ObjectNode config = o.putObject("Config");
        config.put("Image", c.image().orElse("")); // the reference as given, or the root filesystem's directory
        ObjectNode labels = config.putObject("Labels"); // Docker's place for them
        c.labels().forEach(labels::put);
        ObjectNode s = o.putObject("State");
        boolean running = c.running();
        s.put("Status", c.state().name().toLowerCase(java.util.Locale.ROOT));
        s.put("Running", running);
        s.put("Paused", c.state() == ContainerInfo.State.PAUSED);
        s.put("Pid", Math.max(0, c.pid())); // Docker's 0 when not running
        if (c.exitCode().isPresent()) {
            s.put("ExitCode", c.exitCode().getAsInt());
        } else {
            s.putNull("ExitCode");
        }
        c.health().ifPresent(h -> {
            ObjectNode health = s.putObject("Health"); // Docker's State.Health
            health.put("Status", h.status().dockerName());
            health.put("FailingStreak", h.failingStreak());
            ArrayNode log = health.putArray("Log");
            for (io.mdocker.HealthStatus.Run r : h.log()) {
                ObjectNode e = log.addObject();
                e.put("Start", r.start().toString());
                e.put("End", r.end().toString());
                e.put("ExitCode", r.exitCode());
                e.put("Output", r.output());
            }
        });
        ObjectNode net = o.putObject("NetworkSettings");
        net.put("Mode", c.network());
        net.put("IPAddress", c.ipAddress().orElse(""));
        ObjectNode ports = net.putObject("Ports");
        for (PortMapping p : c.ports()) {
            ObjectNode binding = ((ArrayNode) ports.withArray(p.containerPort() + "/tcp")).addObject();
            binding.put("HostIp", p.hostIp());
            binding.put("HostPort", Integer.toString(p.hostPort()));
        }
        o.put("LogPath", c.detached() ? rt.attach(c.id()).stdoutLog().toString() : "");
        return o;
    }
}
