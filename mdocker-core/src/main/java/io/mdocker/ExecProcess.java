package io.mdocker;

import io.mdocker.internal.run.ExecSession;
import io.mdocker.internal.run.Execs;
import io.mdocker.internal.run.Target;

import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A process started inside a running container ({@link ContainerHandle#execStart}, Docker's
 * {@code exec}). It runs in all of the container's namespaces and cgroups, with its command's
 * capabilities, seccomp filter, no_new_privs, rlimits and groups, and is visible inside the
 * container with a pid of that namespace ({@link #containerPid()}). Its parent is an
 * mdocker-init in join mode (the "joiner", outside the container), never this JVM.
 *
 * <p>It owns the joiner and its descriptors: {@link #close()} kills the process if it still
 * runs, reaps it and releases them. Closing the container ends its exec'd processes too (they
 * live in its PID namespace). Thread-safe: any thread may wait, signal or close.
 */
public final class ExecProcess implements AutoCloseable {
    private final ExecSession session;

    private ExecProcess(ExecSession session) {
        this.session = session;
    }

    /** Starts {@code exec} in {@code target} and returns its handle. */
    static ExecProcess start(Target target, Exec exec) {
        return new ExecProcess(Execs.start(target, Objects.requireNonNull(exec, "exec").spec(), false));
    }

    /** Runs {@code exec} in {@code target} to its end. */
    static ExecResult run(Target target, Exec exec) {
        return Execs.run(target, Objects.requireNonNull(exec, "exec").spec());
    }

    /** The host pid of the process. */
    public int pid() {
        return session.pid();
    }

    /** The process's pid inside the container's PID namespace (what {@code ps} there shows). */
    public int containerPid() {
        return session.containerPid();
    }

    /** The command as started. */
    public List<String> command() {
        return session.command();
    }

    /**
     * stdin when it is piped ({@link Stdio#pipe()}, the default, and no input was given); with a
     * tty ({@link Exec.Builder#tty}), the terminal's input, as typed.
     */
    public OutputStream stdin() {
        return session.stdin();
    }

    /**
     * stdout when it is piped; read it, or the process blocks once the pipe is full. With a tty:
     * what the terminal shows (stdout and stderr), to its end once nothing holds the terminal.
     */
    public InputStream stdout() {
        return session.stdout();
    }

    /** stderr when it is piped; with a tty there is none (it is part of {@link #stdout()}). */
    public InputStream stderr() {
        return session.stderr();
    }

    /**
     * Sets the window size of the process's tty (its foreground process group gets SIGWINCH);
     * out of 1..65535 an {@link IllegalArgumentException}, without a tty an {@link IllegalStateException}.
     */
    public void resizeTty(int rows, int columns) {
        TtySize size = new TtySize(rows, columns);
        session.resizeTty(size.rows(), size.columns());
    }

    /** Whether the process still runs. */
    public boolean isRunning() {
        return session.isRunning();
    }

    /** Waits for the process to end and returns its exit code (128+n when signal n killed it). */
    public int waitFor() {
        return session.waitFor();
    }

    /** Waits at most {@code timeout}; true when the process has ended. */
    public boolean waitFor(Duration timeout) {
        return session.waitFor(timeout);
    }

    /** The exit code of a process that has ended (128+n when signal n killed it). */
    public int exitCode() {
        return session.exitCode();
    }

    /**
     * Sends {@code signal} to the process and the processes it started in its process group
     * (it leads one of its own); nothing once it has ended.
     */
    public void kill(Signal signal) {
        session.kill(signal.number());
    }

    /** Kills the process (and its process group) if it still runs, reaps it and releases its descriptors. Idempotent. */
    @Override
    public void close() {
        session.close();
    }

    @Override
    public String toString() {
        return session.toString();
    }
}
