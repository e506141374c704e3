package io.mdocker.cli.oci;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.internal.json.Json;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.cgroup.Freezer;
import io.mdocker.internal.state.ProcStat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What mdocker-runtime keeps of one container under {@code --root}: {@code <root>/<id>/state}
 * (written once by create, read by every other verb, in Java here and in C by the front end,
 * src/main/c/oci-front/) and {@code <root>/<id>/exec.fifo} (made by pid 1, removed by start).
 * The status is never stored: it is read from the process and the cgroup each time, as the
 * spec's {@code state} asks.
 *
 * <p>The file is line-oriented so that the front end reads it without a JSON parser: one record
 * a line, its fields separated by one space, each field escaped ({@code \\} for a backslash,
 * {@code \xHH} for a byte at or below the space and for DEL; an empty field is empty):
 * <pre>
 * ociVersion VERSION
 * id ID
 * pid PID
 * startTime TICKS                    (field 22 of /proc/PID/stat, against pid reuse)
 * bundle PATH
 * created RFC3339
 * annotation KEY VALUE               (one per annotation, in order)
 * cgroup KEY VALUE                   (ContainerCgroups' state record: cgroup.N, cgroupParent.N, devices)
 * hook KIND TIMEOUT PATH ARGC ARG... ENV...   (startContainer, poststart, poststop; TIMEOUT 0: none)
 * </pre>
 *
 * @param id          the container's id
 * @param dir         its state directory
 * @param pid         its process's host pid
 * @param startTime   that process's start time, against pid reuse
 * @param bundle      the bundle's path
 * @param created     when it was created (RFC 3339)
 * @param annotations the config's annotations
 * @param cgroupInfo  its cgroups as the engine recorded them
 * @param hooks       the hooks that run after create (startContainer, poststart, poststop; the
 *                    others are empty), kept here since the bundle may change or go
 */
record OciState(String id, Path dir, int pid, long startTime, Path bundle, String created,
                Map<String, String> annotations, Map<String, String> cgroupInfo, OciConfig.Hooks hooks) {
    static final String OCI_VERSION = "1.0.2";
    static final String FILE = "state";

    /** The states of the spec. */
    enum Status {
        CREATED, RUNNING, STOPPED, PAUSED;

        String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    Path execFifo() {
        return dir.resolve("exec.fifo");
    }

    /** The container's cgroup directories (the v1 devices one not included). */
    List<Path> cgroupDirs() {
        return ContainerCgroups.recordedDirs(cgroupInfo);
    }

    /** The status now: stopped once its process is gone, created while the exec fifo exists, paused while frozen. */
    Status status() {
        if (!ProcStat.isRunning(pid, startTime)) {
            return Status.STOPPED;
        }
        if (Files.exists(execFifo(), LinkOption.NOFOLLOW_LINKS)) {
            return Status.CREATED;
        }
        if (Freezer.isFrozen(CgroupFs.REAL, cgroupDirs())) {
            return Status.PAUSED;
        }
        return Status.RUNNING;
    }

    /** The spec's state JSON (the front end writes the same fields in the same order). */
    ObjectNode stateJson(Status status) {
        ObjectNode n = Json.NODES.objectNode();
        n.put("ociVersion", OCI_VERSION);
        n.put("id", id);
        n.put("status", status.text());
        n.put("pid", status == Status.STOPPED ? 0 : pid);
        n.put("bundle", bundle.toString());
        ObjectNode a = n.putObject("annotations");
        annotations.forEach(a::put);
        n.put("created", created);
        return n;
    }

    static Path dir(Path root, String id) {
        return root.resolve(id);
    }

    /** Reads the state of {@code id}; IllegalArgumentException when there is none. */
    static OciState read(Path root, String id) {
        checkId(id);
        Path dir = dir(root, id);
        List<String> lines;
        try {
            lines = Files.readAllLines(dir.resolve(FILE), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new NoSuchContainer(id);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + dir.resolve(FILE), e);
        }
        Map<String, String> single = new LinkedHashMap<>();
        Map<String, String> annotations = new LinkedHashMap<>();
        Map<String, String> cgroups = new LinkedHashMap<>();
        Map<String, List<OciConfig.Hook>> hooks = new LinkedHashMap<>();
        for (String line : lines) {
            String[] f = line.split(" ", -1);
            for (int i = 1; i < f.length; i++) {
                f[i] = unescape(f[i]);
            }
            switch (f[0]) {
                case "annotation" -> annotations.put(f[1], f[2]);
                case "cgroup" -> cgroups.put(f[1], f[2]);
                case "hook" -> {
                    int timeout = Integer.parseInt(f[2]);
                    int argc = Integer.parseInt(f[4]);
                    List<String> args = List.of(f).subList(5, 5 + argc);
                    List<String> env = List.of(f).subList(5 + argc, f.length);
                    hooks.computeIfAbsent(f[1], k -> new ArrayList<>()).add(new OciConfig.Hook(f[3], args, env,
                            timeout > 0 ? OptionalInt.of(timeout) : OptionalInt.empty()));
                }
                default -> single.put(f[0], f.length > 1 ? f[1] : "");
            }
        }
        OciConfig.Hooks h = new OciConfig.Hooks(List.of(), List.of(), List.of(), hooks.getOrDefault("startContainer", List.of()),
                hooks.getOrDefault("poststart", List.of()), hooks.getOrDefault("poststop", List.of()));
        return new OciState(id, dir, Integer.parseInt(single.get("pid")), Long.parseLong(single.get("startTime")),
                Path.of(single.get("bundle")), single.get("created"), annotations, cgroups, h);
    }

    /** Writes the state file through a temporary file and a rename: readers see all of it or none. */
    void write() {
        StringBuilder s = new StringBuilder();
        line(s, "ociVersion", OCI_VERSION);
        line(s, "id", id);
        line(s, "pid", Integer.toString(pid));
        line(s, "startTime", Long.toString(startTime));
        line(s, "bundle", bundle.toString());
        line(s, "created", created);
        annotations.forEach((k, v) -> line(s, "annotation", k, v));
        cgroupInfo.forEach((k, v) -> line(s, "cgroup", k, v));
        hooks(s, "startContainer", hooks.startContainer());
        hooks(s, "poststart", hooks.poststart());
        hooks(s, "poststop", hooks.poststop());
        try {
            Path tmp = dir.resolve(FILE + ".tmp");
            Files.writeString(tmp, s, StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the state of " + id, e);
        }
    }

    private static void hooks(StringBuilder s, String kind, List<OciConfig.Hook> hooks) {
        for (OciConfig.Hook h : hooks) {
            List<String> f = new ArrayList<>(List.of(kind, Integer.toString(h.timeout().orElse(0)), h.path(),
                    Integer.toString(h.args().size())));
            f.addAll(h.args());
            f.addAll(h.env());
            line(s, "hook", f.toArray(String[]::new));
        }
    }

    private static void line(StringBuilder s, String key, String... fields) {
        s.append(key);
        for (String f : fields) {
            s.append(' ');
            escape(s, f);
        }
        s.append('\n');
    }

    /** A field without spaces, newlines or control characters: {@code \\}, {@code \xHH} (bytes are UTF-8's). */
    static void escape(StringBuilder s, String f) {
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            if (c == '\\') {
                s.append("\\\\");
            } else if (c <= ' ' || c == 0x7f) {
                s.append(String.format("\\x%02x", (int) c));
            } else {
                s.append(c);
            }
        }
    }

    static String unescape(String f) {
        if (f.indexOf('\\') < 0) {
            return f;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < f.length(); i++) {
            char c = f.charAt(i);
            if (c == '\\' && i + 1 < f.length() && f.charAt(i + 1) == 'x' && i + 3 < f.length()) {
                s.append((char) Integer.parseInt(f.substring(i + 2, i + 4), 16));
                i += 3;
            } else if (c == '\\' && i + 1 < f.length()) {
                s.append(f.charAt(++i));
            } else {
                s.append(c);
            }
        }
        return s.toString();
    }

    /** Ids name directories: no separators, no dot names, printable. */
    static void checkId(String id) {
        if (id.isEmpty() || id.length() > 1024 || id.equals(".") || id.equals("..") || !id.matches("[A-Za-z0-9_+.\\-]+")) {
            throw new IllegalArgumentException("container id '" + id + "' is not valid (expected letters, digits, _ + . -)");
        }
    }

    /** No state for this id. */
    static final class NoSuchContainer extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        NoSuchContainer(String id) {
            super("container " + id + " does not exist");
        }
    }
}
