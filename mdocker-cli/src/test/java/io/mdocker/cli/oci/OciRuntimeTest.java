package io.mdocker.cli.oci;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.mdocker.testing.Fixtures;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * mdocker-runtime with real containers, each verb a process of its own (the front end with the
 * JVM's command line, as the launcher starts it), driven as conmon and containerd's shim drive a runtime: through
 * {@code oci-caller} (src/test/c), a child subreaper that runs {@code create} and then reaps what
 * is reparented to it. Bundles are made here from the busybox test rootfs and the config.json
 * {@code runc spec} writes (src/test/resources/oci/runc.json). Test names cite the runtime-spec
 * (v1.0.2) sections whose MUST they check.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class OciRuntimeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TARGET = Path.of("target").toAbsolutePath();
    private static final Path WORK = TARGET.resolve("oci-runtime-test");
    private static final Path ROOT = WORK.resolve("root");
    private static final Path CALLER = WORK.resolve("oci-caller");
    static final Path FRONT = TARGET.resolve("oci-front");
    private static Path rootfs;

    @BeforeAll
    static void prerequisites() throws Exception {
        rootfs = Fixtures.rootfs();
        Files.createDirectories(WORK);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-std=gnu11", "-O2", "-Wall", "-Wextra", "-Werror", "-o", CALLER.toString(),
                    Path.of("src/test/c/oci-caller.c").toAbsolutePath().toString()).inheritIO().start();
        } catch (IOException e) {
            Fixtures.prerequisite(false, "gcc builds the test's subreaper (apt-get install gcc): " + e.getMessage());
            return;
        }
        assertThat(gcc.waitFor()).as("gcc oci-caller.c").isZero();
    }

    @AfterAll
    static void removeWhatAFailureLeft() throws Exception {
        if (Files.isDirectory(ROOT)) {
            try (var ids = Files.list(ROOT)) {
                for (Path d : ids.toList()) {
                    runtime("delete", "--force", d.getFileName().toString());
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // helpers

    /** A bundle in WORK/name: runc spec's config.json with the busybox rootfs (read-only) and {@code edit} applied. */
    private static Path bundle(String name, List<String> args, Consumer<ObjectNode> edit) throws IOException {
        Path b = WORK.resolve("bundles").resolve(name);
        Files.createDirectories(b);
        ObjectNode c;
        try (InputStream in = OciRuntimeTest.class.getResourceAsStream("/oci/runc.json")) {
            c = (ObjectNode) JSON.readTree(in);
        }
        c.with("process").put("terminal", false);
        ArrayNode a = c.with("process").putArray("args");
        args.forEach(a::add);
        c.with("root").put("path", rootfs.toString()).put("readonly", true);
        c.put("hostname", "oci-" + name);
        edit.accept(c);
        Files.write(b.resolve("config.json"), JSON.writeValueAsBytes(c));
        return b;
    }

    private static String newId(String prefix) {
        return prefix + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    }

    private record Result(int exit, String out, String err) {}

    /**
     * One mdocker-runtime call as the launcher makes it: the front end (target/oci-front, built by
     * this module's build) with the JVM's command line (with this module's classes) and the arguments.
     */
    static List<String> runtimeCommand(Path root, String... args) {
        List<String> jvm = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), RuntimeMain.class.getName());
        List<String> cmd = new ArrayList<>(List.of(FRONT.toString(), Integer.toString(jvm.size())));
        cmd.addAll(jvm);
        cmd.addAll(List.of("--root", root.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static List<String> runtimeCommand(String... args) {
        return runtimeCommand(ROOT, args);
    }

    private static Result runtime(String... args) throws Exception {
        Process p = new ProcessBuilder(runtimeCommand(args)).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /**
     * A call the front end must answer alone: its JVM is a path that does not exist, so a call it
     * handed to the JVM fails with "starting the JVM".
     */
    private static Result front(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(FRONT.toString(), "1", "/nonexistent/java", "--root", ROOT.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        var out = p.getInputStream().readAllBytes();
        var err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Result r = new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        assertThat(r.err()).as("answered without a JVM").doesNotContain("starting the JVM");
        return r;
    }

    private static JsonNode state(String id) throws Exception {
        Result r = runtime("state", id);
        assertThat(r.exit()).as("state %s: %s", id, r.err()).isZero();
        return JSON.readTree(r.out());
    }

    /** oci-caller running create: a child subreaper whose stdout lines arrive in a queue. */
    private static final class Caller implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Caller(List<String> prefix, String... createArgs) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(CALLER.toString()));
            cmd.addAll(prefix);
            cmd.addAll(runtimeCommand(createArgs));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }

        /** The next line that starts with {@code prefix} (others are the container's output, kept in {@code seen}). */
        String next(String prefix, List<String> seen) throws InterruptedException {
            while (true) {
                String line = lines.poll(60, TimeUnit.SECONDS);
                assertThat(line).as("a line starting with '%s' from oci-caller (so far %s)", prefix, seen).isNotNull();
                if (line.startsWith(prefix)) {
                    return line;
                }
                seen.add(line);
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    private static String status(String pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1).trim();
            }
        }
        throw new AssertionError(field + " not in /proc/" + pid + "/status");
    }

    // ---------------------------------------------------------------------------------------
    // the life cycle

    /** runtime.md "Lifecycle" 1-12 and "Operations" (state, create, start, delete); config.md "Hooks". */
    @Test
    void lifecycleCreatedRunningStoppedDeletedWithoutAJvmInBetween() throws Exception {
        String id = newId("life");
        Path marker = WORK.resolve(id + ".poststop");
        Path bundle = bundle(id, List.of("sh", "-c", "trap 'exit 7' USR1; echo out-$(hostname); while true; do sleep 0.05; done"), c ->
                c.putObject("hooks").putArray("poststop").addObject().put("path", "/bin/sh")
                        .putArray("args").add("sh").add("-c").add("cat > " + marker));
        Path pidFile = WORK.resolve(id + ".pid");
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle.toString(), "--pid-file", pidFile.toString(), id)) {
            assertThat(caller.next("created", seen)).isEqualTo("created 0");
            // the pid file is written before create returns
            String pid = Files.readString(pidFile).trim();
            // nothing of mdocker's is left but the container's own process, mdocker-init waiting on the
            // exec fifo, and it is the caller's child (reparented to the subreaper): no JVM, no monitor
            assertThat(caller.next("children", seen)).isEqualTo("children " + pid + " ");
            assertThat(status(pid, "PPid")).isEqualTo(Long.toString(caller.process.pid()));
            assertThat(Files.readString(Path.of("/proc", pid, "comm")).trim()).isEqualTo("mdocker-init");
            assertThat(Files.readString(Path.of("/proc", pid, "task", pid, "children")).trim()).isEmpty();
            // "created": the user's program has not run (create MUST NOT run it)
            JsonNode created = state(id);
            assertThat(created.get("status").asText()).isEqualTo("created");
            assertThat(created.get("pid").asText()).isEqualTo(pid);
            assertThat(created.get("bundle").asText()).isEqualTo(bundle.toString());
            assertThat(created.get("id").asText()).isEqualTo(id);
            assertThat(created.get("ociVersion").asText()).startsWith("1.");
            assertThat(seen).isEmpty();
            List<Path> cgroups = OciState.read(ROOT, id).cgroupDirs();
            assertThat(cgroups).isNotEmpty().allSatisfy(d -> assertThat(Files.readString(d.resolve("cgroup.procs")).trim())
                    .isEqualTo(pid));

            Result start = runtime("start", id);
            assertThat(start.exit()).as(start.err()).isZero();
            assertThat(state(id).get("status").asText()).isEqualTo("running");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); // pid 1 becomes the process by exec
            while (!Files.readString(Path.of("/proc", pid, "comm")).trim().equals("sh") && System.nanoTime() < until) {
                Thread.sleep(5);
            }
            assertThat(Files.readString(Path.of("/proc", pid, "comm")).trim()).isEqualTo("sh");
            assertThat(caller.next("out-", seen)).isEqualTo("out-oci-" + id);
            assertThat(runtime("kill", id, "USR1").exit()).isZero();
            // the caller reaps the process itself, with its exit status
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " exit 7");
            JsonNode stopped = state(id);
            assertThat(stopped.get("status").asText()).isEqualTo("stopped");

            Result delete = runtime("delete", id);
            assertThat(delete.exit()).as(delete.err()).isZero();
            assertThat(ROOT.resolve(id)).doesNotExist();
            assertThat(cgroups).allSatisfy(d -> assertThat(d).doesNotExist());
            // poststop ran after delete, with the state on its stdin
            assertThat(JSON.readTree(marker.toFile()).get("id").asText()).isEqualTo(id);
            Result gone = runtime("state", id);
            assertThat(gone.exit()).isEqualTo(1);
            assertThat(gone.err()).contains("container " + id + " does not exist");
        }
    }

    /** run: create, start, wait and delete in one call, exiting with the process's status. */
    @Test
    void runToCompletion() throws Exception {
        String id = newId("run");
        Path bundle = bundle(id, List.of("sh", "-c", "echo ran-$(hostname); exit 6"), c -> { });
        Result r = runtime("run", "--bundle", bundle.toString(), id);
        assertThat(r.exit()).as(r.err()).isEqualTo(6);
        assertThat(r.out()).isEqualTo("ran-oci-" + id + "\n");
        assertThat(ROOT.resolve(id)).doesNotExist();
    }

    /**
     * config-linux.md "Namespaces" (path: the runtime MUST place the container's process in that
     * namespace): a pid namespace joined by path, as a Kubernetes pod with shareProcessNamespace asks
     * (its containers in the pause container's pid namespace): the process sees the first
     * container's pid 1 as its own pid 1, and its exit status still comes back.
     */
    @Test
    void joinsAPidNamespaceByPath() throws Exception {
        String pod = newId("pidns");
        Path podBundle = bundle(pod, List.of("sleep", "600"), c -> { });
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", podBundle.toString(), pod)) {
            String pid = createdPid(caller, seen);
            assertThat(runtime("start", pod).exit()).isZero();
            Path pidns = Path.of("/proc", pid, "ns", "pid");
            String id = newId("joiner");
            Path bundle = bundle(id, List.of("sh", "-c", "readlink /proc/self/ns/pid; tr '\\0' ' ' < /proc/1/cmdline; echo; exit 4"),
                    c -> ((ObjectNode) c.with("linux").get("namespaces").get(0)).put("type", "pid").put("path", pidns.toString()));
            Result r = runtime("run", "--bundle", bundle.toString(), id);
            assertThat(r.exit()).as(r.err()).isEqualTo(4);
            assertThat(r.out()).isEqualTo(Files.readSymbolicLink(pidns) + "\nsleep 600 \n");
            assertThat(ROOT.resolve(id)).doesNotExist();
            assertThat(runtime("kill", pod, "KILL").exit()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
            assertThat(runtime("delete", pod).exit()).isZero();
        }
    }

    /**
     * config-linux.md "Devices" (the runtime MUST make each device available in the container):
     * a node below a directory /dev did not have, with its type, number, mode and owner, usable
     * (the device cgroup allows all, as for a privileged pod's host devices; the process, root without
     * CAP_DAC_OVERRIDE, writes to it as its owner).
     */
    @Test
    void makesDeviceNodes() throws Exception {
        String id = newId("dev");
        Path bundle = bundle(id, List.of("sh", "-c", "stat -c '%F %t:%T %a %u:%g' /dev/extra/null2; echo x > /dev/extra/null2 && echo written"),
                c -> {
                    c.with("linux").putArray("devices").addObject().put("type", "c").put("path", "/dev/extra/null2")
                            .put("major", 1).put("minor", 3).put("fileMode", 0620).put("uid", 0).put("gid", 5);
                    c.with("linux").with("resources").putArray("devices").addObject().put("allow", true).put("access", "rwm");
                });
        Result r = runtime("run", "--bundle", bundle.toString(), id);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("character special file 1:3 620 0:5\nwritten\n");
        assertThat(ROOT.resolve(id)).doesNotExist();
    }

    /** Opens each device read-only and closes it; prints "PATH: open" or "PATH: " and the shell's error. */
    private static final String OPEN_EACH = "for d in \"$@\"; do if err=$( (: < $d) 2>&1 ); then echo \"$d: open\"; "
            + "else echo \"$d: $err\"; fi; done; cat /sys/fs/cgroup/devices/devices.list 2>/dev/null | sort | tr '\\n' ';'";
    private static final String EPERM = "Operation not permitted";

    /** A bundle whose process opens /dev/fuse (c 10:229), /dev/loop-control (c 10:237) and /dev/null, with these device rules. */
    private static Path deviceBundle(String id, Consumer<ArrayNode> rules) throws IOException {
        return bundle(id, List.of("sh", "-c", OPEN_EACH, "sh", "/dev/fuse", "/dev/loop-control", "/dev/null"), c -> {
            ArrayNode nodes = c.with("linux").putArray("devices");
            nodes.addObject().put("type", "c").put("path", "/dev/fuse").put("major", 10).put("minor", 229).put("fileMode", 0666);
            nodes.addObject().put("type", "c").put("path", "/dev/loop-control").put("major", 10).put("minor", 237)
                    .put("fileMode", 0666);
            ArrayNode r = c.with("linux").with("resources").putArray("devices");
            r.addObject().put("allow", false).put("access", "rwm");
            rules.accept(r);
        });
    }

    private static ObjectNode rule(ArrayNode rules, boolean allow, String type, int major, int minor, String access) {
        return rules.addObject().put("allow", allow).put("type", type).put("major", major).put("minor", minor).put("access", access);
    }

    /**
     * config-linux.md "Allowed Device list" (linux.resources.devices), as a device plugin's allocation
     * or {@code podman run --device} makes it: the node in linux.devices and an allow rule after the
     * default ones. The allowed device opens, one without a rule does not (EPERM from the device
     * cgroup); on a cgroup v1 host the container's own devices cgroup lists the rules.
     */
    @Test
    void deviceRuleAllowsItsDevice() throws Exception {
        String id = newId("devallow");
        Result r = runtime("run", "--bundle", deviceBundle(id, rules -> rule(rules, true, "c", 10, 229, "rwm")).toString(), id);
        assertThat(r.exit()).as(r.err()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines[0]).isEqualTo("/dev/fuse: open");
        assertThat(lines[1]).startsWith("/dev/loop-control: ").contains(EPERM);
        assertThat(lines[2]).isEqualTo("/dev/null: open");
        if (io.mdocker.internal.security.DevicesCgroupV1.mountPoint().isPresent()) {
            List<String> expected = new ArrayList<>(io.mdocker.internal.security.DevicesCgroupV1.RULES);
            expected.add("c 10:229 rwm");
            assertThat(lines[3].split(";")).as("the container's devices.list").containsExactlyInAnyOrderElementsOf(expected);
            assertThat(io.mdocker.internal.security.DevicesCgroupV1.mountPoint().get()
                    .resolve(io.mdocker.internal.security.DevicesCgroupV1.CUSTOM_PARENT).resolve(id)).doesNotExist();
        }
        assertThat(ROOT.resolve(id)).doesNotExist();

        String without = newId("devdeny");
        Result denied = runtime("run", "--bundle", deviceBundle(without, rules -> { }).toString(), without);
        assertThat(denied.exit()).as(denied.err()).isZero();
        assertThat(denied.out().split("\n")[0]).startsWith("/dev/fuse: ").contains(EPERM);
        assertThat(denied.out().split("\n")[2]).isEqualTo("/dev/null: open");
    }

    /**
     * The rules apply in order, the last one naming a device winning (runc's semantics on both
     * cgroup versions): a deny after an allow of the same device takes it back; after an allow-all,
     * a deny leaves every other device usable; a read-only allow opens for reading only.
     */
    @Test
    void laterDeviceRulesWin() throws Exception {
        String id = newId("devlast");
        Result r = runtime("run", "--bundle", deviceBundle(id, rules -> {
            rule(rules, true, "c", 10, 229, "rwm");
            rule(rules, true, "c", 10, 237, "rwm");
            rule(rules, false, "c", 10, 229, "rwm");
        }).toString(), id);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().split("\n")[0]).startsWith("/dev/fuse: ").contains(EPERM);
        assertThat(r.out().split("\n")[1]).isEqualTo("/dev/loop-control: open");

        String all = newId("devall");
        Result r2 = runtime("run", "--bundle", deviceBundle(all, rules -> {
            rules.addObject().put("allow", true).put("access", "rwm");
            rule(rules, false, "c", 10, 237, "rw"); // not m: on cgroup v1 pid 1 may be in the cgroup as it makes the node
        }).toString(), all);
        assertThat(r2.exit()).as(r2.err()).isZero();
        assertThat(r2.out().split("\n")[0]).isEqualTo("/dev/fuse: open");
        assertThat(r2.out().split("\n")[1]).startsWith("/dev/loop-control: ").contains(EPERM);

        String ro = newId("devro");
        Path bundle = bundle(ro, List.of("sh", "-c", "(: < /dev/fuse) && echo read; (: > /dev/fuse) 2>&1"), c -> {
            c.with("linux").putArray("devices").addObject().put("type", "c").put("path", "/dev/fuse").put("major", 10)
                    .put("minor", 229).put("fileMode", 0666);
            ArrayNode rules = c.with("linux").with("resources").putArray("devices");
            rules.addObject().put("allow", false).put("access", "rwm");
            rule(rules, true, "c", 10, 229, "r");
        });
        Result r3 = runtime("run", "--bundle", bundle.toString(), ro);
        assertThat(r3.out()).startsWith("read\n").contains(EPERM);
    }

    /**
     * Bad device rules are refused in one line naming the field, before anything exists: a type
     * other than a, b, c; an access other than letters of rwm; a negative major other than -1 (any);
     * and a deny inside a wildcard allow, which runc refuses because cgroup v1 would ignore it.
     */
    @Test
    void badDeviceRulesAreRefused() throws Exception {
        record Bad(Consumer<ArrayNode> rules, String message) {}
        List<Bad> bad = List.of(
                new Bad(r -> rule(r, true, "x", 10, 229, "rwm"), "linux.resources.devices[1].type: 'x' (expected a, b or c)"),
                new Bad(r -> rule(r, true, "c", 10, 229, "rwz"), "linux.resources.devices[1].access: 'rwz' (expected letters of rwm)"),
                new Bad(r -> rule(r, true, "c", -2, 229, "rwm"),
                        "linux.resources.devices[1]: major -2 (expected -1 or absent for any, or 0 to 4095)"),
                new Bad(r -> rule(r, true, "c", 10, 229, ""),
                        "linux.resources.devices[1]: access '' (expected one or more of r, w, m)"),
                new Bad(r -> {
                    r.addObject().put("allow", true).put("type", "c").put("major", 10).put("access", "rwm");
                    rule(r, false, "c", 10, 229, "rw");
                }, "linux.resources.devices[2]: deny c 10:229 rw takes access from inside the wider exception c 10:* rwm"
                        + " (the v1 devices cgroup cannot; name the devices one by one)"));
        for (Bad b : bad) {
            String id = newId("devbad");
            Result r = runtime("create", "--bundle", deviceBundle(id, b.rules()).toString(), id);
            assertThat(r.exit()).as(r.err()).isEqualTo(1);
            assertThat(r.err().strip()).isEqualTo("mdocker-runtime: " + b.message());
            assertThat(ROOT.resolve(id)).doesNotExist();
        }
    }

    /** runtime.md "Operations: Kill": signals by name and by number reach the process. */
    @Test
    void killByNameAndByNumber() throws Exception {
        String id = newId("kill");
        Path bundle = bundle(id, List.of("sh", "-c", "trap 'exit 42' TERM; echo ready; while true; do sleep 0.05; done"), c -> { });
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle.toString(), id)) {
            String pid = createdPid(caller, seen);
            assertThat(runtime("start", id).exit()).isZero();
            caller.next("ready", seen);
            Result kill = runtime("kill", id, "SIGTERM");
            assertThat(kill.exit()).as(kill.err()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " exit 42");
            // kill of a stopped container MUST generate an error
            Result again = runtime("kill", id, "TERM");
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).contains("is not running");
            assertThat(runtime("delete", id).exit()).isZero();
        }
        String id2 = newId("kill9");
        Path bundle2 = bundle(id2, List.of("sleep", "600"), c -> { });
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle2.toString(), id2)) {
            String pid = createdPid(caller, seen);
            assertThat(runtime("start", id2).exit()).isZero();
            Result kill = runtime("kill", id2, "9");
            assertThat(kill.exit()).as(kill.err()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
            assertThat(runtime("delete", id2).exit()).isZero();
        }
    }

    /** runtime.md "Operations: Delete" (MUST error unless stopped), and delete --force of a running container. */
    @Test
    void deleteRefusesARunningContainerUnlessForced() throws Exception {
        String id = newId("del");
        Path bundle = bundle(id, List.of("sleep", "600"), c -> { });
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle.toString(), id)) {
            String pid = createdPid(caller, seen);
            // start MUST error on a container that is not created (here: one already running)
            assertThat(runtime("start", id).exit()).isZero();
            Result again = runtime("start", id);
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).contains("it is running, not created");
            Result refused = runtime("delete", id);
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).contains("it is running");
            assertThat(state(id).get("status").asText()).isEqualTo("running"); // no effect
            assertThat(runtime("delete", "--force", id).exit()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
            assertThat(ROOT.resolve(id)).doesNotExist();
        }
    }

    /** runtime.md "Operations: Create": an id in use MUST be an error, and MUST NOT create a new container. */
    @Test
    void createRefusesAnIdInUse() throws Exception {
        String id = newId("dup");
        Path bundle = bundle(id, List.of("sleep", "600"), c -> { });
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle.toString(), id)) {
            String pid = createdPid(caller, seen);
            Result second = runtime("create", "--bundle", bundle.toString(), id);
            assertThat(second.exit()).isEqualTo(1);
            assertThat(second.err()).contains("container " + id + " already exists");
            assertThat(state(id).get("pid").asText()).isEqualTo(pid);
            // delete of a created container: its waiting process goes
            assertThat(runtime("delete", id).exit()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
        }
    }

    /** config.md "Hooks" / runtime.md "Lifecycle" step 4: a failing createRuntime hook fails create and leaves nothing. */
    @Test
    void failingCreateRuntimeHookFailsCreateAndLeavesNothing() throws Exception {
        String id = newId("hook");
        Path bundle = bundle(id, List.of("true"), c ->
                c.putObject("hooks").putArray("createRuntime").addObject().put("path", "/bin/false"));
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle.toString(), id)) {
            assertThat(caller.next("created", seen)).isEqualTo("created 1");
            assertThat(caller.next("children", seen)).isEqualTo("children ");
            assertThat(String.join("\n", seen)).contains("createRuntime hook /bin/false exited with 1");
        }
        assertThat(ROOT.resolve(id)).doesNotExist();
    }

    /** config.md: unsupported fields are refused in one line naming them, before anything exists (--log-format json). */
    @Test
    void unsupportedFieldIsRefusedAsAJsonLogLine() throws Exception {
        String id = newId("bad");
        Path bundle = bundle(id, List.of("true"), c -> c.with("linux").putObject("intelRdt").put("closID", "x"));
        Path log = WORK.resolve(id + ".log");
        Result r = runtime("--log", log.toString(), "--log-format", "json", "create", "--bundle", bundle.toString(), id);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("mdocker-runtime: unsupported field linux.intelRdt");
        JsonNode line = JSON.readTree(Files.readAllLines(log).get(0));
        assertThat(line.get("level").asText()).isEqualTo("error");
        assertThat(line.get("msg").asText()).isEqualTo("unsupported field linux.intelRdt");
        assertThat(ROOT.resolve(id)).doesNotExist();
    }

    /** config.md "Process" terminal: with --console-socket the caller gets the pty master (SCM_RIGHTS) and sees the output. */
    @Test
    void consoleSocketReceivesTheTerminal() throws Exception {
        String id = newId("tty");
        Path bundle = bundle(id, List.of("sh", "-c", "tty; stty size"), c -> {
            c.with("process").put("terminal", true);
            c.with("process").putObject("consoleSize").put("height", 33).put("width", 101);
        });
        Path socket = WORK.resolve(id + ".sock");
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of("--console", socket.toString()), "create", "--bundle", bundle.toString(),
                "--console-socket", socket.toString(), id)) {
            String pid = createdPid(caller, seen);
            assertThat(caller.next("console", seen)).isEqualTo("console /dev/pts/0 fd tty");
            assertThat(runtime("start", id).exit()).isZero();
            assertThat(caller.next("tty ", seen)).isEqualTo("tty /dev/pts/0");
            assertThat(caller.next("tty ", seen)).isEqualTo("tty 33 101");
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " exit 0");
            assertThat(runtime("delete", id).exit()).isZero();
        }
    }

    /**
     * exec --detach (as conmon and the shim call it): the process runs in the container with the
     * process.json's identity, is left to the caller's subreaper, which reaps its exit status.
     */
    @Test
    void execDetachedIsReparentedToTheCaller() throws Exception {
        String id = newId("exec");
        Path bundle = bundle(id, List.of("sleep", "600"), c -> { });
        Path process = WORK.resolve(id + ".process.json");
        ObjectNode proc = JSON.createObjectNode();
        proc.put("terminal", false).put("cwd", "/tmp");
        proc.putObject("user").put("uid", 1000).put("gid", 1000);
        proc.putArray("args").add("sh").add("-c").add("echo exec-$(id -u)-$(pwd)-$(hostname)-$X; exit 5");
        proc.putArray("env").add("PATH=/bin").add("X=y");
        Files.write(process, JSON.writeValueAsBytes(proc));
        Path pidFile = WORK.resolve(id + ".exec.pid");
        List<String> seen = new ArrayList<>();
        try (Caller container = new Caller(List.of(), "create", "--bundle", bundle.toString(), id)) {
            assertThat(container.next("created", seen)).isEqualTo("created 0");
            String pid1 = container.next("children", seen).substring("children ".length()).trim();
            assertThat(runtime("start", id).exit()).isZero();
            try (Caller exec = new Caller(List.of(), "exec", "--process", process.toString(), "--detach",
                    "--pid-file", pidFile.toString(), id)) {
                assertThat(exec.next("created", seen)).isEqualTo("created 0");
                String execPid = Files.readString(pidFile).trim();
                String children = exec.next("children", seen);
                // the process may print before the caller reports create's end: look at what was skipped first
                String out = seen.stream().filter(l -> l.startsWith("exec-")).findFirst().orElse(null);
                assertThat(out != null ? out : exec.next("exec-", seen)).isEqualTo("exec-1000-/tmp-oci-" + id + "-y");
                assertThat(exec.next("reaped", seen)).isEqualTo("reaped " + execPid + " exit 5");
                assertThat(children).isIn("children " + execPid + " ", "children "); // gone already, or still ours
            }
            assertThat(runtime("delete", "--force", id).exit()).isZero();
            assertThat(container.next("reaped", seen)).isEqualTo("reaped " + pid1 + " signal 9");
        }
    }

    /** runtime.md "State": pause and resume change the status; ps lists the container's processes. */
    @Test
    void pauseResumeAndPs() throws Exception {
        String id = newId("pause");
        Path bundle = bundle(id, List.of("sleep", "600"), c -> { });
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle.toString(), id)) {
            String pid = createdPid(caller, seen);
            assertThat(runtime("start", id).exit()).isZero();
            Result ps = runtime("ps", "--format", "json", id);
            assertThat(JSON.readTree(ps.out()).toString()).isEqualTo("[" + pid + "]");
            assertThat(runtime("pause", id).exit()).isZero();
            assertThat(state(id).get("status").asText()).isEqualTo("paused");
            assertThat(runtime("resume", id).exit()).isZero();
            assertThat(state(id).get("status").asText()).isEqualTo("running");
            Result list = runtime("list", "--format", "json");
            assertThat(JSON.readTree(list.out()).findValuesAsText("id")).contains(id);
            assertThat(runtime("delete", "--force", id).exit()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
        }
    }

    // ---------------------------------------------------------------------------------------
    // the front end (oci-front): the verbs it answers without a JVM

    /** runtime.md "State": the front end's state JSON has the spec's fields, annotations escaped as JSON. */
    @Test
    void frontEndStateHasTheSpecFieldsWithoutAJvm() throws Exception {
        String id = newId("fstate");
        String odd = "a \"quoted\" value\nwith a newline, a \\ and \u00e9t\u00e9";
        Path bundle = bundle(id, List.of("sleep", "600"), c -> {
            ObjectNode a = c.putObject("annotations");
            a.put("org.example.plain", "x");
            a.put("org.example.odd key", odd);
            a.put("org.example.empty", "");
        });
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle.toString(), id)) {
            String pid = createdPid(caller, seen);
            Result r = front("state", id);
            assertThat(r.exit()).as(r.err()).isZero();
            JsonNode st = JSON.readTree(r.out());
            assertThat(st.get("ociVersion").asText()).isEqualTo(OciState.OCI_VERSION);
            assertThat(st.get("id").asText()).isEqualTo(id);
            assertThat(st.get("status").asText()).isEqualTo("created");
            assertThat(st.get("pid").asInt()).isEqualTo(Integer.parseInt(pid));
            assertThat(st.get("bundle").asText()).isEqualTo(bundle.toString());
            assertThat(st.get("annotations").get("org.example.plain").asText()).isEqualTo("x");
            assertThat(st.get("annotations").get("org.example.odd key").asText()).isEqualTo(odd);
            assertThat(st.get("annotations").get("org.example.empty").asText()).isEmpty();
            assertThat(java.time.Instant.parse(st.get("created").asText())).isBefore(java.time.Instant.now());
            Result list = front("list", "--format", "json");
            assertThat(list.exit()).as(list.err()).isZero();
            assertThat(JSON.readTree(list.out()).findValuesAsText("id")).contains(id);
            assertThat(front("list", "-q").out().lines().toList()).contains(id);
            // a created container's pid 1 (blocked on the exec fifo) goes with KILL by name
            Result kill = front("kill", id, "kill");
            assertThat(kill.exit()).as(kill.err()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
            JsonNode stopped = JSON.readTree(front("state", id).out());
            assertThat(stopped.get("status").asText()).isEqualTo("stopped");
            assertThat(stopped.get("pid").asInt()).isZero();
            assertDeletedLeavingNothing(id, OciState.read(ROOT, id).cgroupDirs(), false);
        }
    }

    /** runtime.md "Operations: Kill" and "Delete": a created container killed by number, deleted; a running one deleted --force. */
    @Test
    void frontEndKillsByNumberAndDeletesCreatedAndRunningContainers() throws Exception {
        List<String> seen = new ArrayList<>();
        String created = newId("fcreated");
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle(created, List.of("sleep", "600"), c -> { }).toString(),
                created)) {
            String pid = createdPid(caller, seen);
            assertThat(front("kill", "--all", created, "9").exit()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
            // kill of a stopped container is an error (without --all), as runc's
            Result again = front("kill", created, "9");
            assertThat(again.exit()).isEqualTo(1);
            assertThat(again.err()).isEqualTo("mdocker-runtime: container " + created + " is not running\n");
            assertThat(front("kill", "--all", created, "KILL").exit()).isZero();
            assertDeletedLeavingNothing(created, OciState.read(ROOT, created).cgroupDirs(), false);
        }
        String waiting = newId("fwaiting"); // deleted while created: its waiting pid 1 is killed
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle(waiting, List.of("sleep", "600"), c -> { }).toString(),
                waiting)) {
            String pid = createdPid(caller, seen);
            assertDeletedLeavingNothing(waiting, OciState.read(ROOT, waiting).cgroupDirs(), false);
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
        }
        String running = newId("frunning");
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle(running, List.of("sh", "-c",
                "sleep 600 & sleep 600 & echo forked; wait"), c -> { }).toString(), running)) {
            String pid = createdPid(caller, seen);
            assertThat(front("start", running).exit()).isZero();
            caller.next("forked", seen);
            List<Path> cgroups = OciState.read(ROOT, running).cgroupDirs();
            assertThat(Files.readString(cgroups.get(0).resolve("cgroup.procs")).lines().count()).isEqualTo(3);
            Result refused = front("delete", running);
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.err()).isEqualTo("mdocker-runtime: cannot delete container " + running
                    + ": it is running (stop it first, or delete --force)\n");
            assertDeletedLeavingNothing(running, cgroups, true);
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
        }
    }

    private static void assertDeletedLeavingNothing(String id, List<Path> cgroups, boolean force) throws Exception {
        assertThat(cgroups).isNotEmpty();
        Result delete = force ? front("delete", "--force", id) : front("delete", id);
        assertThat(delete.exit()).as(delete.err()).isZero();
        assertThat(delete.err()).isEmpty();
        assertThat(ROOT.resolve(id)).doesNotExist();
        assertThat(cgroups).allSatisfy(d -> assertThat(d).doesNotExist());
        assertThat(front("delete", "--force", id).exit()).isZero(); // gone: --force is content
        Result again = front("delete", id);
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.err()).isEqualTo("mdocker-runtime: container " + id + " does not exist\n");
    }

    /** Bad input to the front end's verbs: one line each, exit status 1 (runc's), nothing touched. */
    @Test
    void frontEndRefusesBadIdsSignalsAndFlagsInOneLine() throws Exception {
        String id = newId("fbad");
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle(id, List.of("sleep", "600"), c -> { }).toString(), id)) {
            String pid = createdPid(caller, seen);
            record Case(List<String> args, String error) {}
            for (Case c : List.of(
                    new Case(List.of("state", "../etc"), "container id '../etc' is not valid (expected letters, digits, _ + . -)"),
                    new Case(List.of("kill", "a/b", "9"), "container id 'a/b' is not valid (expected letters, digits, _ + . -)"),
                    new Case(List.of("state", "no-such-" + id), "container no-such-" + id + " does not exist"),
                    new Case(List.of("kill", id, "SIGFOO"), "unknown signal 'SIGFOO'"),
                    new Case(List.of("kill", id, "65"), "signal 65 is outside 1..64"),
                    new Case(List.of("kill", id, "0"), "signal 0 is outside 1..64"),
                    new Case(List.of("kill", "--now", id), "kill: unknown flag '--now'"),
                    new Case(List.of("start"), "start: no container id given"),
                    new Case(List.of("list", "--format", "yaml"), "list: --format 'yaml' (expected table or json)"))) {
                Result r = front(c.args().toArray(String[]::new));
                assertThat(r.exit()).as("%s", c.args()).isEqualTo(1);
                assertThat(r.err()).as("%s", c.args()).isEqualTo("mdocker-runtime: " + c.error() + "\n");
                assertThat(r.out()).isEmpty();
            }
            assertThat(JSON.readTree(front("state", id).out()).get("status").asText()).isEqualTo("created"); // untouched
            // --log-format json: the error as the JSON line containerd's shim reads, and one line on stderr
            Path log = WORK.resolve(id + ".front.log");
            Result r = front("--log", log.toString(), "--log-format", "json", "kill", id, "NOPE");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).isEqualTo("mdocker-runtime: unknown signal 'NOPE'\n");
            List<String> lines = Files.readAllLines(log);
            assertThat(lines).hasSize(1);
            JsonNode line = JSON.readTree(lines.get(0));
            assertThat(line.get("level").asText()).isEqualTo("error");
            assertThat(line.get("msg").asText()).isEqualTo("unknown signal 'NOPE'");
            assertThat(java.time.Instant.parse(line.get("time").asText())).isBefore(java.time.Instant.now());
            Path text = WORK.resolve(id + ".front.txt");
            assertThat(front("--log", text.toString(), "state", "x\"y").exit()).isEqualTo(1);
            assertThat(Files.readString(text)).matches(
                    "time=\"[-0-9T:.]+Z\" level=error msg=\"container id 'x\\\\\"y' is not valid \\(expected letters, digits, _ \\+ \\. -\\)\"\n");
            assertThat(front("delete", "--force", id).exit()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
        }
    }

    /** config.md "Hooks": start runs startContainer then poststart from the state create recorded; a failing startContainer fails start. */
    @Test
    void frontEndStartRunsTheRecordedHooks() throws Exception {
        String id = newId("fhooks");
        Path marker = WORK.resolve(id + ".hooks");
        Path bundle = bundle(id, List.of("sleep", "600"), c -> {
            ObjectNode hooks = c.putObject("hooks");
            ObjectNode sc = hooks.putArray("startContainer").addObject().put("path", "/bin/sh");
            sc.putArray("args").add("sh").add("-c").add("echo \"startContainer $HOOK_ENV $(cat)\" >> " + marker);
            sc.putArray("env").add("HOOK_ENV=from-env");
            ObjectNode ps = hooks.putArray("poststart").addObject().put("path", "/bin/sh").put("timeout", 5);
            ps.putArray("args").add("sh").add("-c").add("echo \"poststart $(cat)\" >> " + marker);
        });
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle.toString(), id)) {
            String pid = createdPid(caller, seen);
            Files.delete(bundle.resolve("config.json")); // the hooks come from what create recorded
            Result start = front("start", id);
            assertThat(start.exit()).as(start.err()).isZero();
            List<String> ran = Files.readAllLines(marker);
            assertThat(ran).hasSize(2);
            assertThat(ran.get(0)).startsWith("startContainer from-env {");
            assertThat(JSON.readTree(ran.get(0).substring("startContainer from-env ".length())).get("status").asText())
                    .isEqualTo("created");
            assertThat(JSON.readTree(ran.get(1).substring("poststart ".length())).get("status").asText()).isEqualTo("running");
            assertThat(JSON.readTree(front("state", id).out()).get("status").asText()).isEqualTo("running");
            assertThat(front("delete", "--force", id).exit()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
        }
        String failing = newId("fhookfail");
        Path bundle2 = bundle(failing, List.of("sleep", "600"), c -> c.putObject("hooks").putArray("startContainer")
                .addObject().put("path", "/bin/false"));
        try (Caller caller = new Caller(List.of(), "create", "--bundle", bundle2.toString(), failing)) {
            String pid = createdPid(caller, seen);
            Result start = front("start", failing);
            assertThat(start.exit()).isEqualTo(1);
            assertThat(start.err()).isEqualTo("mdocker-runtime: startContainer hook /bin/false exited with 1\n");
            assertThat(JSON.readTree(front("state", failing).out()).get("status").asText()).isEqualTo("created");
            assertThat(front("delete", failing).exit()).isZero();
            assertThat(caller.next("reaped", seen)).isEqualTo("reaped " + pid + " signal 9");
        }
    }

    /** run --detach: the JVM's create, then the front end's start; the process is the caller's. */
    @Test
    void runDetachedIsCreateThenStart() throws Exception {
        String id = newId("frun");
        Path bundle = bundle(id, List.of("sh", "-c", "echo detached-$(hostname); exit 3"), c -> { });
        List<String> seen = new ArrayList<>();
        try (Caller caller = new Caller(List.of(), "run", "--detach", "--bundle", bundle.toString(), id)) {
            assertThat(caller.next("created", seen)).isEqualTo("created 0");
            String out = seen.stream().filter(l -> l.startsWith("detached-")).findFirst().orElse(null);
            assertThat(out != null ? out : caller.next("detached-", seen)).isEqualTo("detached-oci-" + id);
            assertThat(caller.next("reaped", seen)).endsWith(" exit 3");
            assertThat(JSON.readTree(front("state", id).out()).get("status").asText()).isEqualTo("stopped");
            assertThat(front("delete", id).exit()).isZero();
        }
    }

    /** Reads the caller's "created 0" (create succeeded) and then the pid of the child it reaps: the container's init. */
    private static String createdPid(Caller caller, List<String> seen) throws InterruptedException {
        assertThat(caller.next("created", seen)).isEqualTo("created 0");
        return caller.next("children", seen).substring("children ".length()).trim();
    }
}
