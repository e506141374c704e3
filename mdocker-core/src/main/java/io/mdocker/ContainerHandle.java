package io.mdocker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What a user can do with any container, whether this JVM holds it ({@link RunningContainer},
 * from {@link Container#start}) or it runs on its own ({@link DetachedContainer}, from
 * {@link Container#startDetached} or {@link ContainerRuntime#attach}): wait, signal, stop, pause,
 * copy files, read stats and output, exec, find its ports, and wait until it is ready.
 *
 * <p>Absent values are {@link Optional}s; no method returns null. Every method is thread-safe.
 */
public sealed interface ContainerHandle permits RunningContainer, DetachedContainer {
    /** The container's id: 64 hex digits. */
    String id();

    /** The first 12 hex digits of the id, as Docker shows it; also the default hostname. */
    default String shortId() {
        return id().substring(0, 12);
    }

    /** The container's name, when it was given one ({@link Container.Builder#name}). */
    Optional<String> name();

    /**
     * The container's labels ({@link Container.Builder#label}) as recorded with its state, sorted
     * by key; empty for none.
     */
    Map<String, String> labels();

    /** The host pid of the container's pid 1 while it runs, else -1. */
    int pid();

    /** Whether the container still runs. */
    boolean isRunning();

    /**
     * Waits for the container to exit and returns its exit code (128+n when signal n killed it).
     *
     * @throws ContainerException when the wait is interrupted, or the exit code was not recorded
     */
    int waitFor();

    /** Waits at most {@code timeout}; true when the container has exited. */
    boolean waitFor(Duration timeout);

    /**
     * Sends {@code signal} to the container's pid 1 (with the init, it reaches the command) and
     * unpauses a paused container so that it acts on it.
     *
     * @return false when the container no longer runs
     */
    boolean kill(Signal signal);

    /**
     * Sends the container's stop signal (its {@code Container.Builder#stopSignal}, else its
     * image's StopSignal, else SIGTERM), waits up to {@code grace} for the container to exit,
     * then SIGKILL; returns the exit code.
     */
    int stop(Duration grace);

    /** The Healthcheck of the image the container was started from; empty when it has none. */
    Optional<Healthcheck> healthcheck();

    /**
     * Runs the container's healthcheck until the container exits, as Docker's daemon does: at
     * once and then every Interval, each run bounded by the Timeout; a run that passes makes it
     * healthy, Retries failures in a row after the StartPeriod unhealthy. Each run is recorded in
     * the container's state record, where {@link ContainerInfo#health()} (and the command line's
     * {@code ps} and {@code inspect}) of any process read it. Returns at once when the container
     * has no check or its check is {@code NONE}, or when another thread or process runs them
     * already (one at a time per container; the command line's {@code run -d} starts one for a
     * detached container). Blocks: call it on a thread of its own.
     */
    void runHealthchecks();

    /**
     * Pauses the container (Docker's {@code pause}): every process in its cgroups is frozen where it
     * is (cgroup v2 {@code cgroup.freeze}, or the v1 freezer) until {@link #unpause()}. A paused
     * container refuses exec; a signal ({@link #kill}, {@link #stop}) unpauses it.
     *
     * @throws ContainerException when it is not running, or its cgroups have no freezer
     */
    void pause();

    /** Thaws a paused container ({@link #pause()}). */
    void unpause();

    /** Whether the container runs and is paused. */
    boolean isPaused();

    /**
     * What the container's cgroups have counted: memory now and at its peak, CPU time, processes,
     * OOM kills; all -1 once its cgroups are gone.
     */
    ResourceStats stats();

    /**
     * The processes running in the container now, as {@code docker top} lists them: those in its
     * pid namespace (execs included), as the host sees them ({@link ProcessHandle#pid()} is the
     * host's pid), its pid 1 first and the others by pid; empty once it has ended. Rootless, a
     * process running as another of the user's subordinate ids is not listed (the user may not
     * inspect it).
     */
    default List<ProcessHandle> processes() {
        int pid = pid();
        return pid > 0 && isRunning() ? io.mdocker.internal.run.ContainerProcesses.of(pid) : List.of();
    }

    /**
     * Copies the host file, directory tree or symbolic link {@code source} to {@code target} in
     * the running container (the path the copy gets; missing parents are made, an existing file
     * replaced, a directory merged into), resolved inside the container's root
     * ({@code openat2(RESOLVE_IN_ROOT)}): no link in the container leads the copy out to the host.
     * Mode bits are kept.
     *
     * @throws IllegalArgumentException when the source is missing or the target bad
     * @throws ContainerException       when the container does not run
     */
    void copyIn(Path source, String target);

    /**
     * Copies {@code source} to {@code target} in the running container, resolved inside its root
     * as {@link #copyIn(Path, String)} is: a host path as that does (its {@link CopySource#mode}
     * replacing the copied file's or top directory's mode when given), or one file's content
     * (bytes, a string, a classpath resource) as a regular file with its mode, owned by root.
     * Missing parents are made (0755); an existing file is replaced, a link there never followed.
     *
     * @throws IllegalArgumentException when the target is bad (a directory, below a file, a link)
     * @throws ContainerException       when the container does not run, or the source cannot be read
     */
    void copyIn(CopySource source, String target);

    /**
     * Copies {@code source} in the running container (a file or a directory tree) to the host
     * path {@code target}, keeping mode bits; resolved inside the container's root as
     * {@link #copyIn} is. Links inside a copied tree are copied as links.
     */
    void copyOut(String source, Path target);

    /**
     * Runs {@code command} inside the running container to its end and returns its exit code and
     * output, as {@code docker exec}: in all of the container's namespaces and cgroups, with its
     * command's user, capabilities, seccomp filter, no_new_privs, rlimits, environment and
     * working directory. A command that cannot be executed throws {@link ExecFailedException}
     * (127 not found, 126 not executable); a container that does not run or is paused,
     * {@link ContainerException}.
     */
    default ExecResult exec(String... command) {
        return exec(Exec.builder(command).build());
    }

    /** {@link #exec(String...)} with the options of {@code exec}: environment, working directory, user, input, timeout. */
    ExecResult exec(Exec exec);

    /** Starts {@code command} inside the running container and returns its handle; close it when done. */
    default ExecProcess execStart(String... command) {
        return execStart(Exec.builder(command).build());
    }

    /** Starts {@code exec} inside the running container and returns its handle; close it when done. */
    ExecProcess execStart(Exec exec);

    /**
     * Starts {@code exec} inside the running container and leaves its process there, as Docker's
     * {@code exec -d}: it runs until it ends or the container does, its stdin, stdout and stderr
     * are /dev/null (the streams {@code exec} names are not used), and nothing of this JVM waits
     * for it. Returns its host pid once it has been exec'd.
     *
     * @throws IllegalArgumentException when {@code exec} has a tty or input
     * @throws ContainerException       when the container does not run, is paused, or the command
     *                                  cannot be executed ({@link ExecFailedException})
     */
    int execDetached(Exec exec);

    /** The published ports with the host ports bound (a 0 asked for is replaced by the free port found). */
    List<PortMapping> ports();

    /**
     * The host address at which the published ports are reached, as Testcontainers'
     * {@code getHost()}: the address the first published port is bound to, or {@code 127.0.0.1}
     * where it is bound to every address (or nothing is published).
     */
    default String host() {
        return PortMapping.host(ports());
    }

    /** The host port that forwards to {@code containerPort} (as Testcontainers' {@code getMappedPort}). */
    default int mappedPort(int containerPort) {
        return PortMapping.mappedPort(ports(), containerPort);
    }

    /** The container's IPv4 address (bridge and veth networks) while it runs; empty with none and host. */
    Optional<String> ipAddress();

    /**
     * The container's output so far, each line ending with a newline but a last unfinished one:
     * a started container's recent lines of stdout and stderr in the order they arrived (bounded),
     * a detached container's stdout log followed by its stderr log.
     *
     * @throws IllegalStateException when the container keeps no output (neither stream piped)
     */
    String logs();

    /**
     * Calls {@code follower} with each line the container has written, then with every new line,
     * until the returned subscription is closed. It runs on a thread of mdocker's: it must return
     * quickly and never block (hand lines to a queue for slow work).
     */
    LogSubscription followLogs(Consumer<LogLine> follower);

    /**
     * Waits until {@code strategy} finds the container ready: a log line, a listening port, an
     * HTTP answer, a command's success (see {@link Wait}). Throws {@link WaitTimeoutException}
     * naming what was awaited, with the container's last output, when its timeout passes or the
     * container exits first.
     *
     * @return this container, ready
     */
    ContainerHandle await(WaitStrategy strategy);
}
