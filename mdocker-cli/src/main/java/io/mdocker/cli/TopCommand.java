package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.ContainerRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code mdocker top CONTAINER}: the processes running in a container, as Docker's {@code top}:
 * user, host pid and parent pid, start time, CPU time and command line, pid 1 first. A container
 * that is not found or not running is one line on stderr and status 1.
 */
@Command(name = "top", mixinStandardHelpOptions = true,
        description = "List the processes running in a container (host pids), its pid 1 first.")
final class TopCommand implements Callable<Integer> {
    private static final DateTimeFormatter STARTED = DateTimeFormatter.ofPattern("HH:mm").withZone(ZoneId.systemDefault());
    private static final String ROW = "%-10s %-8s %-8s %-6s %-9s %s%n";

    @Mixin
    StateRootOption state = new StateRootOption();

    @Parameters(paramLabel = "CONTAINER", description = ContainerVerb.ID_DESCRIPTION)
    String id;

    @Override
    public Integer call() {
        ContainerRuntime.requireRoot();
        List<ProcessHandle> processes;
        try {
            processes = state.runtime().processes(id);
        } catch (ContainerException | IllegalArgumentException e) {
            return ContainerVerb.report(e);
        }
        if (processes.isEmpty()) {
            return ContainerVerb.report(new IllegalArgumentException("container " + id + " is not running"));
        }
        System.out.printf(ROW, "UID", "PID", "PPID", "STIME", "TIME", "CMD");
        for (ProcessHandle p : processes) {
            ProcessHandle.Info info = p.info();
            System.out.printf(ROW, info.user().orElse("?"), p.pid(),
                    p.parent().map(h -> Long.toString(h.pid())).orElse("?"),
                    info.startInstant().map(STARTED::format).orElse("?"),
                    info.totalCpuDuration().map(TopCommand::cpu).orElse("?"),
                    Main.oneLine(cmdline(p).orElse(info.command().orElse("?"))));
        }
        return 0;
    }

    /** The process's argv as ps shows it (the JDK's commandLine() puts the executable's path for argv[0]). */
    private static java.util.Optional<String> cmdline(ProcessHandle p) {
        try {
            byte[] raw = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc", Long.toString(p.pid()), "cmdline"));
            String args = new String(raw, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').strip();
            return args.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(args);
        } catch (java.io.IOException e) {
            return java.util.Optional.empty(); // gone meanwhile
        }
    }

    /** {@code hh:mm:ss}, as ps prints TIME. */
    private static String cpu(Duration d) {
        long s = d.toSeconds();
        return String.format("%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }
}
