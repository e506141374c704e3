package io.mdocker.examples;

import io.mdocker.Container;
import io.mdocker.ExecResult;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs many short containers in parallel and prints the throughput: each runs a small command,
 * its output is checked, and the wall time of the whole batch gives containers per second.
 *
 * <pre>sudo java -cp examples/target/mdocker-cli.jar io.mdocker.examples.Throughput [--containers 200] [--parallel 8]</pre>
 */
@Command(name = "Throughput", mixinStandardHelpOptions = true,
        description = "Runs many short containers in parallel and prints containers per second.")
public final class Throughput implements Callable<Integer> {
    @Option(names = "--containers", description = "how many containers (default ${DEFAULT-VALUE})", defaultValue = "200")
    int containers;
    @Option(names = "--parallel", description = "how many at once (default ${DEFAULT-VALUE})", defaultValue = "8")
    int parallel;

    /** What a batch did: containers run, how many failed, wall time in nanoseconds. */
    public record Batch(int containers, int parallel, int failed, long nanos) {
        public double perSecond() {
            return containers / (nanos / 1e9);
        }

        @Override
        public String toString() {
            return String.format("%d containers, %d at a time: %.2f s, %.1f containers/s, %d failed",
                    containers, parallel, nanos / 1e9, perSecond(), failed);
        }
    }

    /** Runs {@code containers} containers, {@code parallel} at a time, each echoing its number. */
    public static Batch run(int containers, int parallel) throws Exception {
        if (containers < 1 || parallel < 1) {
            throw new IllegalArgumentException("invalid batch: expected at least 1 container and 1 at a time, got "
                    + containers + " and " + parallel);
        }
        Container spec = ExampleSetup.container().build();
        spec.run("/bin/true"); // the rootfs and the first monitor are ready before the clock starts
        long t0 = System.nanoTime();
        int failed = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(parallel)) {
            List<Future<Boolean>> runs = new ArrayList<>();
            for (int i = 0; i < containers; i++) {
                String n = Integer.toString(i);
                runs.add(pool.submit(() -> {
                    ExecResult r = spec.run("/bin/echo", n);
                    return r.exitCode() == 0 && r.stdout().equals(n + "\n");
                }));
            }
            for (Future<Boolean> f : runs) {
                if (!f.get()) {
                    failed++;
                }
            }
        }
        return new Batch(containers, parallel, failed, System.nanoTime() - t0);
    }

    @Override
    public Integer call() throws Exception {
        Batch b = run(containers, parallel);
        System.out.println(b);
        return b.failed() == 0 ? 0 : 1;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Throughput()).execute(args));
    }
}
