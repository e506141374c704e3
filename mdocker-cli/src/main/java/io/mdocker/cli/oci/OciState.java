package io.mdocker.cli.oci;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.internal.cgroup.CgroupFs;
import io.mdocker.internal.cgroup.ContainerCgroups;
import io.mdocker.internal.cgroup.Freezer;
import io.mdocker.internal.state.ProcStat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What mdocker-runtime keeps of one container under {@code --root}: {@code <root>/<id>/state.json}
 * (written once by create, read by every other verb) and {@code <root>/<id>/exec.fifo} (made by
 * pid 1, removed by start). The status is never stored: it is read from the process and the
 * cgroup each time, as the spec's {@code state} asks.
 *
 * @param id          the container's id
 * @param dir         its state directory
 * @param pid         its process's host pid
 * @param startTime   that process's start time, against pid reuse
 * @param bundle      the bundle's path
 * @param created     when it was created (RFC 3339)
 * @param annotations the config's annotations
 * @param cgroupInfo  its cgroups as the engine recorded them
 * @param poststop    the poststop hooks, run by delete (the bundle may be gone by then)
 */
record OciState(String id, Path dir, int pid, long startTime, Path bundle, String created,
                Map<String, String> annotations, Map<String, String> cgroupInfo, List<OciConfig.Hook> poststop) {
    static final String OCI_VERSION = "1.0.2";
    private static final ObjectMapper JSON = new ObjectMapper();

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

    /** The spec's state JSON. */
    ObjectNode stateJson(Status status) {
        ObjectNode n = JSON.createObjectNode();
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
        JsonNode n;
        try {
            n = JSON.readTree(dir.resolve("state.json").toFile());
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            throw new NoSuchContainer(id);
        } catch (IOException e) {
            if (!Files.exists(dir)) {
                throw new NoSuchContainer(id);
            }
            throw new UncheckedIOException("reading " + dir.resolve("state.json"), e);
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        n.path("annotations").fields().forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
        Map<String, String> cgroups = new LinkedHashMap<>();
        n.path("cgroups").fields().forEachRemaining(e -> cgroups.put(e.getKey(), e.getValue().asText()));
        List<OciConfig.Hook> poststop = new ArrayList<>();
        for (JsonNode h : n.path("poststop")) {
            List<String> args = new ArrayList<>();
            h.path("args").forEach(x -> args.add(x.asText()));
            List<String> env = new ArrayList<>();
            h.path("env").forEach(x -> env.add(x.asText()));
            poststop.add(new OciConfig.Hook(h.path("path").asText(), args, env,
                    h.has("timeout") ? java.util.OptionalInt.of(h.get("timeout").asInt()) : java.util.OptionalInt.empty()));
        }
        return new OciState(id, dir, n.path("pid").asInt(), n.path("startTime").asLong(), Path.of(n.path("bundle").asText()),
                n.path("created").asText(), annotations, cgroups, poststop);
    }

    /** Writes state.json through a temporary file and a rename: readers see all of it or none. */
    void write() {
        ObjectNode n = stateJson(Status.CREATED);
        n.put("startTime", startTime);
        ObjectNode cg = n.putObject("cgroups");
        cgroupInfo.forEach(cg::put);
        ArrayNode hooks = n.putArray("poststop");
        for (OciConfig.Hook h : poststop) {
            ObjectNode o = hooks.addObject();
            o.put("path", h.path());
            h.args().forEach(o.withArray("args")::add);
            h.env().forEach(o.withArray("env")::add);
            h.timeout().ifPresent(t -> o.put("timeout", t));
        }
        n.remove("status");
        try {
            Path tmp = dir.resolve("state.json.tmp");
            JSON.writeValue(tmp.toFile(), n);
            try {
                Files.move(tmp, dir.resolve("state.json"), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve("state.json"), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("writing the state of " + id, e);
        }
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
