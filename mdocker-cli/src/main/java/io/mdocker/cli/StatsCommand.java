package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.ContainerInfo;
import io.mdocker.ContainerRuntime;
import io.mdocker.DetachedContainer;
import io.mdocker.ResourceStats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code mdocker stats [--no-stream] [--format FORMAT] [ID...]}: what detached containers' cgroups count, as Docker's
 * {@code stats}: CPU as a percentage of one core over the last second, memory now and at its
 * peak, processes. Without ids, every running container on the state roots.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
        description = "Show CPU, memory and process counts of running detached containers (all of them when no id is "
                + "given), every second until interrupted; --no-stream: once.")
final class StatsCommand implements Callable<Integer> {
    static final String FORMAT = "%-14s %8s %12s %12s %6s";
    private static final long INTERVAL_MILLIS = 1000;

    @Mixin
    StateRootOption state = new StateRootOption();

    @Option(names = "--no-stream", description = "Print one table and exit.")
    boolean noStream;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "A line per container from a template ('{{.Name}} {{.MemUsage}}'; fields ID, Container, Name, "
                    + "CPUPerc, MemUsage, MemPeak, PIDs; \\t is a tab), 'table TEMPLATE' (with a header, columns "
                    + "aligned), 'table' (the default) or 'json' (an object per line).")
    String format;

    /** The column names of {@code table} templates' fields, Docker's. */
    private static final java.util.Map<String, String> HEADERS = java.util.Map.of("ID", "CONTAINER ID", "CPUPerc", "CPU %",
            "MemUsage", "MEM USAGE", "MemPeak", "MEM PEAK", "PIDs", "PIDS");

    @Parameters(arity = "0..*", paramLabel = "ID", description = ContainerVerb.ID_DESCRIPTION)
    List<String> ids = new ArrayList<>();

    @Override
    public Integer call() throws InterruptedException {
        String template = GoTemplate.ofFormat(format);
        ContainerRuntime.requireRoot();
        ContainerRuntime rt = state.runtime();
        List<DetachedContainer> containers = new ArrayList<>();
        int status = 0;
        if (ids.isEmpty()) {
            for (ContainerInfo c : rt.list()) {
                if (c.running() && c.detached()) {
                    containers.add(rt.attach(c.id()));
                }
            }
        }
        for (String id : ids) {
            try {
                containers.add(rt.attach(id));
            } catch (ContainerException | IllegalArgumentException e) {
                status = ContainerVerb.report(e);
            }
        }
        List<ResourceStats> last = sample(containers);
        long lastNanos = System.nanoTime();
        do {
            Thread.sleep(INTERVAL_MILLIS);
            List<ResourceStats> now = sample(containers);
            long nowNanos = System.nanoTime();
            if (template != null) {
                List<com.fasterxml.jackson.databind.JsonNode> rows = new ArrayList<>();
                for (int i = 0; i < containers.size(); i++) {
                    DetachedContainer c = containers.get(i);
                    String[] cells = cells(last.get(i), now.get(i), nowNanos - lastNanos);
                    com.fasterxml.jackson.databind.node.ObjectNode o = io.mdocker.internal.json.Json.NODES.objectNode();
                    o.put("ID", c.shortId());
                    o.put("Container", c.name().orElse(c.shortId())); // Docker's: the name, else the id
                    o.put("Name", c.name().orElse(""));
                    o.put("CPUPerc", cells[0]);
                    o.put("MemUsage", cells[1]);
                    o.put("MemPeak", cells[2]);
                    o.put("PIDs", cells[3]);
                    rows.add(o);
                }
                GoTemplate.print(format, template, HEADERS, rows);
            } else {
                System.out.println(String.format(FORMAT, "CONTAINER ID", "CPU %", "MEM USAGE", "MEM PEAK", "PIDS"));
                for (int i = 0; i < containers.size(); i++) {
                    System.out.println(row(containers.get(i).shortId(), last.get(i), now.get(i), nowNanos - lastNanos));
                }
            }
            System.out.flush();
            last = now;
            lastNanos = nowNanos;
        } while (!noStream && containers.stream().anyMatch(DetachedContainer::isRunning));
        return status;
    }

    private static List<ResourceStats> sample(List<DetachedContainer> containers) {
        return containers.stream().map(DetachedContainer::stats).toList();
    }

    /** One line; "--" where a figure is unknown (an exited container, a controller the host lacks). */
    static String row(String id, ResourceStats before, ResourceStats now, long wallNanos) {
        String[] c = cells(before, now, wallNanos);
        return String.format(FORMAT, id, c[0], c[1], c[2], c[3]);
    }

    /** CPU %, memory now, memory at its peak, processes; "--" where a figure is unknown. */
    private static String[] cells(ResourceStats before, ResourceStats now, long wallNanos) {
        String cpu = before.cpuUsageNanos() < 0 || now.cpuUsageNanos() < 0 ? "--"
                : String.format(Locale.ROOT, "%.2f%%", 100.0 * (now.cpuUsageNanos() - before.cpuUsageNanos()) / wallNanos);
        return new String[] {cpu, size(now.memoryBytes()), size(now.memoryPeakBytes()),
                now.pids() < 0 ? "--" : Long.toString(now.pids())};
    }

    /** Docker's way: "1.52 MiB", "512 KiB" (two decimals at most, binary units). */
    static String size(long bytes) {
        if (bytes < 0) {
            return "--";
        }
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.2f", v).replaceAll("\\.?0+$", "") + " " + units[u];
    }
}
