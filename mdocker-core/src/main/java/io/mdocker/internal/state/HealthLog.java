package io.mdocker.internal.state;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the runs of a container's healthcheck found, as its record keeps it in the file
 * {@code health} beside its state: the status (starting, healthy, unhealthy), the failures in a
 * row, and the last {@value #KEEP} runs. Written whole (a temporary file renamed over it) by the
 * process that runs the checks, read by any other ({@code ps}, {@code inspect}).
 *
 * @param status        {@code starting}, {@code healthy} or {@code unhealthy}
 * @param failingStreak the failed runs in a row, after the start period
 * @param log           the last runs, oldest first
 */
public record HealthLog(String status, int failingStreak, List<Run> log) {
    /** How many runs the log keeps (as Docker's). */
    public static final int KEEP = 5;
    /** The file beside a container's state. */
    public static final String FILE = "health";
    /** The most of a run's output kept. */
    public static final int MAX_OUTPUT = 4096;

    /** Copies the log. */
    public HealthLog {
        log = List.copyOf(log);
    }

    /**
     * One run of the check.
     *
     * @param start    when it started
     * @param end      when it ended
     * @param exitCode its exit status; -1 when it ran out of time
     * @param output   its output (stdout, then stderr), at most {@value #MAX_OUTPUT} characters
     */
    public record Run(Instant start, Instant end, int exitCode, String output) {}

    /** The log with {@code run} appended (the oldest dropped beyond {@value #KEEP}), status and streak replaced. */
    public HealthLog with(String newStatus, int streak, Run run) {
        List<Run> l = new ArrayList<>(log);
        l.add(new Run(run.start(), run.end(), run.exitCode(),
                run.output().length() > MAX_OUTPUT ? run.output().substring(0, MAX_OUTPUT) : run.output()));
        while (l.size() > KEEP) {
            l.remove(0);
        }
        return new HealthLog(newStatus, streak, l);
    }

    /** Writes it to {@code dir}'s health file, replacing it at once. */
    public void writeTo(Path dir) {
        Properties p = new Properties();
        p.setProperty("status", status);
        p.setProperty("failingStreak", Integer.toString(failingStreak));
        for (int i = 0; i < log.size(); i++) {
            Run r = log.get(i);
            p.setProperty("log." + i + ".start", r.start().toString());
            p.setProperty("log." + i + ".end", r.end().toString());
            p.setProperty("log." + i + ".exitCode", Integer.toString(r.exitCode()));
            p.setProperty("log." + i + ".output", r.output());
        }
        Path tmp = dir.resolve(FILE + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                p.store(out, null);
            }
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new UncheckedIOException(new IOException("health of " + dir + ": " + e.getMessage(), e));
        } catch (NoSuchFileException gone) {
            // the container's record is removed: nothing to keep
        } catch (IOException e) {
            throw new UncheckedIOException("writing the health of " + dir + ": " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // a leftover in a directory removed with the record
            }
        }
    }

    /** The health recorded in {@code dir}; empty when no check has recorded any. */
    public static Optional<HealthLog> readFrom(Path dir) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(dir.resolve(FILE))) {
            p.load(in);
        } catch (NoSuchFileException none) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the health of " + dir + ": " + e.getMessage(), e);
        }
        List<Run> log = new ArrayList<>();
        for (int i = 0; p.containsKey("log." + i + ".start"); i++) {
            log.add(new Run(Instant.parse(p.getProperty("log." + i + ".start")), Instant.parse(p.getProperty("log." + i + ".end")),
                    Integer.parseInt(p.getProperty("log." + i + ".exitCode")), p.getProperty("log." + i + ".output", "")));
        }
        return Optional.of(new HealthLog(p.getProperty("status", "starting"),
                Integer.parseInt(p.getProperty("failingStreak", "0")), log));
    }
}
