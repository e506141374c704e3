package io.mdocker.bench;

import io.mdocker.Container;
import io.mdocker.ContainerRuntime;

import java.nio.file.Path;
import java.util.List;

/**
 * mdocker's throughput alone, for profiling and quick A/B runs (the benchmark's throughput section
 * is the one whose figures count, set against runc and bwrap): {@code rounds} rounds of
 * {@code perRound} containers of {@code /bin/true} with {@code inFlight} at once, each round until
 * all is torn down; prints each round's rate and CPU per container. Run it under JFR
 * ({@code -XX:StartFlightRecording=filename=...,settings=profile}) to see where the time goes.
 *
 * <pre>java -cp mdocker-bench.jar io.mdocker.bench.ThroughputProbe OUT IN_FLIGHT PER_ROUND ROUNDS</pre>
 */
public final class ThroughputProbe {
    private ThroughputProbe() {}

    public static void main(String[] args) throws Exception {
        ContainerRuntime.requireRoot();
        Path out = Path.of(args[0]).toAbsolutePath();
        int inFlight = Integer.parseInt(args[1]);
        int perRound = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        Container spec = Benchmark.baseSpec(out);
        List<Variant> one = List.of(new Variant("mdocker", () -> Benchmark.check(spec.run("/bin/true"))));
        for (int r = 0; r < rounds; r++) {
            for (Throughput.Rate rate : Throughput.measure(one, new int[] {inFlight}, 1, perRound)) {
                System.out.printf("round %d: %.1f containers/s, %.2f ms CPU per container (load %s)%n", r,
                        rate.perSecond(), rate.cpuMsPerContainer(), Machine.loadAverage());
            }
        }
    }
}
