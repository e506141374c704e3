package io.mdocker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A process's memory as the kernel counts it in /proc/PID/smaps_rollup and /proc/PID/smaps, in KiB. */
public final class Smaps {
    private Smaps() {}

    /**
     * @param rssKiB resident pages, shared ones counted in full
     * @param pssKiB resident pages, each shared page divided among the processes mapping it
     */
    public record Usage(long rssKiB, long pssKiB) {
        public Usage plus(Usage o) {
            return new Usage(rssKiB + o.rssKiB, pssKiB + o.pssKiB);
        }
    }

    static Usage rollup(long pid) throws IOException {
        long rss = 0;
        long pss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            if (line.startsWith("Rss:")) {
                rss = kib(line);
            } else if (line.startsWith("Pss:")) {
                pss = kib(line);
            }
        }
        return new Usage(rss, pss);
    }

    /** RSS per mapping name (the file, [heap], [stack], or "anonymous"), largest first. */
    static List<Map.Entry<String, Long>> rssByMapping(long pid) throws IOException {
        Map<String, Long> by = new LinkedHashMap<>();
        String name = null;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] f = line.trim().split("\\s+", 6);
                name = f.length == 6 ? f[5] : "anonymous";
            } else if (line.startsWith("Rss:") && name != null) {
                by.merge(name, kib(line), Long::sum);
            }
        }
        return by.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())).toList();
    }

    /** The parent pid from /proc/PID/stat (after the command name, which may hold spaces). */
    static long parent(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
