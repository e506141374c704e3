package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.ExecResult;
import io.mdocker.ExecTimeoutException;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.state.ExecRecord;
import io.mdocker.internal.sys.Errno;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A process started inside a running container (Docker's {@code exec}) and held by this JVM: the
 * mdocker-init in join mode that is its parent (the "joiner", outside the container), the
 * joiner's sync socket and the process's stdio. It runs in all of the container's namespaces and
 * cgroups, with its command's capabilities, seccomp filter, no_new_privs, rlimits and groups.
 * {@link #close()} kills the process if it still runs, reaps it and releases the rest.
 * Thread-safe: any thread may wait, signal or close.
 */
public final class ExecSession implements AutoCloseable {
    private static final long JOIN_TIMEOUT_MILLIS = 30_000;
    private static final Duration KILL_GRACE = Duration.ofSeconds(5);
    /** How long exec() waits for the output to end once the process has exited (see {@link #run}). */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(1);
    /** Bytes that a write into an empty pipe always takes at once (a pipe holds at least a page). */
    private static final int PIPE_BUF = 4096;

    private final String containerId;
    private final List<String> command;
    private final InitProcess joiner;
    private final ByteArrayOutputStream capturedOut;
    private final ByteArrayOutputStream capturedErr;
    private final long startNanos;
    private final Consumer<Object> onClose;
    private final CompletableFuture<Void> exited;
    private final boolean tty;
    private volatile long exitNanos;
    private volatile int pid = -1;
    private volatile int containerPid = -1;
    private Integer exitCode; // guarded by this
    private boolean closed; // guarded by this

    private ExecSession(String containerId, List<String> command, InitProcess joiner, ByteArrayOutputStream out,
                        ByteArrayOutputStream err, long startNanos, Consumer<Object> onClose, boolean tty) {
        this.tty = tty;
        this.containerId = containerId;
        this.command = command;
        this.joiner = joiner;
        this.capturedOut = out;
        this.capturedErr = err;
        this.startNanos = startNanos;
        this.onClose = onClose;
        // Waiters wait on this dependent, so the exit time is set before any of them returns.
        this.exited = joiner.monitorStatus().handle((status, e) -> {
            exitNanos = System.nanoTime();
            return null;
        });
    }

    /**
     * Starts {@code exec} in the container that {@code record} describes: spawns a joiner, sends
     * JOIN, and returns once the process has been exec'd (JOINED), or throws what went wrong
     * (ExecFailedException for a command that cannot be executed) with nothing left behind.
     * With {@code forResult}, piped stdout and stderr are captured for {@link #run}.
     */
    public static ExecSession start(String containerId, ExecRecord record, ExecSpec exec, boolean forResult,
                             Consumer<Object> onClose) {
        long t0 = System.nanoTime();
        StreamChoice stdinChoice = InheritedStdio.resolve(exec.stdin(), 0); // see ContainerStart
        StreamChoice stdoutChoice = InheritedStdio.resolve(exec.stdout(), 1);
        StreamChoice stderrChoice = InheritedStdio.resolve(exec.stderr(), 2);
        ByteArrayOutputStream out = forResult && stdoutChoice.kind() == StreamChoice.Kind.PIPE ? new ByteArrayOutputStream() : null;
        ByteArrayOutputStream err = forResult && stderrChoice.kind() == StreamChoice.Kind.PIPE && exec.tty().isEmpty()
                ? new ByteArrayOutputStream() : null; // with a tty, stderr is part of stdout
        InitProcess joiner;
        try {
            joiner = InitProcess.spawnJoiner(new InitProcess.StdioPlan(
                    stdinChoice.stdinRedirect(forResult && exec.input() == null),
                    stdoutChoice.redirect(out), stdoutChoice.sinkOr(out),
                    stderrChoice.redirect(err), stderrChoice.sinkOr(err),
                    null, exec.tty().isPresent()));
        } catch (RuntimeException e) {
            throw new ContainerException("starting mdocker-init to exec into container " + containerId + ": "
                    + e.getMessage(), e);
        }
        ExecSession p = new ExecSession(containerId, exec.command(), joiner, out, err, t0, onClose,
                exec.tty().isPresent());
        try {
            p.join(record, exec, false);
            return p;
        } catch (RuntimeException | Error e) {
            p.close();
            throw e;
        }
    }

    /**
     * Starts {@code exec} in the container that {@code record} describes and leaves its process
     * there (Docker's {@code exec -d}): its stdio is /dev/null, the joiner exits once it runs, and
     * the process is reaped by whoever inherits it. Returns its host pid.
     *
     * @throws IllegalArgumentException for a tty or input, which a detached process cannot have
     */
    public static int startDetached(String containerId, ExecRecord record, ExecSpec exec) {
        if (exec.tty().isPresent() || exec.input() != null) {
            throw new IllegalArgumentException("a detached exec has no terminal and no input: drop "
                    + (exec.tty().isPresent() ? "the tty" : "the input") + ", or start it attached (execStart)");
        }
        InitProcess joiner;
        try {
            joiner = InitProcess.spawnJoiner(new InitProcess.StdioPlan(InitProcess.Redirect.DISCARD,
                    InitProcess.Redirect.DISCARD, null,
                    InitProcess.Redirect.DISCARD, null));
        } catch (RuntimeException e) {
            throw new ContainerException("starting mdocker-init to exec into container " + containerId + ": "
                    + e.getMessage(), e);
        }
        ExecSession p = new ExecSession(containerId, exec.command(), joiner, null, null, System.nanoTime(), x -> { }, false);
        try {
            p.join(record, exec, true);
            // the joiner exits at once: its process is left to the container
            joiner.monitorStatus().orTimeout(JOIN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS).exceptionally(t -> -1).join();
            return p.pid;
        } finally {
            p.close();
        }
    }

    /** exec(): start, wait (killing at the timeout), collect the output, release everything. */
    public static ExecResult run(ExecSession p, ExecSpec exec) {
        try (p) {
            Duration limit = exec.timeout().orElse(null);
            if (limit == null) {
                p.waitFor();
            } else if (!p.waitFor(limit)) {
                p.kill(Signalling.SIGKILL);
                p.waitFor();
                p.awaitOutput();
                throw new ExecTimeoutException("exec of '" + String.join(" ", p.command) + "' in container "
                        + p.containerId + " did not end within " + limit + ": killed it", limit,
                        bytes(p.capturedOut), bytes(p.capturedErr));
            }
            // A process it started in the background may hold the output open: wait a little, not for it.
            p.awaitOutput();
            return new ExecResult(p.exitCode(), bytes(p.capturedOut), bytes(p.capturedErr),
                    Duration.ofNanos(p.exitNanos - p.startNanos));
        }
    }

    private static byte[] bytes(ByteArrayOutputStream b) {
        return b == null ? new byte[0] : b.toByteArray();
    }

    private void awaitOutput() {
        try {
            joiner.finished().get(OUTPUT_GRACE.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // what arrived so far is the output
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** JOIN (the container's identity with this exec's changes) and its answer; {@code orphan}: the process is left there. */
    private void join(ExecRecord record, ExecSpec exec, boolean orphan) {
        Protocol.ConfigWriter w = new Protocol.ConfigWriter();
        for (String arg : exec.command()) {
            w.string(Protocol.T_ARG, arg);
        }
        int uid = exec.uid().orElse(record.uid());
        Map<String, String> env = new LinkedHashMap<>(record.env());
        if (uid != record.uid() && Spec.defaultHome(record.uid()).equals(env.get("HOME"))) {
            env.put("HOME", Spec.defaultHome(uid)); // the default follows the user
        }
        env.putAll(exec.env());
        for (Map.Entry<String, String> e : env.entrySet()) {
            w.string(Protocol.T_ENV, e.getKey() + "=" + e.getValue());
        }
        w.string(Protocol.T_CWD, exec.workdir().orElse(record.workdir()))
                .u32(Protocol.T_UID, uid)
                .u32(Protocol.T_GID, exec.gid().orElse(record.gid()))
                .joinPid(record.pid(), record.pidStartTime());
        for (Path cgroup : record.cgroups()) {
            w.string(Protocol.T_CGROUP, cgroup.toString());
        }
        w.records(record.identity());
        exec.tty().ifPresent(size -> w.tty(size.rows(), size.columns()));
        if (orphan) {
            w.u32(Protocol.T_ORPHAN, 1);
        }

        if (!joiner.send(w.message(Protocol.MSG_JOIN))) {
            throw new ContainerException("mdocker-init exited before it could exec into container " + containerId);
        }
        Protocol.Message m;
        try {
            m = joiner.receive(JOIN_TIMEOUT_MILLIS);
        } catch (InitProcess.ProtocolTimeoutException e) {
            throw new ContainerException("exec into container " + containerId + " did not start within "
                    + JOIN_TIMEOUT_MILLIS + " ms");
        }
        if (m == null) {
            throw new ContainerException("mdocker-init exited before it could exec into container " + containerId);
        }
        if (m.type() == Protocol.MSG_ERROR) {
            throw joinError(m.int32(0), m.int32(1), m.text(2));
        }
        if (m.type() != Protocol.MSG_JOINED) {
            throw new ContainerException("mdocker-init sent message " + m.type() + " where JOINED was expected");
        }
        pid = m.int32(0);
        containerPid = m.int32(1);
        byte[] input = exec.input();
        if (input != null) {
            Runnable feed = () -> feed(joiner.stdin(), input);
            if (input.length <= PIPE_BUF) {
                feed.run(); // fits into the empty pipe: never blocks
            } else {
                Thread.ofVirtual().name("mdocker-exec-input").start(feed);
            }
        }
    }

    private static void feed(OutputStream stdin, byte[] input) {
        try (stdin) {
            stdin.write(input);
        } catch (IOException e) {
            // the process ended or closed its stdin without reading it all: as a shell pipe does
        }
    }

    private ContainerException joinError(int step, int errno, String object) {
        if (step == Protocol.STEP_JOIN && errno == Errno.ESRCH) {
            return new ContainerException("container " + containerId + " is not running: cannot exec into it ("
                    + object + ")");
        }
        if (step == Protocol.STEP_EXEC) {
            return SetupErrors.of(step, errno, object);
        }
        return new ContainerException("exec into container " + containerId + ": " + object + ": " + Errno.describe(errno));
    }

    /** The host pid of the process. */
    public int pid() {
        return pid;
    }

    /** The process's pid inside the container's PID namespace (what {@code ps} there shows). */
    public int containerPid() {
        return containerPid;
    }

    /** The command as started. */
    public List<String> command() {
        return command;
    }

    /** stdin when it is piped (and no input was given); with a tty, the terminal's input. */
    public OutputStream stdin() {
        return Session.piped(joiner.stdin(), "exec's stdin");
    }

    /**
     * stdout when it is piped; read it, or the process blocks once the pipe is full. With a tty:
     * what the terminal shows (stdout and stderr), to its end once nothing holds the terminal.
     */
    public InputStream stdout() {
        return Session.piped(joiner.stdout(), "exec's stdout");
    }

    /** stderr when it is piped; with a tty there is none (it is part of {@link #stdout()}). */
    public InputStream stderr() {
        if (tty) {
            throw new IllegalStateException(this + " has a tty: its stderr is part of stdout()");
        }
        return Session.piped(joiner.stderr(), "exec's stderr");
    }

    /** Sets the window size of the process's tty (its foreground process group gets SIGWINCH). */
    public void resizeTty(int rows, int columns) {
        if (!tty) {
            throw new IllegalStateException(this + " has no tty to resize (Exec.Builder.tty)");
        }
        joiner.resizeTty(rows, columns);
    }

    /** Whether the process still runs. */
    public boolean isRunning() {
        return !exited.isDone();
    }

    /** Waits for the process to end and returns its exit code (128+n when signal n killed it). */
    public int waitFor() {
        Waiting.await(exited, toString());
        return exitCode();
    }

    /** Waits at most {@code timeout}; true when the process has ended. */
    public boolean waitFor(Duration timeout) {
        return Waiting.await(exited, timeout, toString());
    }

    /** The exit code of a process that has ended (128+n when signal n killed it). */
    public synchronized int exitCode() {
        if (exitCode != null) {
            return exitCode;
        }
        if (!exited.isDone()) {
            throw new IllegalStateException(this + " is still running");
        }
        exitCode = joiner.exitCodeAfterExit();
        return exitCode;
    }

    /**
     * Sends {@code signal} to the process and the processes it started in its process group
     * (it leads one of its own); nothing once it has ended.
     */
    public void kill(int signal) {
        if (isRunning()) {
            joiner.send(Protocol.signal(signal));
        }
    }

    /** Kills the process (and its process group) if it still runs, reaps it and releases its descriptors. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        try {
            if (isRunning()) {
                joiner.killAndReap(KILL_GRACE); // the process dies with its joiner too (PR_SET_PDEATHSIG)
                exited.join();
            }
            if (pid > 0) {
                exitCode();
            }
        } catch (RuntimeException e) {
            // keep releasing
        } finally {
            synchronized (this) {
                closed = true;
            }
            joiner.close();
            onClose.accept(this);
        }
    }

    @Override
    public String toString() {
        return "ExecProcess[" + containerId + " " + String.join(" ", command) + "]";
    }
}
