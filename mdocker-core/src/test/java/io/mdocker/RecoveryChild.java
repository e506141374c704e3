package io.mdocker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Run in a child JVM (see {@link #launch}) by the recovery tests: starts containers on the given
 * state roots and prints one line per container ("started ID PID ADDRESS CGROUP-DIRS"), then
 * waits to be killed. Options after the count: "limits" (memory, cpu, pids), "detached:K" (the
 * first K containers detached, running a loop that prints a line a second), "NAME,ADDRESS/PREFIX"
 * (a bridge), "publish" (the detached ones run {@link DetachedPortsTest#SERVERS} instead, with ports 80
 * and 81 published on free ports of 127.0.0.1; needs a bridge), "exit" (exit normally, through the
 * shutdown hooks, once all are started),
 * "stdin" (wait for stdin to close, then close the containers and exit normally),
 * "label:KEY=VALUE" (a label on every container; repeatable), "storage:BYTES" (a storage size on
 * every container).
 */
public final class RecoveryChild {
    private RecoveryChild() {}

    /** A child JVM running this class, and the fields of each "started ..." line it printed. */
    record Launched(Process process, List<String[]> started) {
        List<String> ids() {
            return started.stream().map(f -> f[1]).toList();
        }

        List<Integer> pids() {
            return started.stream().map(f -> Integer.parseInt(f[2])).toList();
        }

        /** SIGKILL: no shutdown hook runs. */
        void killHard() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    /** Starts a child JVM with {@code count} containers on the given roots and waits for their lines. */
    static Launched launch(Path rootfs, Path lib, Path run, int count, String... extra) throws IOException {
        return awaitStarted(spawn(rootfs, lib, run, count, extra), count);
    }

    /** Starts a child JVM with {@code count} containers on the given roots. */
    static Process spawn(Path rootfs, Path lib, Path run, int count, String... extra) throws IOException {
        return new ProcessBuilder(command(rootfs, lib, run, count, extra)).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    /** The command line of such a child JVM. */
    static List<String> command(Path rootfs, Path lib, Path run, int count, String... extra) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), RecoveryChild.class.getName(),
                rootfs.toString(), lib.toString(), run.toString(), Integer.toString(count)));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    /** Reads the "started" lines of the {@code count} containers of a spawned child. */
    static Launched awaitStarted(Process child, int count) throws IOException {
        List<String[]> started = new ArrayList<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        for (int i = 0; i < count; i++) {
            String line = r.readLine();
            assertThat(line).as("child JVM output").isNotNull().startsWith("started ");
            started.add(line.split(" "));
        }
        return new Launched(child, started);
    }

    public static void main(String[] args) throws InterruptedException {
        Path rootfs = Path.of(args[0]);
        ContainerRuntime rt = ContainerRuntime.at(Path.of(args[1]), Path.of(args[2]));
        int count = Integer.parseInt(args[3]);
        // optional after the count: "limits", and/or "NAME,ADDRESS/PREFIX" of a bridge to put the containers on
        boolean limits = false;
        boolean publish = false;
        int detached = 0;
        String end = "sleep";
        Network network = Network.none();
        List<String> labels = new ArrayList<>();
        long storage = 0;
        for (int i = 4; i < args.length; i++) {
            if (args[i].equals("limits")) {
                limits = true;
            } else if (args[i].equals("publish")) {
                publish = true;
            } else if (args[i].startsWith("detached:")) {
                detached = Integer.parseInt(args[i].substring("detached:".length()));
            } else if (args[i].startsWith("storage:")) {
                storage = Long.parseLong(args[i].substring("storage:".length()));
            } else if (args[i].startsWith("label:")) {
                labels.add(args[i].substring("label:".length()));
            } else if (args[i].equals("exit") || args[i].equals("stdin")) {
                end = args[i];
            } else {
                network = Network.bridge(args[i].split(",")[0], args[i].split(",")[1]);
            }
        }
        List<RunningContainer> keep = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Container.Builder b = Container.builder().rootfs(rootfs).runtime(rt).network(network).stdout(Stdio.discard());
            labels.forEach(b::label);
            if (storage > 0) {
                b.storageSize(DataSize.ofBytes(storage));
            }
            if (limits) {
                b.memory(DataSize.ofMiB(64)).cpus(0.5).pidsLimit(64);
            }
            if (i < detached && publish) {
                DetachedContainer d = b.publish("127.0.0.1", 0, 80).publish("127.0.0.1", 0, 81)
                        .startDetached(DetachedPortsTest.SERVERS);
                System.out.println("started " + d.id() + " " + d.pid() + " - -");
                continue;
            }
            if (i < detached) {
                DetachedContainer d = b.startDetached("/bin/sh", "-c",
                        "echo started; while true; do echo tick; sleep 1; done");
                System.out.println("started " + d.id() + " " + d.pid() + " - -");
                continue;
            }
            RunningContainer c = b.start("/bin/sleep", "600");
            keep.add(c);
            System.out.println("started " + c.id() + " " + c.pid() + " " + c.ipAddress().orElse("-") + " "
                    + String.join(",", c.cgroupDirs().stream().map(Path::toString).toList()));
        }
        System.out.flush();
        switch (end) {
            case "exit" -> System.exit(0);
            case "stdin" -> {
                try {
                    System.in.readAllBytes();
                } catch (IOException e) {
                    // closed either way
                }
                keep.forEach(RunningContainer::close);
                System.exit(0);
            }
            default -> Thread.sleep(Long.MAX_VALUE);
        }
    }
}
