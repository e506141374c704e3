package io.mdocker.internal.run;

import io.mdocker.internal.cgroup.CgroupStats;
import io.mdocker.internal.fs.ContainerFiles;
import io.mdocker.internal.state.ExecRecord;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What the verbs ({@link Signalling}, {@link Pausing}, {@link Copying}, {@link Execs}) need of a
 * container, whether this JVM holds it ({@link Session}) or only its record names it
 * ({@link RecordTarget}, a detached container of any process).
 */
public interface Target {
    /** The first 12 hex digits of the id. */
    String shortId();

    /** Whether pid 1 still runs. */
    boolean isRunning();

    /** The container's own cgroup directories, one per hierarchy (empty once released). */
    List<Path> cgroupDirs();

    /** The signal stop sends first (the image's StopSignal, the one given, or SIGTERM). */
    int stopSignal();

    /** Sends {@code signal} to pid 1; false when it no longer runs. */
    boolean signalPid1(int signal);

    /** Waits at most {@code timeout} for pid 1's end; true when it has ended. */
    boolean awaitExit(Duration timeout);

    /** The running container's root, opened while pid 1 is known to be its pid 1; null when it does not run. */
    ContainerFiles openRoot();

    /** What an exec into it needs; empty when it does not run. */
    java.util.Optional<ExecRecord> execRecord();

    /** What its cgroups have counted ({@link CgroupStats#UNKNOWN} once released). */
    CgroupStats stats();
}
