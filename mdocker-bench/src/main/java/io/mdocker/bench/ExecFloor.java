package io.mdocker.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The floor under the warm pool's rows, measured in the same run: {@code exec-floor} (this
 * module's {@code src/main/c/exec-floor.c}, built next to the jar) keeps a child forked ahead,
 * waiting on a socketpair as a pooled sandbox's command process does, and times one datagram to
 * it, its exec of the rootfs's {@code /bin/true} (the channel's end of file) and its exit (reaped)
 * from inside its own process: no namespaces, no JVM, no relay. Each round asks for one such
 * start; the two rows it feeds take its start-to-exec and its start-to-exit.
 */
final class ExecFloor implements AutoCloseable {
    static final String EXEC = "floor: parked process, start-to-exec (C, no isolation)";
    static final String EXIT = "floor: parked process, start-to-exit (C, no isolation)";

    private final Process process;
    private final OutputStream in;
    private final BufferedReader out;

    private ExecFloor(Process process) {
        this.process = process;
        this.in = process.getOutputStream();
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    }

    /** Starts the helper built beside {@code benchJar}, which execs {@code binary} for each start. */
    static ExecFloor start(Path benchJar, Path binary) throws IOException {
        Path helper = benchJar.toAbsolutePath().resolveSibling("exec-floor");
        if (!Files.isExecutable(helper)) {
            throw new IllegalStateException(helper + " is not built (mvn package builds it with gcc)");
        }
        return new ExecFloor(new ProcessBuilder(helper.toString(), binary.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start());
    }

    /** The two variants: each round of either is one start by the helper. */
    List<Variant> variants() {
        return List.of(Variant.selfTimed(EXEC, () -> start()[0]), Variant.selfTimed(EXIT, () -> start()[1]));
    }

    /** One start: {start-to-exec, start-to-exit} in nanoseconds. */
    private long[] start() throws IOException {
        in.write('\n');
        in.flush();
        String line = out.readLine();
        if (line == null) {
            throw new IllegalStateException("exec-floor ended (exit status " + waitExit() + ")");
        }
        String[] f = line.trim().split(" ");
        return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
    }

    private int waitExit() {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? process.exitValue() : -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    @Override
    public void close() throws IOException {
        in.close(); // the helper reaps its parked child and exits
        if (waitExit() < 0) {
            process.destroyForcibly();
        }
    }
}
