package io.mdocker;

import io.mdocker.internal.state.HealthLog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Runs a container's healthcheck as Docker's daemon does, for {@link ContainerHandle#runHealthchecks()}:
 * by exec at once and then every Interval, each run bounded by the Timeout (a run out of time
 * counts as a failure, exit code -1). A run that passes makes the container healthy and ends the
 * failing streak; a failure after the StartPeriod adds to the streak, and the streak reaching the
 * Retries makes it unhealthy. Each run is recorded in the container's state directory
 * ({@link HealthLog}), so that any process shows it. Ends when the container exits.
 */
final class HealthMonitor {
    private HealthMonitor() {}

    /** The file whose lock the process running a container's checks holds: one at a time. */
    static final String LOCK = "health.lock";
    /** The state directories whose checks a thread of this JVM runs. */
    private static final java.util.Set<Path> RUNNING = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * Runs the checks until the container exits; returns at once when the check is NONE or
     * another thread or process runs them already (it holds the lock {@value #LOCK}).
     */
    static void run(ContainerHandle c, Healthcheck h, Path stateDir) {
        if (h.disabled()) {
            return;
        }
        // this JVM's runner first: a second descriptor of the lock file, once closed, would drop the
        // process's fcntl lock that the first holds
        Path key = stateDir.toAbsolutePath().normalize();
        if (!RUNNING.add(key)) {
            return;
        }
        try (FileChannel ch = FileChannel.open(stateDir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock held;
            try {
                held = ch.tryLock();
            } catch (OverlappingFileLockException heldInThisJvm) {
                held = null;
            }
            if (held != null) {
                runChecks(c, h, stateDir);
            }
        } catch (NoSuchFileException removed) {
            // the container's record is gone: nothing to check
        } catch (IOException e) {
            throw new UncheckedIOException("healthcheck of container " + c.shortId() + ": " + e.getMessage(), e);
        } finally {
            RUNNING.remove(key);
        }
    }

    private static void runChecks(ContainerHandle c, Healthcheck h, Path stateDir) {
        List<String> command = h.command();
        Instant started = Instant.now();
        Wait.CommandRunner exec = CommandWait.exec(h.timeout());
        HealthLog log = HealthLog.readFrom(stateDir).orElse(new HealthLog("starting", 0, List.of()));
        log.writeTo(stateDir);
        while (c.isRunning()) {
            Instant t0 = Instant.now();
            Wait.CommandOutcome o;
            try {
                o = exec.run(c, command);
            } catch (ExecTimeoutException e) {
                o = new Wait.CommandOutcome(-1, "Health check exceeded timeout (" + h.timeout().toMillis() + " ms)");
            } catch (RuntimeException e) {
                // the exec could not be made (the container stopping, a resource short): a failed run
                if (!c.isRunning()) {
                    return;
                }
                o = new Wait.CommandOutcome(-1, String.valueOf(e.getMessage()));
            }
            Instant t1 = Instant.now();
            if (!c.isRunning()) {
                return;
            }
            boolean inStartPeriod = Duration.between(started, t0).compareTo(h.startPeriod()) < 0;
            String status = log.status();
            int streak = log.failingStreak();
            if (o.exitCode() == 0) {
                status = "healthy";
                streak = 0;
            } else if (!inStartPeriod) {
                streak++;
                if (streak >= h.retries()) {
                    status = "unhealthy";
                }
            }
            log = log.with(status, streak, new HealthLog.Run(t0, t1, o.exitCode(), o.output()));
            log.writeTo(stateDir);
            if (c.waitFor(h.interval())) {
                return;
            }
        }
    }

    /** The public form of a recorded health. */
    static HealthStatus statusOf(HealthLog log) {
        HealthStatus.Status s = switch (log.status()) {
            case "healthy" -> HealthStatus.Status.HEALTHY;
            case "unhealthy" -> HealthStatus.Status.UNHEALTHY;
            default -> HealthStatus.Status.STARTING;
        };
        return new HealthStatus(s, log.failingStreak(), log.log().stream()
                .map(r -> new HealthStatus.Run(r.start(), r.end(), r.exitCode(), r.output())).toList());
    }
}
