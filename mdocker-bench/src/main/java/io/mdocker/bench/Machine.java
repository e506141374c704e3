package io.mdocker.bench;

import io.mdocker.internal.cgroup.CgroupLayout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * Where the figures were measured: cores, memory, kernel, cgroup layout, JDK, the versions of
 * the other runtimes, the date; one line each for the report.
 */
record Machine(int cores, long memoryKiB, String kernel, String cgroups, String jdk, String tools, Instant date) {

    static Machine here() {
        return new Machine(Runtime.getRuntime().availableProcessors(), memTotalKiB(), System.getProperty("os.version"),
                CgroupLayout.host().describe(), Runtime.version().toString(),
                String.join(", ", version("runc", "--version"), version("bwrap", "--version"),
                        version("unshare", "--version")),
                Instant.now().truncatedTo(ChronoUnit.SECONDS));
    }

    String markdown() {
        return String.format(Locale.ROOT, """
                - machine: %d cores, %.1f GiB memory, kernel %s
                - cgroups: %s
                - JDK %s; %s
                """, cores, memoryKiB / 1048576.0, kernel, cgroups, jdk, tools);
    }

    /** The first three fields of /proc/loadavg: how busy the machine was, over 1, 5 and 15 minutes. */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static long memTotalKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // reported as 0
        }
        return 0;
    }

    /** The first line a tool prints for its version, or "TOOL: not installed". */
    private static String version(String tool, String flag) {
        try {
            Process p = new ProcessBuilder(List.of(tool, flag)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out.lines().findFirst().orElse(tool).trim();
        } catch (IOException e) {
            return tool + ": not installed";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return tool;
        }
    }
}
