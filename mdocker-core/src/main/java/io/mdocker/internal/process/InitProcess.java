package io.mdocker.internal.process;

import io.mdocker.ContainerException;
import io.mdocker.bindings.Linux;
import io.mdocker.bindings.pollfd;
import io.mdocker.internal.sys.Errno;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One running mdocker-init monitor: its pid, the container's pid 1 that it cloned as it started
 * (sync 1), the JVM's end of the sync socket, and the JVM's ends of the container's stdio
 * pipes. The {@link EventLoop} reaps the monitor and drains the captured pipes;
 * {@link #drained()} completes when the pipes are drained, {@link #finished()} when the monitor
 * has been reaped too.
 *
 * <p>The sync socket is read only through {@link #receive}, one reader at a time; sending is
 * thread-safe. {@link #close()} releases every descriptor this object still holds.
 */
public final class InitProcess implements AutoCloseable {
    /** How one of the container's standard streams is connected. */
    public enum Redirect {
        /** The JVM's own descriptor (a terminal, for the CLI). */
        INHERIT,
        /** /dev/null. */
        DISCARD,
        /** A pipe drained by the reaper thread into a sink (stdout and stderr only). */
        CAPTURE,
        /** A pipe whose JVM end the caller reads or writes as a stream. */
        PIPE
    }

    /**
     * The three streams: redirect for each, the sinks for CAPTURE, and the log that PIPE outputs
     * are drained into (null: the caller reads the raw pipes). With {@code tty} the command's
     * three streams are a pseudo-terminal whose master comes as TTY (see {@link #receive}): the
     * monitor's own stdio is /dev/null (a pooled one's pipes are drained and closed), {@code in}
     * says whether the master is written to (PIPE) or not, {@code out} what becomes of what it
     * shows (CAPTURE, PIPE, DISCARD), and {@code err} is unused.
     */
    public record StdioPlan(Redirect in, Redirect out, OutputStream outSink, Redirect err, OutputStream errSink,
                            OutputLog log, boolean tty) {
        /** A plan without a log. */
        public StdioPlan(Redirect in, Redirect out, OutputStream outSink, Redirect err, OutputStream errSink) {
            this(in, out, outSink, err, errSink, null, false);
        }

        /** This plan with a pseudo-terminal. */
        public StdioPlan withTty() {
            return new StdioPlan(in, out, outSink, err, errSink, log, true);
        }

        /** The monitor's own streams: /dev/null with a terminal, else as planned. */
        Redirect[] spawned() {
            return tty ? new Redirect[] {Redirect.DISCARD, Redirect.DISCARD, Redirect.DISCARD} : new Redirect[] {in, out, err};
        }

        public StdioPlan {
            if (in == Redirect.CAPTURE) {
                throw new IllegalArgumentException("stdin cannot be captured");
            }
            if ((out == Redirect.CAPTURE) != (outSink != null) || (err == Redirect.CAPTURE) != (errSink != null)) {
                throw new IllegalArgumentException("a sink goes with CAPTURE and only with it");
            }
        }
    }

    private final int pid;
    private final long nsflags;
    private int containerPid = -1; // set once, by spawnRaw, before the object is shared
    private volatile boolean idMapped; // a rootless pid 1's maps, written by the pool before it was taken
    private long mountGeneration; // HostMounts' generation before the spawn; set as containerPid is
    private final int syncFd;
    private final Redirect[] spawnedWith;
    private final int[] parentFd; // the JVM's pipe ends, -1 where the stream is not a pipe
    private final CompletableFuture<Integer> monitorStatus = new CompletableFuture<>();
    private final Object receiveLock = new Object();
    private final Object sendLock = new Object();
    /** Completes when the streams {@link #bind} drains have ended (at once when it drains none). */
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private final CompletableFuture<Void> finished = CompletableFuture.allOf(drained, monitorStatus);
    private boolean bound; // guarded by this
    private volatile OutputLog log;
    private final TeeInput.Flow[] flows = new TeeInput.Flow[3];
    private volatile InputStream stdout;
    private volatile InputStream stderr;
    private volatile OutputStream stdin;
    private volatile StdioPlan plan;
    /** A plan with tty: completes when what the terminal shows has been drained (or never came). */
    private volatile CompletableFuture<Void> ttyEnded;
    private int ttyControl = -1; // a copy of the terminal's master, for resizes; guarded by this
    private int pidfd;
    private volatile boolean closed;
    /** PARKED's claim channel: the waiting command process's socket, until claimed or closed; guarded by this. */
    private int claimChannel = -1;
    /** PARKED's exit channel: pid 1 sends EXIT on it too, without the monitor's relay; guarded by this. */
    private int exitChannel = -1;
    /** stdout and stderr pipes the reaper watches since {@link #watchOutputsEarly}, by stream number; guarded by this. */
    private final EarlyDrain[] early = new EarlyDrain[3];

    private InitProcess(int pid, long nsflags, int syncFd, int pidfd, Redirect[] spawnedWith, int[] parentFd) {
        this.pid = pid;
        this.nsflags = nsflags;
        this.syncFd = syncFd;
        this.pidfd = pidfd;
        this.spawnedWith = spawnedWith;
        this.parentFd = parentFd;
        // A monitor that ends before its streams were bound leaves nothing to drain: its pipes go with close().
        monitorStatus.whenComplete((status, e) -> {
            synchronized (this) {
                if (!bound) {
                    drained.complete(null);
                }
            }
        });
    }

    /**
     * Spawns a monitor with the given stdio, whose pid 1 gets the CLONE_NEW* namespaces
     * {@code nsflags}. On failure nothing is left: every descriptor made here is closed and a
     * spawned monitor is killed and reaped.
     */
    public static InitProcess spawn(StdioPlan plan, long nsflags) {
        return spawn(plan, nsflags, Optional.empty());
    }

    /**
     * As {@link #spawn(StdioPlan, long)}, with pid 1 cloned into the pid namespace file
     * {@code pidNamespace} instead of a new one when present ({@code nsflags} still has CLONE_NEWPID:
     * not the host's): a pod's shared pid namespace, which mdocker-runtime joins.
     */
    public static InitProcess spawn(StdioPlan plan, long nsflags, Optional<Path> pidNamespace) {
        Redirect[] spawned = plan.spawned();
        InitProcess p = spawnRaw(new Redirect[] {raw(spawned[0]), raw(spawned[1]), raw(spawned[2])}, nsflags,
                pidNamespace.map(Path::toString));
        p.bind(plan);
        return p;
    }

    /**
     * As {@link #spawn(StdioPlan, long)} for a rootless container on a named network: its pid 1 is
     * cloned into the user namespace of {@code holder} (whose maps are written: {@link #idMapped()}
     * is true) instead of a new one ({@code nsflags} still has CLONE_NEWUSER), and the monitor moves
     * into the holder's network namespace after binding the published ports on the host's.
     */
    public static InitProcess spawnInHolder(StdioPlan plan, long nsflags, NetworkHolder holder) {
        Redirect[] spawned = plan.spawned();
        InitProcess p = spawnRaw(new Redirect[] {raw(spawned[0]), raw(spawned[1]), raw(spawned[2])}, nsflags,
                Optional.of("holder=" + holder.namespaces()));
        p.markIdMapped();
        p.bind(plan);
        return p;
    }

    /** As {@link #spawnUnbound(long)} for a pooled sandbox on a rootless named network (see {@link #spawnInHolder}). */
    public static InitProcess spawnUnboundInHolder(long nsflags, NetworkHolder holder) {
        InitProcess p = spawnRaw(new Redirect[] {Redirect.PIPE, Redirect.PIPE, Redirect.PIPE}, nsflags,
                Optional.of("holder=" + holder.namespaces()));
        p.markIdMapped();
        return p;
    }

    /**
     * Spawns a monitor with all three streams on pipes, left unbound: {@link #bind} decides what
     * they become when the container gets its command (the warm pool's sandboxes, whose stdio is
     * made before anyone asks for them). Until then {@link #finished()} waits for the monitor alone.
     */
    public static InitProcess spawnUnbound(long nsflags) {
        return spawnRaw(new Redirect[] {Redirect.PIPE, Redirect.PIPE, Redirect.PIPE}, nsflags);
    }

    /**
     * Spawns a joiner (exec into a running container): mdocker-init with the argument "join",
     * which clones nothing and waits for JOIN. Stdio as {@link #spawn}.
     */
    public static InitProcess spawnJoiner(StdioPlan plan) {
        return spawn(plan, JOINER);
    }

    /** The nsflags of a joiner: it has no pid 1 of its own (Spawner passes "join"). */
    static final long JOINER = 0;

    private static Redirect raw(Redirect r) {
        return r == Redirect.CAPTURE ? Redirect.PIPE : r;
    }

    /**
     * Spawns a monitor whose streams are INHERIT, DISCARD or PIPE; {@link #bind} decides later
     * what the JVM does with the pipes. This is what lets {@link MonitorPool} spawn monitors
     * before their containers are asked for.
     */
    static InitProcess spawnRaw(Redirect[] redirects, long nsflags) {
        return spawnRaw(redirects, nsflags, Optional.empty());
    }

    private static InitProcess spawnRaw(Redirect[] redirects, long nsflags, Optional<String> pidNamespace) {
        List<Integer> childEnds = new ArrayList<>();
        List<Integer> parentEnds = new ArrayList<>();
        int[] stdio = new int[3];
        int[] parentFd = {-1, -1, -1};
        int pid = -1;
        try {
            for (int i = 0; i < 3; i++) {
                switch (redirects[i]) {
                    case INHERIT -> stdio[i] = Spawner.INHERIT;
                    case DISCARD -> stdio[i] = Spawner.DEV_NULL;
                    case PIPE -> {
                        int[] p = Posix.pipe2(Linux.O_CLOEXEC());
                        int child = i == 0 ? p[0] : p[1];
                        int parent = i == 0 ? p[1] : p[0];
                        childEnds.add(child);
                        parentEnds.add(parent);
                        stdio[i] = child;
                        parentFd[i] = parent;
                    }
                    case CAPTURE -> throw new IllegalArgumentException("spawnRaw takes PIPE for captured streams");
                }
            }
            int[] sync = Posix.socketpair(Linux.AF_UNIX(), Linux.SOCK_SEQPACKET() | Linux.SOCK_CLOEXEC());
            parentEnds.add(sync[0]);
            childEnds.add(sync[1]);
            long mounts = HostMounts.generation(); // before the clone: pid 1 has at least these mounts
            pid = Spawner.spawn(stdio, sync[1], nsflags, pidNamespace);
            for (int fd : childEnds) {
                Posix.closeQuietly(fd);
            }
            childEnds.clear();
            int pidfd = Posix.pidfdOpen(pid);
            InitProcess process = new InitProcess(pid, nsflags, sync[0], pidfd, redirects.clone(), parentFd);
            EventLoop.get().watch(pidfd, process.new MonitorWatch());
            parentEnds.clear(); // the process owns them now, and closes them below on failure
            try {
                process.containerPid = nsflags == JOINER ? -1 : process.awaitContainerPid();
                process.mountGeneration = mounts;
            } catch (RuntimeException | Error e) {
                process.killMonitor(); // the reaper reaps it
                process.close();
                pid = -1;
                throw e;
            }
            return process;
        } catch (RuntimeException | Error e) {
            for (int fd : childEnds) {
                Posix.closeQuietly(fd);
            }
            for (int fd : parentEnds) {
                Posix.closeQuietly(fd);
            }
            if (pid > 0) {
                Posix.kill(pid, Linux.SIGKILL());
                Posix.waitpid(pid, 0);
            }
            throw e;
        }
    }

    /** How long a new monitor may take to clone the container's pid 1 (sync 1). */
    private static final long CLONE_TIMEOUT_MILLIS = 30_000;

    /** sync 1: PID, or ERROR (the clone failed) after which the monitor exits. */
    private int awaitContainerPid() {
        Protocol.Message m;
        try {
            m = receive(CLONE_TIMEOUT_MILLIS);
        } catch (ProtocolTimeoutException e) {
            throw new ContainerException("mdocker-init did not clone the container's pid 1 within "
                    + CLONE_TIMEOUT_MILLIS + " ms");
        }
        if (m == null) {
            throw new ContainerException("mdocker-init exited before it cloned the container's pid 1");
        }
        if (m.type() == Protocol.MSG_ERROR) {
            throw new ContainerException(m.text(2) + ": " + Errno.describe(m.int32(1)));
        }
        if (m.type() != Protocol.MSG_PID) {
            throw new ContainerException("mdocker-init sent message " + m.type() + " where PID was expected");
        }
        return m.int32(0);
    }

    /** Whether a monitor spawned with {@code spawnedWith} streams can serve {@code plan}. */
    static boolean canServe(Redirect[] spawnedWith, StdioPlan plan) {
        Redirect[] wanted = plan.spawned();
        for (int i = 0; i < 3; i++) {
            boolean ok = spawnedWith[i] == Redirect.PIPE ? wanted[i] != Redirect.INHERIT : spawnedWith[i] == wanted[i];
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * A parked sandbox's stdout and stderr pipes: the reaper watches them from now on, before
     * {@link #bind} says where their bytes go, so that the claim's bind only names the sink: adding
     * a descriptor to the reaper's epoll set wakes the reaper, which would then compete for the CPU
     * with the command being exec'd. Nothing is written before the claim; should anything be (a
     * failing parked process's message), it is kept for the sink, and an end of file before the bind
     * completes the drain at the bind. Such pipes are drained, never handed out raw: {@link #bind}
     * takes CAPTURE, DISCARD, or PIPE with a log for them.
     */
    public synchronized void watchOutputsEarly() {
        if (bound || closed) {
            return;
        }
        for (int i = 1; i < 3; i++) {
            if (parentFd[i] >= 0 && early[i] == null) {
                early[i] = new EarlyDrain();
                EventLoop.get().watch(parentFd[i], early[i]);
            }
        }
    }

    /**
     * Connects the JVM's pipe ends as the plan says: CAPTURE and DISCARD outputs are drained by
     * the reaper (into the sink, or dropped), PIPE streams are handed to the caller, a DISCARD
     * stdin pipe is closed so the container reads end-of-file at once. Once only.
     */
    public synchronized void bind(StdioPlan plan) {
        if (bound) {
            throw new IllegalStateException("the streams of mdocker-init " + pid + " are bound already");
        }
        if (!canServe(spawnedWith, plan)) {
            throw new IllegalStateException("a monitor spawned with " + List.of(spawnedWith) + " cannot serve " + plan);
        }
        this.plan = plan;
        List<CompletableFuture<?>> all = new ArrayList<>();
        if (plan.tty()) {
            ttyEnded = new CompletableFuture<>();
            all.add(ttyEnded);
            plan = new StdioPlan(Redirect.DISCARD, Redirect.DISCARD, null, Redirect.DISCARD, null); // the pipes' part
        }
        if (parentFd[0] >= 0) {
            if (plan.in() == Redirect.PIPE) {
                stdin = FdStreams.output(parentFd[0], "container stdin");
            } else {
                Posix.closeQuietly(parentFd[0]);
            }
        }
        Redirect[] outs = {null, plan.out(), plan.err()};
        OutputStream[] sinks = {null, plan.outSink(), plan.errSink()};
        for (int i = 1; i < 3; i++) {
            if (parentFd[i] < 0) {
                continue;
            }
            switch (outs[i]) {
                case PIPE -> {
                    if (plan.log() != null) {
                        all.add(drainToLog(parentFd[i], plan.log(), i, early[i]));
                        continue;
                    }
                    if (early[i] != null) {
                        throw new IllegalStateException("stream " + i + " of mdocker-init " + pid
                                + " is drained since it was parked: it takes a log, not a raw pipe");
                    }
                    InputStream in = FdStreams.input(parentFd[i], i == 1 ? "container stdout" : "container stderr");
                    if (i == 1) {
                        stdout = in;
                    } else {
                        stderr = in;
                    }
                }
                case CAPTURE -> all.add(drain(parentFd[i], sinks[i], early[i]));
                default -> all.add(drain(parentFd[i], OutputStream.nullOutputStream(), early[i]));
            }
        }
        log = this.plan.log();
        bound = true;
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).whenComplete((v, e) -> drained.complete(null));
    }

    /**
     * TTY: the master of the command's pseudo-terminal, as the plan says: written through
     * {@link #stdin()} (a copy of it), drained into the sink or the log, or read raw through
     * {@link #stdout()}; a copy is kept for {@link #resizeTty}. A second TTY, or one without a
     * terminal asked for, is closed.
     */
    private void attachTty(int master) {
        StdioPlan p = plan;
        synchronized (this) {
            if (p == null || !p.tty() || ttyControl >= 0 || closed || ttyEnded.isDone()) {
                Posix.closeQuietly(master);
                return;
            }
            try {
                ttyControl = Posix.dup(master, "terminal master");
                if (p.in() == Redirect.PIPE) {
                    stdin = FdStreams.output(Posix.dup(master, "terminal master"), "container terminal");
                }
            } catch (RuntimeException e) {
                Posix.closeQuietly(master);
                throw e;
            }
        }
        CompletableFuture<Void> ended = switch (p.out()) {
            case CAPTURE -> drain(master, p.outSink(), null);
            case PIPE -> {
                if (p.log() != null) {
                    yield drainToLog(master, p.log(), OutputLog.STDOUT, null);
                }
                stdout = FdStreams.input(master, "container terminal");
                yield CompletableFuture.completedFuture(null);
            }
            default -> drain(master, OutputStream.nullOutputStream(), null);
        };
        ended.whenComplete((v, e) -> ttyEnded.complete(null));
    }

    /** Sets the window size of the command's pseudo-terminal (its foreground process group gets SIGWINCH). */
    public synchronized void resizeTty(int rows, int columns) {
        if (ttyControl < 0) {
            throw new IllegalStateException(closed ? "closed" : "no terminal");
        }
        io.mdocker.internal.sys.Terminals.setWindowSize(ttyControl, rows, columns, "terminal master");
    }

    /** No TTY comes after this message (or the end): a plan's terminal that never came has ended. */
    private void noMoreTty() {
        CompletableFuture<Void> ended = ttyEnded;
        synchronized (this) {
            if (ended != null && ttyControl < 0) {
                ended.complete(null);
            }
        }
    }

    /**
     * Drains a PIPE output into the log on the reaper thread; the caller's stream
     * ({@link #stdout()}, {@link #stderr()}) is a {@link TeeInput} made on demand, which pauses
     * and resumes this descriptor as its reader falls behind and catches up.
     */
    private CompletableFuture<Void> drainToLog(int fd, OutputLog log, int stream, EarlyDrain pre) {
        flows[stream] = new TeeInput.Flow() {
            @Override
            public void pause() {
                EventLoop.get().pause(fd);
            }

            @Override
            public void resume() {
                EventLoop.get().resume(fd);
            }
        };
        return drain(fd, (scratch, n) -> log.append(stream, scratch, n), () -> log.end(stream), pre);
    }

    private static CompletableFuture<Void> drain(int fd, OutputStream sink, EarlyDrain pre) {
        return drain(fd, (scratch, n) -> {
            try {
                sink.write(scratch.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            } catch (IOException e) {
                // The sink refused: keep draining so the container never blocks, drop the bytes.
            }
        }, () -> { }, pre);
    }

    /** Where a drained pipe's bytes go: the first {@code n} bytes of the reaper's scratch buffer. */
    private interface Chunks {
        void accept(MemorySegment scratch, int n);
    }

    /**
     * Reads {@code fd} on the reaper thread into {@code sink} until its end of file (or an error),
     * then closes it, runs {@code atEnd} and completes; a pipe watched since the sandbox was parked
     * ({@code pre}, see {@link #watchOutputsEarly}) is only given its sink.
     */
    private static CompletableFuture<Void> drain(int fd, Chunks sink, Runnable atEnd, EarlyDrain pre) {
        return pre != null ? pre.bind(sink, atEnd) : drainNew(fd, sink, atEnd);
    }

    /**
     * A pipe the reaper drains since the sandbox was parked: what it reads before the bind is kept
     * (nothing, normally), and an end of file before the bind completes the drain at the bind.
     */
    private static final class EarlyDrain implements EventLoop.Handler {
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private final List<byte[]> before = new ArrayList<>(); // guarded by this
        private Chunks sink; // guarded by this
        private Runnable atEnd; // guarded by this
        private boolean ended; // guarded by this

        @Override
        public boolean ready(int fd, short revents, MemorySegment scratch) {
            int n = readOutput(fd, scratch);
            if (n == 0) {
                return false;
            }
            Chunks s;
            synchronized (this) {
                s = sink;
                if (s == null) {
                    before.add(scratch.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
                    return true;
                }
            }
            s.accept(scratch, n);
            return true;
        }

        @Override
        public void finished(int fd) {
            Posix.closeQuietly(fd);
            Runnable end;
            synchronized (this) {
                ended = true;
                end = atEnd;
            }
            if (end != null) {
                end.run();
                done.complete(null);
            }
        }

        CompletableFuture<Void> bind(Chunks chunks, Runnable end) {
            boolean over;
            synchronized (this) {
                for (byte[] b : before) {
                    chunks.accept(MemorySegment.ofArray(b), b.length);
                }
                before.clear();
                sink = chunks;
                atEnd = end;
                over = ended;
            }
            if (over) {
                end.run();
                done.complete(null);
            }
            return done;
        }
    }

    /** One read of container output into {@code scratch}: the bytes read, 0 at end of file or on an error (the drain ends). */
    private static int readOutput(int fd, MemorySegment scratch) {
        try {
            return Posix.read(fd, scratch, scratch.byteSize(), "container output");
        } catch (ErrnoException e) {
            return 0;
        }
    }

    private static CompletableFuture<Void> drainNew(int fd, Chunks sink, Runnable atEnd) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        EventLoop.get().watch(fd, new EventLoop.Handler() {
            @Override
            public boolean ready(int fd, short revents, MemorySegment scratch) {
                int n = readOutput(fd, scratch);
                if (n == 0) {
                    return false;
                }
                sink.accept(scratch, n);
                return true;
            }

            @Override
            public void finished(int fd) {
                Posix.closeQuietly(fd);
                atEnd.run();
                done.complete(null);
            }
        });
        return done;
    }

    /**
     * Reaps the monitor the moment its pidfd turns readable. The pidfd is closed in
     * {@code finished}, once the loop no longer watches it, and only then is the status
     * published: closing it in {@code ready} let a thread woken by the status open a descriptor
     * with the same number and fail to watch it ("descriptor N is already watched") before the
     * loop had dropped the old one. Until then the pidfd stays valid, and signalling a reaped
     * process through it is a harmless ESRCH.
     */
    private final class MonitorWatch implements EventLoop.Handler {
        private int status;
        private RuntimeException failure;

        @Override
        public boolean ready(int fd, short revents, MemorySegment scratch) {
            try {
                status = Posix.waitpid(pid, 0);
            } catch (RuntimeException e) {
                failure = e;
            }
            return false;
        }

        @Override
        public void finished(int fd) {
            synchronized (InitProcess.this) { // the lock killMonitor() takes
                Posix.closeQuietly(pidfd);
                pidfd = -1;
            }
            if (failure != null) {
                monitorStatus.completeExceptionally(failure);
            } else {
                monitorStatus.complete(status);
            }
        }
    }

    /** The monitor's host pid. */
    public int pid() {
        return pid;
    }

    /**
     * The host pid of the container's pid 1, cloned by the monitor as it started and waiting for
     * its CONFIG. It stays this process (a zombie at worst) until GO: the monitor reaps it only
     * after GO, so the number is never reused while the JVM puts it into cgroups.
     */
    public int containerPid() {
        return containerPid;
    }

    /** The {@link HostMounts} generation of the host's mount table when pid 1 was cloned (at the latest). */
    /** Whether pid 1's uid and gid maps are written (a pooled rootless monitor's, by the pool). */
    public boolean idMapped() {
        return idMapped;
    }

    void markIdMapped() {
        idMapped = true;
    }

    long mountGeneration() {
        return mountGeneration;
    }

    /** The CLONE_NEW* namespaces the container's pid 1 was cloned with. */
    public long nsflags() {
        return nsflags;
    }

    /** Completes when the monitor has been reaped and every drained stream has reached its end. */
    public CompletableFuture<Void> finished() {
        return finished;
    }

    /**
     * Completes when every drained stream (CAPTURE, DISCARD) has reached its end: the command and
     * whatever shares its stdio are done writing (the monitor and pid 1 keep no copy of it).
     */
    public CompletableFuture<Void> drained() {
        return drained;
    }

    /** Whether the monitor has exited (an idle pooled one can be killed from outside). */
    boolean exited() {
        return monitorStatus.isDone();
    }

    /** The monitor's raw wait status, once it has been reaped. */
    public CompletableFuture<Integer> monitorStatus() {
        return monitorStatus;
    }

    /** The stream for a PIPE stdin, or null. */
    public OutputStream stdin() {
        return stdin;
    }

    /** The stream for a PIPE stdout (read from the log when there is one), or null. */
    public InputStream stdout() {
        return logged(OutputLog.STDOUT, stdout);
    }

    /** The stream for a PIPE stderr (read from the log when there is one), or null. */
    public InputStream stderr() {
        return logged(OutputLog.STDERR, stderr);
    }

    private InputStream logged(int stream, InputStream raw) {
        OutputLog l = log;
        TeeInput.Flow flow;
        synchronized (this) {
            flow = flows[stream];
        }
        return l != null && flow != null ? l.stream(stream, flow) : raw;
    }

    /**
     * Sends one message; false when the monitor is gone or this is closed. Holds sendLock across
     * the write, so that {@link #close()} from another thread (a kill and a close at once) cannot
     * close the descriptor under it, or let its number be reused by then.
     */
    public boolean send(ByteBuffer message) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(message.remaining());
            buf.copyFrom(MemorySegment.ofBuffer(message));
            synchronized (sendLock) {
                synchronized (this) {
                    if (closed) {
                        return false;
                    }
                }
                Posix.write(syncFd, buf, buf.byteSize(), "sync socket");
            }
            return true;
        } catch (ErrnoException e) {
            // ECONNRESET: the monitor exited with messages of ours unread (see receiveLocked)
            if (e.errno() == Linux.EPIPE() || e.errno() == Linux.ECONNRESET()) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Receives the next message, waiting at most {@code timeoutMillis} (-1: forever). Returns
     * null at end of stream (the monitor has exited and everything it sent has been read).
     *
     * @throws ProtocolTimeoutException when nothing arrived in time
     */
    public Protocol.Message receive(long timeoutMillis) {
        synchronized (receiveLock) {
            return receiveLocked(timeoutMillis);
        }
    }

    private Protocol.Message receiveLocked(long timeoutMillis) {
        if (closed) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            awaitReadable(arena, syncFd, timeoutMillis);
            MemorySegment buf = arena.allocate(Protocol.MAX_REPLY);
            Posix.Received r;
            try {
                r = Posix.recvWithDescriptor(syncFd, buf, "sync socket");
            } catch (ErrnoException e) {
                if (e.errno() != Linux.ECONNRESET()) {
                    throw e;
                }
                // The monitor exited with messages of ours unread (a signal sent as the container
                // ended). The kernel reports that once, ahead of what the monitor sent before it
                // exited (its EXIT): read on.
                r = Posix.recvWithDescriptor(syncFd, buf, "sync socket");
            }
            if (r.length() == 0) {
                r.closeDescriptors();
                noMoreTty();
                return null;
            }
            Protocol.Message m;
            try {
                m = Protocol.parse(ByteBuffer.wrap(buf.asSlice(0, r.length()).toArray(ValueLayout.JAVA_BYTE)));
            } catch (RuntimeException e) {
                r.closeDescriptors();
                throw e;
            }
            if (m.type() == Protocol.MSG_PARKED && r.descriptor() >= 0) {
                synchronized (this) { // a parked sandbox's claim and exit channels: kept for claimDirect, awaitExitDirect
                    if (claimChannel >= 0 || closed) {
                        r.closeDescriptors();
                    } else {
                        claimChannel = r.descriptor();
                        Posix.closeQuietly(exitChannel); // PID's: pid 1 closed its end for PARKED's
                        exitChannel = r.second();
                    }
                }
                return m;
            }
            if (m.type() == Protocol.MSG_PID && r.descriptor() >= 0) {
                Posix.closeQuietly(r.second());
                synchronized (this) { // the exit channel: kept for awaitExitDirect
                    if (closed || exitChannel >= 0) {
                        Posix.closeQuietly(r.descriptor());
                    } else {
                        exitChannel = r.descriptor();
                    }
                }
                return m;
            }
            if (m.type() == Protocol.MSG_TTY && r.descriptor() >= 0) {
                Posix.closeQuietly(r.second());
                attachTty(r.descriptor());
                return receiveLocked(timeoutMillis); // TTY is this object's: the caller gets what follows
            }
            r.closeDescriptors(); // only TTY and PARKED carry them
            noMoreTty();
            return m;
        }
    }

    /** Whether PARKED brought a claim channel (the command's process waits on it) that is not used yet. */
    public synchronized boolean hasClaimChannel() {
        return claimChannel >= 0;
    }

    /**
     * CLAIM over the claim channel, straight to the parked sandbox's waiting command process (no
     * relay): sends {@code claim} and waits until that process has exec'd the command (the
     * channel's end of file, as exec closes its end: returns null) or says why it could not (its
     * ERROR, returned). The channel is closed either way.
     *
     * @throws ProtocolTimeoutException when neither came within {@code timeoutMillis}
     * @throws IllegalStateException    when there is no claim channel (see {@link #hasClaimChannel})
     */
    public Protocol.Message claimDirect(ByteBuffer claim, long timeoutMillis) {
        int fd;
        synchronized (this) {
            fd = claimChannel;
            claimChannel = -1;
        }
        if (fd < 0) {
            throw new IllegalStateException("mdocker-init " + pid + " has no claim channel");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(claim.remaining(), Protocol.MAX_REPLY));
            buf.asSlice(0, claim.remaining()).copyFrom(MemorySegment.ofBuffer(claim));
            try {
                Posix.write(fd, buf, claim.remaining(), "claim channel");
            } catch (ErrnoException e) {
                if (e.errno() != Linux.EPIPE() && e.errno() != Linux.ECONNRESET()) {
                    throw e;
                }
                // the waiting process is gone: its end of file below says so
            }
            awaitReadable(arena, fd, timeoutMillis);
            Posix.Received r;
            try {
                r = Posix.recvWithDescriptor(fd, buf, "claim channel");
            } catch (ErrnoException e) {
                if (e.errno() != Linux.ECONNRESET()) {
                    throw e;
                }
                return null; // gone with our CLAIM unread: the end of file of a process that exec'd or died
            }
            r.closeDescriptors();
            if (r.length() == 0) {
                return null; // exec closed its end
            }
            return Protocol.parse(ByteBuffer.wrap(buf.asSlice(0, r.length()).toArray(ValueLayout.JAVA_BYTE)));
        } finally {
            Posix.closeQuietly(fd);
        }
    }

    /**
     * The command's EXIT as pid 1 sends it on the exit channel (PID's, or a claimed sandbox's
     * PARKED's), without the monitor's relay, which still gets and relays its own copy: waits for
     * it as long as it takes. Empty when there is no exit channel (this is closed, or the channel
     * ended before) or it ends without an EXIT (pid 1 could not start the command, has no init, or
     * was killed): then the sync socket says what happened.
     */
    public java.util.OptionalInt awaitExitDirect() {
        return awaitExitDirect(-1);
    }

    /**
     * As {@link #awaitExitDirect()}, for at most {@code timeoutMillis} (-1: no limit). The channel
     * is closed once it has ended, so that a later call returns empty at once.
     *
     * @throws ProtocolTimeoutException when nothing came within {@code timeoutMillis}
     */
    public java.util.OptionalInt awaitExitDirect(long timeoutMillis) {
        synchronized (receiveLock) { // close() closes the channel under this lock, never during a wait
            int fd;
            synchronized (this) {
                fd = closed ? -1 : exitChannel;
            }
            if (fd < 0) {
                return java.util.OptionalInt.empty();
            }
            try (Arena arena = Arena.ofConfined()) {
                awaitReadable(arena, fd, timeoutMillis);
                MemorySegment buf = arena.allocate(Protocol.MAX_REPLY);
                Posix.Received r;
                try {
                    r = Posix.recvWithDescriptor(fd, buf, "exit channel");
                } catch (ErrnoException e) {
                    if (e.errno() != Linux.ECONNRESET()) {
                        throw e;
                    }
                    endExitChannel(fd);
                    return java.util.OptionalInt.empty();
                }
                r.closeDescriptors();
                if (r.length() == 0) {
                    endExitChannel(fd);
                    return java.util.OptionalInt.empty();
                }
                Protocol.Message m = Protocol.parse(ByteBuffer.wrap(buf.asSlice(0, r.length()).toArray(ValueLayout.JAVA_BYTE)));
                return m.type() == Protocol.MSG_EXIT ? java.util.OptionalInt.of(m.int32(0)) : java.util.OptionalInt.empty();
            }
        }
    }

    /**
     * Waits until {@code fd} can be read (a message, or its end) for at most {@code timeoutMillis}
     * (-1: no limit).
     *
     * @throws ProtocolTimeoutException when it could not within {@code timeoutMillis}
     */
    private static void awaitReadable(Arena arena, int fd, long timeoutMillis) {
        MemorySegment pfd = arena.allocate(pollfd.layout());
        pollfd.fd(pfd, fd);
        pollfd.events(pfd, (short) Linux.POLLIN());
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
        while (true) {
            long left = timeoutMillis < 0 ? -1 : Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
            if (Posix.poll(pfd, 1, (int) Math.min(left, Integer.MAX_VALUE)) > 0) {
                return;
            }
            if (timeoutMillis >= 0 && System.nanoTime() >= deadline) {
                throw new ProtocolTimeoutException(timeoutMillis);
            }
        }
    }

    /** Whether there is an exit channel to wait on (see {@link #awaitExitDirect()}). */
    public synchronized boolean hasExitChannel() {
        return exitChannel >= 0 && !closed;
    }

    /** Closes the exit channel of a container that will not wait on it (one descriptor fewer while it runs). */
    public void dropExitChannel() {
        synchronized (receiveLock) {
            synchronized (this) {
                Posix.closeQuietly(exitChannel);
                exitChannel = -1;
            }
        }
    }

    private synchronized void endExitChannel(int fd) {
        if (exitChannel == fd) {
            Posix.closeQuietly(fd);
            exitChannel = -1;
        }
    }

    /**
     * Once the init has exited: the exit code its EXIT message reported (128+n when signal n
     * killed the process it waited for), read from what it sent before its end, which is buffered
     * and ends with EOF; where none came (the init itself was killed, or this object was closed),
     * the code of the init's own wait status.
     */
    public int exitCodeAfterExit() {
        int code = -1;
        Protocol.Message m;
        try {
            while ((m = receive(0)) != null) {
                if (m.type() == Protocol.MSG_EXIT) {
                    code = m.int32(0);
                }
            }
        } catch (ProtocolTimeoutException e) {
            // Nothing to read, yet no EOF: the init has been reaped, so everything it sent is
            // already queued here, and a copy of its end is still open elsewhere (seen once in CI,
            // an exec without init on the host's network; the holder was not found): what was
            // read is all there is.
        }
        if (code < 0) {
            int status = monitorStatus.join();
            int sig = status & 0x7f;
            code = sig == 0 ? (status >> 8) & 0xff : 128 + sig;
        }
        return code;
    }

    /**
     * Ends what this init serves and the init: SIGNAL(SIGKILL) to it (pid 1, or an exec'd
     * process's group), then SIGKILL to the init itself should it not have exited within
     * {@code grace}; returns once the init has been reaped.
     */
    public void killAndReap(java.time.Duration grace) {
        if (!monitorStatus.isDone()) {
            send(Protocol.signal(Linux.SIGKILL()));
            try {
                monitorStatus.get(grace.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                killMonitor();
            } catch (java.util.concurrent.ExecutionException e) {
                return; // reaping failed: nothing left to wait for
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                killMonitor();
            }
        }
        monitorStatus.exceptionally(e -> -1).join();
    }

    /** SIGKILLs the monitor itself (which takes the container with it), if it is still running. */
    public synchronized void killMonitor() {
        if (pidfd >= 0) {
            Posix.pidfdSendSignal(pidfd, Linux.SIGKILL());
        }
    }

    /** Closes every descriptor still held: the sync socket, the terminal's master and any stream not yet closed. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (ttyEnded != null && ttyControl < 0) { // the master never came, and now never will
                ttyEnded.complete(null);
            }
            Posix.closeQuietly(ttyControl); // a drained master is closed by its drain at its end
            ttyControl = -1;
            Posix.closeQuietly(claimChannel); // a parked sandbox never claimed
            claimChannel = -1;
        }
        synchronized (receiveLock) { // a receive in progress finishes first
            synchronized (sendLock) { // and so does a send
                Posix.closeQuietly(syncFd);
            }
            synchronized (this) {
                Posix.closeQuietly(exitChannel);
                exitChannel = -1;
            }
        }
        synchronized (this) {
            if (!bound) { // never bound: the pipe ends are still ours, and nothing will drain them
                for (int i = 0; i < 3; i++) {
                    if (early[i] == null) { // an early drain's pipe is the reaper's: it closes it at its end
                        Posix.closeQuietly(parentFd[i]);
                    }
                }
                drained.complete(null);
            }
        }
        for (AutoCloseable stream : new AutoCloseable[] {stdin, stdout, stderr}) { // the raw ones: a tee holds no descriptor
            if (stream != null) {
                try {
                    stream.close();
                } catch (Exception ignored) {
                    // FdStreams close quietly
                }
            }
        }
    }

    /** Nothing arrived from mdocker-init within the deadline. */
    public static final class ProtocolTimeoutException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ProtocolTimeoutException(long millis) {
            super("mdocker-init did not answer within " + millis + " ms");
        }
    }
}
