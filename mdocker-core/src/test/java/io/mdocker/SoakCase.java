package io.mdocker;

import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * One container of the soak: what it is asked to do, with which limits and network, and the
 * check that it ended as that outcome must end. {@link #random} draws a case from a seeded
 * generator, so a seed reproduces the mix.
 *
 * @param outcome what the container does and how it must end
 * @param limits whether memory, CPU and pids limits are set (an OOM case always has a memory limit)
 * @param bridge whether it runs on the soak bridge rather than with no network
 * @param detail the exit code asked for (NONZERO), the wait in ms (TIMEOUT), 126 or 127 (EXEC_FAILS)
 */
record SoakCase(Outcome outcome, boolean limits, boolean bridge, int detail) {

    /** How a soak container ends. */
    enum Outcome {
        /** exits 0 and prints what it was asked to */
        EXITS_ZERO,
        /** exits with a code from 1 to 125 */
        EXITS_NONZERO,
        /** its command cannot be executed: missing (127) or not executable (126) */
        EXEC_FAILS,
        /** killed and closed from two threads at once right after start() returned */
        KILLED_AT_START,
        /** waitFor(timeout) runs out, then stop(): SIGTERM reaches the command, 143 */
        TIMES_OUT,
        /** a memory hog above its limit: the OOM killer, 137, oomKilled() */
        OOM_KILLED
    }

    static final String BRIDGE = "mdt9";
    static final String BRIDGE_ADDRESS = "10.201.99.1/24";

    /** {@code -Dsoak.only=OUTCOME}: every case of one kind (to chase one failure). */
    private static final Outcome ONLY = System.getProperty("soak.only", "").isEmpty() ? null
            : Outcome.valueOf(System.getProperty("soak.only"));

    static SoakCase random(Random r) {
        Outcome drawn = Outcome.values()[r.nextInt(Outcome.values().length)];
        Outcome o = ONLY != null ? ONLY : drawn;
        int detail = switch (o) {
            case EXITS_NONZERO -> 1 + r.nextInt(125);
            case TIMES_OUT -> 1 + r.nextInt(30);
            case EXEC_FAILS -> r.nextBoolean() ? 126 : 127;
            default -> 0;
        };
        return new SoakCase(o, o == Outcome.OOM_KILLED || r.nextBoolean(), r.nextBoolean(), detail);
    }

    /** Runs the case; throws AssertionError (naming the case) when it did not end as it must. */
    void run(Container base, ExecutorService helper) throws Exception {
        Container.Builder b = base.toBuilder();
        if (limits || outcome == Outcome.OOM_KILLED) {
            b.memory(DataSize.ofMiB(outcome == Outcome.OOM_KILLED ? 16 : 64)).cpus(1.5).pidsLimit(64);
        }
        if (bridge) {
            b.network(Network.bridge(BRIDGE, BRIDGE_ADDRESS));
        }
        Container c = b.build();
        switch (outcome) {
            case EXITS_ZERO -> {
                ExecResult r = c.run("/bin/sh", "-c", "echo soak");
                expect(r.exitCode() == 0 && r.stdout().equals("soak\n"), r);
            }
            case EXITS_NONZERO -> {
                ExecResult r = c.run("/bin/sh", "-c", "exit " + detail);
                expect(r.exitCode() == detail, r);
            }
            case EXEC_FAILS -> {
                try {
                    c.run(detail == 127 ? "/no/such/command" : "/etc/passwd");
                    throw new AssertionError(this + ": the command ran");
                } catch (ExecFailedException e) {
                    expect(e.exitCode() == detail, e.getMessage() + " exit code " + e.exitCode());
                }
            }
            case KILLED_AT_START -> {
                RunningContainer rc = c.start("/bin/sleep", "60");
                Future<?> closing = helper.submit(rc::close);
                rc.kill(Signal.KILL);
                closing.get();
                expect(rc.exitCode() == 137, "exit code " + rc.exitCode());
            }
            case TIMES_OUT -> {
                try (RunningContainer rc = c.start("/bin/sleep", "60")) {
                    expect(!rc.waitFor(Duration.ofMillis(detail)), "sleep 60 ended within " + detail + " ms");
                    int code = rc.stop(Duration.ofSeconds(5));
                    expect(code == 143, "exit code " + code + " after stop()");
                }
            }
            case OOM_KILLED -> {
                ExecResult r = c.run("testbox", "memhog", "64");
                expect(r.exitCode() == 137 && r.oomKilled(), r);
            }
        }
    }

    private void expect(boolean ok, Object what) {
        if (!ok) {
            throw new AssertionError(this + ": " + what);
        }
    }
}
