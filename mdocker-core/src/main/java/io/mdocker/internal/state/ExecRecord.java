package io.mdocker.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What starting a process inside a running container (exec) needs to know of it, kept beside its
 * state record ({@code <run root>/containers/<id>/exec}) so that another process, such as the CLI,
 * can exec into it: the host pid of its pid 1 with that process's start time (a reused pid does
 * not match), its cgroup directories, and the user, working directory, environment and identity
 * records of its command. The identity records (capabilities, no_new_privs, seccomp program,
 * rlimits, groups) are protocol records, opaque here. Written before GO, removed with the entry.
 *
 * @param pid          host pid of the container's pid 1
 * @param pidStartTime its start time (field 22 of /proc/PID/stat)
 * @param cgroups      the container's cgroup directories, one per hierarchy
 * @param identity     CONFIG records: CAPS, SECURITY, SECCOMP, RLIMIT, GROUPS
 */
public record ExecRecord(int pid, long pidStartTime, List<Path> cgroups, int uid, int gid, String workdir,
                         Map<String, String> env, byte[] identity) {
    /** The file's name in the entry's directory. */
    public static final String FILE = "exec";

    public ExecRecord {
        cgroups = List.copyOf(cgroups);
        env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
        identity = identity.clone();
    }

    @Override
    public byte[] identity() {
        return identity.clone();
    }

    /** The record of the running process {@code pid} (its start time is read now). */
    public static ExecRecord of(int pid, List<Path> cgroups, int uid, int gid, String workdir, Map<String, String> env,
                                byte[] identity) {
        return new ExecRecord(pid, ProcStat.startTime(pid), cgroups, uid, gid, workdir, env, identity);
    }

    /** Whether the recorded pid 1 still runs: the pid exists and has the recorded start time. */
    public boolean pid1Alive() {
        return ProcStat.startTimeOrMinus1(pid) == pidStartTime;
    }

    /** Writes the record into the entry's directory, whole or not at all (renamed into place). */
    public void write(Path entryDir) {
        Properties p = new Properties();
        p.setProperty("pid", Integer.toString(pid));
        p.setProperty("pidStartTime", Long.toString(pidStartTime));
        p.setProperty("uid", Integer.toString(uid));
        p.setProperty("gid", Integer.toString(gid));
        p.setProperty("workdir", workdir);
        p.setProperty("identity", Base64.getEncoder().encodeToString(identity));
        int n = 0;
        for (Path c : cgroups) {
            p.setProperty("cgroup." + (++n), c.toString());
        }
        n = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            p.setProperty("env." + (++n), e.getKey() + "=" + e.getValue());
        }
        Path tmp = entryDir.resolve(FILE + ".new");
        try {
            try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(out, "mdocker: what exec needs of this container");
            }
            Files.move(tmp, entryDir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // reported through the original failure
            }
            throw new UncheckedIOException("writing " + entryDir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads the record of the entry in {@code entryDir}; empty when there is none (the container
     * has not reached its start yet, or is being removed).
     */
    public static java.util.Optional<ExecRecord> read(Path entryDir) {
        Path file = entryDir.resolve(FILE);
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            return java.util.Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + ": " + e.getMessage(), e);
        }
        try {
            return java.util.Optional.of(new ExecRecord(Integer.parseInt(required(p, "pid", file)),
                    Long.parseLong(required(p, "pidStartTime", file)),
                    numbered(p, "cgroup.").stream().map(Path::of).toList(),
                    Integer.parseInt(required(p, "uid", file)), Integer.parseInt(required(p, "gid", file)),
                    required(p, "workdir", file), env(numbered(p, "env.")),
                    Base64.getDecoder().decode(required(p, "identity", file))));
        } catch (IllegalArgumentException e) { // NumberFormatException too
            throw new IllegalStateException("malformed " + file + ": " + e.getMessage(), e);
        }
    }

    private static String required(Properties p, String key, Path file) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalStateException("malformed " + file + ": no " + key);
        }
        return v;
    }

    /** The values of {@code prefix1}, {@code prefix2}, ... in their numbers' order. */
    private static List<String> numbered(Properties p, String prefix) {
        Map<Integer, String> sorted = new TreeMap<>();
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith(prefix)) {
                sorted.put(Integer.parseInt(k.substring(prefix.length())), p.getProperty(k));
            }
        }
        return new ArrayList<>(sorted.values());
    }

    private static Map<String, String> env(List<String> pairs) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : pairs) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("environment entry '" + kv + "' is not KEY=VALUE");
            }
            env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return env;
    }
}
