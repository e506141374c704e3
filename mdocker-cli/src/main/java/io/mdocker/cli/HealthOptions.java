package io.mdocker.cli;

import io.mdocker.Container;
import io.mdocker.Healthcheck;
import picocli.CommandLine.Model.CommandSpec;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Docker's healthcheck flags of {@code run}, and what runs the check of a detached container:
 * no daemon holds it, so {@code run -d} starts a process of its own, {@code mdocker health-monitor
 * ID} (in a session of its own, its output discarded), which runs the check every interval and
 * records each run in the container's state until the container exits.
 */
final class HealthOptions {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    String command;
    String interval;
    String timeout;
    String startPeriod;
    Integer retries;
    boolean none;

    /** The options, in {@code run}'s programmatic model ({@link Model}). */
    static void addTo(CommandSpec spec) {
        spec.addOption(Model.option("COMMAND", String.class, "Command to run to check health (through /bin/sh -c).", "--health-cmd"));
        spec.addOption(Model.option("DURATION", String.class, "Time between running the check (30s, 1m30s, 500ms; default 30s).",
                "--health-interval"));
        spec.addOption(Model.option("DURATION", String.class, "Maximum time one check may run (default 30s).", "--health-timeout"));
        spec.addOption(Model.option("DURATION", String.class, "Start period: failures before its end do not count (default 0s).",
                "--health-start-period"));
        spec.addOption(Model.option("N", Integer.class, "Consecutive failures needed to report unhealthy (default 3).",
                "--health-retries"));
        spec.addOption(Model.flag("Disable any container-specified HEALTHCHECK.", "--no-healthcheck"));
    }

    /** The options' values as parsed in a model made with {@link #addTo}. */
    static HealthOptions read(CommandSpec spec) {
        HealthOptions o = new HealthOptions();
        o.command = Model.value(spec, "--health-cmd");
        o.interval = Model.value(spec, "--health-interval");
        o.timeout = Model.value(spec, "--health-timeout");
        o.startPeriod = Model.value(spec, "--health-start-period");
        o.retries = Model.value(spec, "--health-retries");
        o.none = Model.flag(spec, "--no-healthcheck");
        return o;
    }

    private boolean anyTiming() {
        return interval != null || timeout != null || startPeriod != null || retries != null;
    }

    /** Sets the builder's check from the flags (those given without --health-cmd wait for {@link #amend}). */
    void apply(Container.Builder b) {
        if (none && (command != null || anyTiming())) {
            throw new IllegalArgumentException("--no-healthcheck conflicts with --health-* options");
        }
        if (none) {
            b.healthcheck(new Healthcheck(List.of("NONE"), Duration.ofSeconds(30), Duration.ofSeconds(30), 3, Duration.ZERO));
        } else if (command != null) {
            if (command.isBlank()) {
                throw new IllegalArgumentException("--health-cmd '': expected a command");
            }
            b.healthcheck(new Healthcheck(List.of("CMD-SHELL", command), duration("--health-interval", interval, Duration.ofSeconds(30)),
                    duration("--health-timeout", timeout, Duration.ofSeconds(30)), retries(3),
                    duration("--health-start-period", startPeriod, Duration.ZERO)));
        } else if (anyTiming()) {
            // validated now, before anything is created; applied to the image's check by amend
            duration("--health-interval", interval, Duration.ofSeconds(30));
            duration("--health-timeout", timeout, Duration.ofSeconds(30));
            duration("--health-start-period", startPeriod, Duration.ZERO);
            retries(3);
        }
    }

    /** The container with the timing flags given without --health-cmd applied to its image's check. */
    Container amend(Container spec) {
        if (none || command != null || !anyTiming()) {
            return spec;
        }
        Healthcheck h = spec.healthcheck().filter(c -> !c.disabled()).orElseThrow(() -> new IllegalArgumentException(
                "--health-interval, --health-timeout, --health-start-period or --health-retries without --health-cmd: "
                        + "the image has no healthcheck to change"));
        return spec.toBuilder().healthcheck(new Healthcheck(h.test(), duration("--health-interval", interval, h.interval()),
                duration("--health-timeout", timeout, h.timeout()), retries(h.retries()),
                duration("--health-start-period", startPeriod, h.startPeriod()))).build();
    }

    private int retries(int dflt) {
        if (retries == null) {
            return dflt;
        }
        if (retries < 1) {
            throw new IllegalArgumentException("--health-retries " + retries + ": expected 1 or more");
        }
        return retries;
    }

    /** Go's duration syntax, as Docker's flags take it: {@code 30s}, {@code 1m30s}, {@code 500ms}, {@code 1.5h}. */
    static Duration duration(String flag, String value, Duration dflt) {
        if (value == null) {
            return dflt;
        }
        Matcher m = DURATION.matcher(value);
        Duration d = Duration.ZERO;
        int at = 0;
        while (at < value.length() && m.find(at) && m.start() == at) {
            double n = Double.parseDouble(m.group(1));
            long unitNanos = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            d = d.plusNanos(Math.round(n * unitNanos));
            at = m.end();
        }
        if (value.isEmpty() || at != value.length() || (d.isZero() && !flag.equals("--health-start-period"))) {
            throw new IllegalArgumentException(flag + " '" + value + "': expected a duration such as 30s, 1m30s or 500ms"
                    + (flag.equals("--health-start-period") ? "" : ", above 0"));
        }
        return d;
    }

    /**
     * Starts {@code mdocker health-monitor ID} in the background: this JVM's java and options, its
     * class path, in a new session (setsid) so that a closing terminal does not end it.
     */
    static void startMonitor(Path stateRoot, String id) {
        List<String> cmd = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            cmd.add(setsid.toString());
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            // a debugger's or an AOT cache's options belong to this run only
            if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent") && !a.startsWith("-XX:AOT")
                    && !a.startsWith("-XX:SharedArchiveFile") && !a.startsWith("-Xshare")) {
                cmd.add(a);
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "health-monitor"));
        if (stateRoot != null) {
            cmd.addAll(List.of("--state-root", stateRoot.toString()));
        }
        cmd.add(id);
        try {
            new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException("starting the health monitor of container " + id + ": " + e.getMessage(), e);
        }
    }
}
