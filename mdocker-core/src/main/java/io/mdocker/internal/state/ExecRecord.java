package io.mdocker.internal.state;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * root in {@code <run root>/exec-identities/<sha256>} ({@link ExecIdentities}), shared by every
 * container with the same security settings: a few files in all, never one per container (a
 * per-container copy cost 0.5 ms per start on an ext4 run root); recovery removes those no
 * record names. pid 1 is found from the record's monitor, which is its
 * parent and has no other child ({@link #of(ContainerRecord)}).
 *
 * @param pid          host pid of the container's pid 1; 0 in a basis, -1 when there is none
 * @param pidStartTime its start time (field 22 of /proc/PID/stat)
 * @param cgroups      the container's cgroup directories, one per hierarchy
 * @param identity     CONFIG records: CAPS, SECURITY, SECCOMP, RLIMIT, GROUPS
 */
public record ExecRecord(int pid, long pidStartTime, List<Path> cgroups, int uid, int gid, String workdir,
                         Map<String, String> env, byte[] identity) {
    private static final String PREFIX = "exec.";
    private static final String IDENTITY = PREFIX + "identity";
    /** The prefix of the numbered environment keys of {@link #commandInfo}. */
    public static final String ENV_PREFIX = PREFIX + "env.";

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
        String hash = ExecIdentities.store(runRoot, identity);
        Map<String, String> info = new LinkedHashMap<>();
        info.put(PREFIX + "uid", Integer.toString(uid));
        info.put(PREFIX + "gid", Integer.toString(gid));
        info.put(IDENTITY, hash);
        int n = 0;
        for (Path c : cgroups) {
            info.put(PREFIX + "cgroup." + (++n), c.toString());
        }
        info.putAll(commandInfo());
        return info;
    }

    /** The keys of {@link #stateInfo} that the command's working directory and environment set. */
    public Map<String, String> commandInfo() {
        Map<String, String> info = new LinkedHashMap<>();
        info.put(PREFIX + "workdir", workdir);
        int n = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            info.put(ENV_PREFIX + (++n), e.getKey() + "=" + e.getValue());
        }
        return info;
    }

    /** The name of the identity file {@code container}'s state names, or null (a record without exec keys). */
    static String identityName(ContainerRecord container) {
        return container.state().get(IDENTITY);
    }

    /**
     * The record of {@code container}, from its state; empty when that holds none (written by an
     * mdocker without exec). Its pid 1 is the recorded monitor's one child while the container
     * runs; else the pid is -1 ({@link #pid1Alive()} is false).
     */
    public static Optional<ExecRecord> of(ContainerRecord container) {
        Map<String, String> state = container.state();
        Path file = container.dir().resolve(ContainerRecord.STATE_FILE);
        if (state.get(IDENTITY) == null) {
            return Optional.empty();
        }
        try {
            ExecRecord basis = basis(numbered(state, PREFIX + "cgroup.").stream().map(Path::of).toList(),
                    Integer.parseInt(required(state, PREFIX + "uid", file)), Integer.parseInt(required(state, PREFIX + "gid", file)),
                    required(state, PREFIX + "workdir", file), env(numbered(state, ENV_PREFIX)),
                    ExecIdentities.read(container.dir().getParent().getParent(), required(state, IDENTITY, file), file));
            int monitor = Integer.parseInt(required(state, "monitorPid", file));
            int pid1 = container.containerPid();
            long start = pid1 > 0 ? ProcStat.startTimeOrMinus1(pid1) : -1;
            // still the monitor's child once its start time is read: then it names pid 1
            boolean same = start >= 0 && ProcStat.parentPid(pid1) == monitor;
            return Optional.of(new ExecRecord(same ? pid1 : -1, same ? start : -1, basis.cgroups, basis.uid, basis.gid,
                    basis.workdir, basis.env, basis.identity));
        } catch (IllegalArgumentException e) { // NumberFormatException too
            throw new IllegalStateException("malformed " + file + ": " + e.getMessage(), e);
        }
    }

    private static String required(Map<String, String> p, String key, Path file) {
        String v = p.get(key);
        if (v == null) {
            throw new IllegalStateException("malformed " + file + ": no " + key);
        }
        return v;
    }

    /** The values of {@code prefix1}, {@code prefix2}, ... in their numbers' order. */
    private static List<String> numbered(Map<String, String> p, String prefix) {
        Map<Integer, String> sorted = new TreeMap<>();
        for (Map.Entry<String, String> e : p.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                sorted.put(Integer.parseInt(e.getKey().substring(prefix.length())), e.getValue());
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
