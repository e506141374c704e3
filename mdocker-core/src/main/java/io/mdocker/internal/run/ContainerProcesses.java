package io.mdocker.internal.run;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The processes of a running container: those in the pid namespace of its pid 1, found in /proc
 * (the host's pids). What this process may not inspect (another user's, rootless) is not listed.
 */
public final class ContainerProcesses {
    private static final Path PROC = Path.of("/proc");

    private ContainerProcesses() {}

    /**
     * The processes in the pid namespace of {@code pid1}: it first, the others by pid; empty when
     * {@code pid1} is gone.
     */
    public static List<ProcessHandle> of(int pid1) {
        Path ns = namespace(pid1);
        if (ns == null) {
            return List.of();
        }
        List<Long> pids = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(PROC, ContainerProcesses::isPid)) {
            for (Path dir : ds) {
                long pid = Long.parseLong(dir.getFileName().toString());
                if (pid != pid1 && ns.equals(namespace(pid))) {
                    pids.add(pid);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("listing " + PROC + ": " + e.getMessage(), e);
        }
        pids.sort(null);
        List<ProcessHandle> out = new ArrayList<>();
        ProcessHandle.of(pid1).ifPresent(out::add);
        if (out.isEmpty()) {
            return List.of(); // pid 1 went meanwhile: so did the namespace's other processes
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(out::add);
        }
        return List.copyOf(out);
    }

    private static boolean isPid(Path p) {
        String name = p.getFileName().toString();
        return !name.isEmpty() && name.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** The target of /proc/PID/ns/pid ({@code pid:[4026532573]}), or null when it cannot be read. */
    private static Path namespace(long pid) {
        try {
            return Files.readSymbolicLink(PROC.resolve(Long.toString(pid)).resolve("ns").resolve("pid"));
        } catch (IOException | SecurityException e) {
            return null; // gone, or not this user's to inspect
        }
    }
}
