package io.mdocker.internal.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * What starting a process inside a running container (exec) needs to know of it: the host pid
 * of its pid 1 with that process's start time (a reused pid does not match), its cgroup
 * directories, and the user, working directory, environment and identity records of its
 * command. The identity records (capabilities, no_new_privs, seccomp program, rlimits, groups)
 * are protocol records, opaque here.
 *
 * <p>All but pid 1 is kept in the container's state record ({@link #stateInfo}, keys
 * {@code exec.*}, written with it before the container exists: nothing more to write on the
 * start path), so that another process, such as the CLI, can exec into it. The identity records
 * (10 KB with Docker's seccomp program) are named there by their SHA-256 and kept once per run
 * root in {@code <run root>/exec-identities/<sha256>}, shared by every container with the same
 * security settings: a few files in all, never one per container (a per-container copy cost
 * 0.5 ms per start on an ext4 run root). pid 1 is found from the record's monitor, which is its
 * parent and has no other child ({@link #read}).
 *
 * @param pid          host pid of the container's pid 1; 0 in a basis, -1 when there is none
 * @param pidStartTime its start time (field 22 of /proc/PID/stat)
 * @param cgroups      the container's cgroup directories, one per hierarchy
 * @param identity     CONFIG records: CAPS, SECURITY, SECCOMP, RLIMIT, GROUPS
 */
public record ExecRecord(int pid, long pidStartTime, List<Path> cgroups, int uid, int gid, String workdir,
                         Map<String, String> env, byte[] identity) {
    private static final String PREFIX = "exec.";
    private static final String IDENTITIES = "exec-identities";
    /** The identity files this JVM knows to exist. */
    private static final java.util.Set<Path> STORED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public ExecRecord {
        cgroups = List.copyOf(cgroups);
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        identity = identity.clone();
    }

    @Override
    public byte[] identity() {
        return identity.clone();
    }

    /** What exec needs of a container that has no pid 1 yet. */
    public static ExecRecord basis(List<Path> cgroups, int uid, int gid, String workdir, Map<String, String> env,
                                   byte[] identity) {
        return new ExecRecord(0, 0, cgroups, uid, gid, workdir, env, identity);
    }

    /** This record for the running pid 1 {@code pid} (its start time is read now). */
    public ExecRecord withPid1(int pid) {
        return new ExecRecord(pid, ProcStat.startTime(pid), cgroups, uid, gid, workdir, env, identity);
    }

    /** Whether the recorded pid 1 still runs: the pid exists and has the recorded start time. */
    public boolean pid1Alive() {
        return pid > 0 && ProcStat.startTimeOrMinus1(pid) == pidStartTime;
    }

    /**
     * The keys the state record keeps ({@code exec.*}): all but pid 1; the identity records are
     * stored under {@code runRoot} first, where they are not yet.
     */
    public Map<String, String> stateInfo(Path runRoot) {
        String hash = sha256(identity);
        storeIdentity(runRoot.resolve(IDENTITIES).resolve(hash));
        Map<String, String> info = new LinkedHashMap<>();
        info.put(PREFIX + "uid", Integer.toString(uid));
        info.put(PREFIX + "gid", Integer.toString(gid));
        info.put(PREFIX + "workdir", workdir);
        info.put(PREFIX + "identity", hash);
        int n = 0;
        for (Path c : cgroups) {
            info.put(PREFIX + "cgroup." + (++n), c.toString());
        }
        n = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            info.put(PREFIX + "env." + (++n), e.getKey() + "=" + e.getValue());
        }
        return info;
    }

    private void storeIdentity(Path file) {
        if (STORED.contains(file) || Files.exists(file)) {
            STORED.add(file);
            return;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".new-" + ProcessHandle.current().pid() + "-"
                + Thread.currentThread().threadId());
        try {
            Files.createDirectories(file.getParent());
            Files.write(tmp, identity);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE); // the same bytes, whoever wins
            STORED.add(file);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // reported through the original failure
            }
            throw new UncheckedIOException("writing " + file + ": " + e.getMessage(), e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static byte[] readIdentity(Path entryDir, String hash, Path stateFile) {
        if (!hash.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("exec.identity " + hash + " is not a SHA-256");
        }
        Path file = entryDir.getParent().getParent().resolve(IDENTITIES).resolve(hash);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalStateException(stateFile + " names " + file + ", which cannot be read: " + e.getMessage(), e);
        }
        if (!sha256(bytes).equals(hash)) {
            throw new IllegalStateException(file + " does not hold what its name says (SHA-256 " + sha256(bytes) + ")");
        }
        return bytes;
    }

    /**
     * The record of the entry in {@code entryDir}, from its state file; empty when that holds none
     * (written by an mdocker without exec). Its pid 1 is the only child of the recorded monitor,
     * where that monitor still runs; else the pid is -1 ({@link #pid1Alive()} is false).
     */
    public static Optional<ExecRecord> read(Path entryDir) {
        Path file = entryDir.resolve("state");
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file + ": " + e.getMessage(), e);
        }
        if (p.getProperty(PREFIX + "identity") == null) {
            return Optional.empty();
        }
        try {
            ExecRecord basis = basis(numbered(p, PREFIX + "cgroup.").stream().map(Path::of).toList(),
                    Integer.parseInt(required(p, PREFIX + "uid", file)), Integer.parseInt(required(p, PREFIX + "gid", file)),
                    required(p, PREFIX + "workdir", file), env(numbered(p, PREFIX + "env.")),
                    readIdentity(entryDir, required(p, PREFIX + "identity", file), file));
            int pid1 = pid1Of(Integer.parseInt(required(p, "monitorPid", file)),
                    Long.parseLong(required(p, "monitorStartTime", file)));
            long start = pid1 > 0 ? ProcStat.startTimeOrMinus1(pid1) : -1;
            return Optional.of(new ExecRecord(start < 0 ? -1 : pid1, start, basis.cgroups, basis.uid, basis.gid,
                    basis.workdir, basis.env, basis.identity));
        } catch (IllegalArgumentException e) { // NumberFormatException too
            throw new IllegalStateException("malformed " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The only child of the monitor {@code monitorPid} (started at {@code startTime}): the
     * container's pid 1; -1 when the monitor is gone or has none (not yet, or no more).
     */
    static int pid1Of(int monitorPid, long startTime) {
        if (ProcStat.startTimeOrMinus1(monitorPid) != startTime) {
            return -1;
        }
        List<Integer> children = new ArrayList<>();
        ProcessHandle.of(monitorPid).ifPresent(m -> m.children().forEach(c -> children.add((int) c.pid())));
        if (children.size() != 1) {
            return -1;
        }
        int pid1 = children.get(0);
        // Still the monitor's child, and the monitor still the recorded one: then pid1 names pid 1.
        boolean same = ProcStat.parentOrMinus1(pid1) == monitorPid && ProcStat.startTimeOrMinus1(monitorPid) == startTime;
        return same ? pid1 : -1;
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
