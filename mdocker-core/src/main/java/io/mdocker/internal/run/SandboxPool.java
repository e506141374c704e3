package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.internal.process.InitProcess;
import io.mdocker.internal.process.InitProcess.Redirect;
import io.mdocker.internal.process.OutputLog;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.state.ExecRecord;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A warm pool: up to {@code size} sandboxes of one definition, each a container set up to the
 * moment before its command ({@link ContainerStart#park}: namespaces, the overlay with a fresh
 * writable layer, cgroups made and joined with their limits, the network, the seccomp program
 * compiled, stdio pipes made; pid 1 past GO, waiting for CLAIM). {@link #claim} takes one and sends
 * it only the command, the environment and, when it differs, the working directory; the sandbox
 * then serves that one container and is removed with it like any other. A sandbox is never
 * handed out twice.
 *
 * <p>Matching: a definition is served by a pool made from a definition equal to it in everything
 * but the environment, the working directory, the standard streams' choices (not inherited ones)
 * and the start timeout ({@link #key}); the command is never part of it.
 *
 * <p>Refill: after a claim (a run()'s once its output has ended, so as not to compete with it for
 * the CPU), one thread of this pool (at most) sets up replacements one at a time
 * until the pool is full again, waits {@link #LINGER_NANOS} for the next claim to wake it (a
 * claim in a burst then costs a wake-up, not a thread's start), then ends: a full, idle pool runs no thread and no process but
 * its sandboxes' waiting helpers. A failed refill stops until the next claim (which falls back to
 * a cold start while the pool is empty, and reports the failure the same way a cold start would).
 *
 * <p>Thread-safe. {@link #close()} removes every sandbox still parked (its processes, mounts,
 * cgroups, network, state); containers already claimed belong to their callers.
 */
public final class SandboxPool implements AutoCloseable {
    /** The largest pool. */
    public static final int MAX_SIZE = 64;
    /** Pools whose definitions ContainerStart.start may claim from. */
    private static final List<SandboxPool> REGISTERED = new CopyOnWriteArrayList<>();
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** How long the refill thread of a full pool waits for the next claim before it ends. */
    private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final InitProcess.StdioPlan DISCARD_ALL =
            new InitProcess.StdioPlan(Redirect.DISCARD, Redirect.DISCARD, null, Redirect.DISCARD, null);

    private final Spec definition;
    private final Spec key;
    private final int size;
    private final ConcurrentLinkedDeque<Session> parked = new ConcurrentLinkedDeque<>();
    private final Object lock = new Object();
    private Thread refiller; // guarded by lock
    /** refill() was called while the refill thread ran: a lingering one goes on; guarded by lock. */
    private boolean refillRequested;
    /** Claims whose refill is yet to begin (a run()'s begins at the end of its output); guarded by lock. */
    private int refillsOwed;
    private boolean closed; // guarded by lock
    private volatile RuntimeException lastFailure;
    private final AtomicLong claims = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    private SandboxPool(Spec definition, int size) {
        this.definition = definition;
        this.key = key(definition);
        this.size = size;
    }

    /**
     * A pool of {@code size} sandboxes of {@code definition}, registered for {@link ContainerStart#start}
     * of matching definitions; it starts filling at once, in the background.
     *
     * @throws IllegalArgumentException for a size outside 1 to {@link #MAX_SIZE}, or a definition a
     *                                  sandbox cannot serve (a name, a tty, published ports, inherited streams)
     */
    public static SandboxPool create(Spec definition, int size) {
        if (size < 1 || size > MAX_SIZE) {
            throw new IllegalArgumentException("invalid pool size " + size + ": expected 1 to " + MAX_SIZE + " sandboxes");
        }
        unsuitable(definition).ifPresent(why -> {
            throw new IllegalArgumentException("a pool cannot serve this definition: " + why);
        });
        ContainerStart.requireRoot();
        SandboxPool pool = new SandboxPool(definition, size);
        REGISTERED.add(pool);
        pool.refill();
        return pool;
    }

    /** Why a sandbox cannot serve {@code spec}, or empty when it can. */
    static Optional<String> unsuitable(Spec spec) {
        if (spec.name().isPresent()) {
            return Optional.of("it has the name " + spec.name().get() + ", which only one container may have (drop name())");
        }
        if (spec.tty().isPresent()) {
            return Optional.of("it has a tty (drop tty())");
        }
        if (spec.network().kind() == io.mdocker.internal.net.ContainerNetwork.Kind.CONTAINER) {
            return Optional.of("it shares another container's network, which may end before a sandbox is claimed");
        }
        if (!spec.network().ports().isEmpty()) {
            return Optional.of("it publishes ports, which each sandbox would hold while it waits (drop publish())");
        }
        for (StreamChoice c : List.of(spec.stdin(), spec.stdout(), spec.stderr())) {
            if (c.kind() == StreamChoice.Kind.INHERIT) {
                return Optional.of("it inherits a stream of this JVM (a sandbox's stdio is made in advance as pipes)");
            }
        }
        return Optional.empty();
    }

    /**
     * What two definitions a sandbox serves alike have in common: {@code spec} without its
     * environment, working directory, stream choices and start timeout.
     */
    static Spec key(Spec spec) {
        StreamChoice pipe = new StreamChoice(StreamChoice.Kind.PIPE, null);
        return new Spec(spec.layers(), spec.name(), spec.hostname(), Map.of(), "/", spec.uid(), spec.gid(), spec.binds(),
                spec.copies(), pipe, pipe, pipe, spec.tty(), spec.init(), Duration.ZERO, spec.store(), spec.security(),
                spec.cgroups(), spec.network(), spec.networkText(), spec.labels(), spec.storageBytes(), spec.userns(),
                spec.stopSignal(), spec.healthcheck(), spec.image());
    }

    /** Whether this pool serves {@code spec} (see the class comment). */
    public boolean serves(Spec spec) {
        return unsuitable(spec).isEmpty() && key.equals(key(spec));
    }

    /**
     * ContainerStart.start's look-up: a claimed sandbox of a registered pool that serves
     * {@code spec}, or empty (no such pool, or none has a sandbox ready).
     */
    static Optional<Session> claimMatching(Spec spec, List<String> command, ContainerStart.Mode mode) {
        if (REGISTERED.isEmpty() || mode == ContainerStart.Mode.DETACHED || mode == ContainerStart.Mode.PARK) {
            return Optional.empty();
        }
        for (SandboxPool pool : REGISTERED) {
            if (pool.serves(spec)) {
                Optional<Session> s = pool.claim(spec, command, mode);
                if (s.isPresent()) {
                    return s;
                }
            }
        }
        return Optional.empty();
    }

    /** The definition the pool's sandboxes are made of. */
    public Spec definition() {
        return definition;
    }

    /** The number of sandboxes the pool keeps. */
    public int size() {
        return size;
    }

    /** The number of sandboxes parked now. */
    public int ready() {
        return parked.size();
    }

    /** Why the last refill failed, if it did since the last successful one. */
    public Optional<RuntimeException> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    /** Whether a refill thread runs now (for tests: none once the pool has been full for a second). */
    public boolean refilling() {
        synchronized (lock) {
            return refiller != null;
        }
    }

    /**
     * Waits until {@link #size} sandboxes are parked; false when {@code timeout} passed first, the
     * pool was closed, or a refill failed (see {@link #lastFailure}).
     */
    public boolean awaitFull(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        if (!awaitOwedRefills(deadline)) {
            return false;
        }
        while (true) {
            Thread t;
            synchronized (lock) {
                if (closed) {
                    return false;
                }
                if (parked.size() >= size) {
                    return true;
                }
                t = refiller;
                if (t == null) {
                    return false; // not full and nothing refilling: a refill failed
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                t.join(Duration.ofNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    /** Until the refills owed have begun: false when interrupted or {@code deadline} passed. */
    private boolean awaitOwedRefills(long deadline) {
        synchronized (lock) {
            while (refillsOwed > 0 && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Claims a sandbox for {@code command} of {@code spec} (a definition this pool {@link #serves})
     * and returns once the command runs (STARTED), or empty when none is parked now. Either way a
     * refill follows in the background.
     *
     * @throws ContainerException when the sandbox fails to start the command (it is removed first)
     */
    public Optional<Session> claim(Spec spec, List<String> command, ContainerStart.Mode mode) {
        if (mode == ContainerStart.Mode.DETACHED || mode == ContainerStart.Mode.PARK) {
            throw new IllegalArgumentException("a pool's sandbox serves run() and start(), not " + mode);
        }
        Session s;
        while ((s = parked.pollFirst()) != null) {
            if (s.isRunning()) {
                break;
            }
            release(s); // killed while it waited
        }
        if (s == null) {
            misses.incrementAndGet();
            refill();
            return Optional.empty();
        }
        claims.incrementAndGet();
        synchronized (lock) {
            refillsOwed++;
        }
        Session started;
        try {
            started = start(s, spec, command, mode);
        } catch (RuntimeException | Error e) {
            refillOwed();
            throw e;
        }
        started.recordCommandLater();
        // The refill's setup must not compete with the claimed container for the CPU: it begins
        // once a run()'s output has ended, or once a start()'s command runs.
        if (mode == ContainerStart.Mode.RUN) {
            started.init().drained().whenComplete((v, e) -> refillOwed());
        } else {
            refillOwed();
        }
        return Optional.of(started);
    }

    /** The refill a claim owes: begins now. */
    private void refillOwed() {
        synchronized (lock) {
            refillsOwed--;
            refill();
            lock.notifyAll();
        }
    }

    /** The number of sandboxes claimed so far. */
    public long claims() {
        return claims.get();
    }

    /** The number of claims that found no sandbox parked (and started cold). */
    public long misses() {
        return misses.get();
    }

    /** CLAIM: binds the sandbox's stdio as {@code mode} wants it, sends the command and waits for STARTED. */
    private Session start(Session sandbox, Spec spec, List<String> command, ContainerStart.Mode mode) {
        long t0 = System.nanoTime();
        boolean forRun = mode == ContainerStart.Mode.RUN;
        StreamChoice in = spec.stdin();
        StreamChoice out = spec.stdout();
        StreamChoice err = spec.stderr();
        ByteArrayOutputStream outBytes = forRun && out.kind() == StreamChoice.Kind.PIPE ? new ByteArrayOutputStream() : null;
        ByteArrayOutputStream errBytes = forRun && err.kind() == StreamChoice.Kind.PIPE ? new ByteArrayOutputStream() : null;
        OutputLog log = mode == ContainerStart.Mode.START && (out.kind() == StreamChoice.Kind.PIPE
                || err.kind() == StreamChoice.Kind.PIPE) ? new OutputLog(ContainerStart.LOG_CAPACITY) : null;
        InitProcess.StdioPlan plan = new InitProcess.StdioPlan(in.stdinRedirect(forRun), out.redirect(outBytes),
                out.sinkOr(outBytes), err.redirect(errBytes), err.sinkOr(errBytes), log, false);
        Map<String, String> env = ContainerStart.environment(spec, sandbox.shortId());
        ExecRecord basis = sandbox.execRecordUnchecked();
        Session s = Session.claimed(sandbox, command, t0, outBytes, errBytes, log, new ExecRecord(basis.pid(),
                basis.pidStartTime(), basis.cgroups(), basis.uid(), basis.gid(), spec.workdir(), env, basis.identity()));
        try {
            Protocol.ConfigWriter claim = new Protocol.ConfigWriter();
            for (String arg : command) {
                claim.string(Protocol.T_ARG, arg);
            }
            for (Map.Entry<String, String> e : env.entrySet()) {
                claim.string(Protocol.T_ENV, e.getKey() + "=" + e.getValue());
            }
            if (!spec.workdir().equals(definition.workdir())) {
                claim.string(Protocol.T_CWD, spec.workdir());
            }
            InitProcess init = s.init();
            // The reaper starts draining the output now, while the command is exec'd: by its end the
            // reaper waits on the pipes already, as for a container started cold.
            init.bind(plan);
            if (init.hasClaimChannel()) { // the command's process waits: straight to it, no relay
                Protocol.Message error;
                try {
                    error = init.claimDirect(claim.message(Protocol.MSG_CLAIM), spec.startTimeout().toMillis());
                } catch (InitProcess.ProtocolTimeoutException e) {
                    throw new ContainerException("container " + s.shortId() + " did not start its command within "
                            + spec.startTimeout().toMillis() + " ms");
                }
                if (error != null) {
                    throw error.type() == Protocol.MSG_ERROR ? SetupErrors.of(error.int32(0), error.int32(1), error.text(2))
                            : new ContainerException("mdocker-init sent message " + error.type() + " on the claim channel");
                }
            } else { // init(false): pid 1 itself waits, through its monitor
                ContainerStart.send(s, claim.message(Protocol.MSG_CLAIM));
                ContainerStart.expect(s, spec.startTimeout().toMillis(), Protocol.MSG_STARTED);
            }
            return s;
        } catch (RuntimeException | Error e) {
            s.close();
            if (e instanceof ContainerException || e instanceof IllegalArgumentException) {
                throw e;
            }
            throw SetupErrors.wrap("starting container " + s.shortId() + " in a pooled sandbox", e);
        }
    }

    /**
     * Starts the refill thread unless the pool is full or closed; wakes it when it runs (it may be
     * lingering in a full pool).
     */
    private void refill() {
        synchronized (lock) {
            if (closed || parked.size() >= size) {
                return;
            }
            if (refiller != null) {
                refillRequested = true;
                lock.notifyAll();
                return;
            }
            refiller = Thread.ofPlatform().daemon().name("mdocker-pool-" + THREADS.incrementAndGet())
                    .unstarted(this::refillLoop);
            refiller.start();
        }
    }

    private void refillLoop() {
        while (true) {
            synchronized (lock) {
                if (!closed && parked.size() >= size) {
                    lock.notifyAll(); // awaitFull returns
                    refillRequested = false;
                    awaitClaim();
                    if (!refillRequested) { // nobody claimed (or closed): end
                        refiller = null;
                        lock.notifyAll();
                        return;
                    }
                    refillRequested = false;
                }
                if (closed || parked.size() >= size) {
                    refiller = null;
                    lock.notifyAll();
                    return;
                }
            }
            Session s;
            try {
                s = ContainerStart.park(definition);
            } catch (RuntimeException | Error e) {
                lastFailure = e instanceof RuntimeException r ? r : new ContainerException(e.toString(), e);
                System.getLogger(SandboxPool.class.getName()).log(System.Logger.Level.WARNING,
                        "warm pool: setting up a sandbox failed: " + e.getMessage());
                synchronized (lock) {
                    refiller = null;
                    lock.notifyAll();
                }
                return;
            }
            lastFailure = null;
            s.init().watchOutputsEarly(); // so that the claim's bind does not wake the reaper
            boolean keep;
            synchronized (lock) {
                keep = !closed;
                if (keep) {
                    parked.addLast(s);
                }
            }
            if (!keep) {
                release(s);
            }
        }
    }

    /**
     * A full pool's refill thread waits up to {@link #LINGER_NANOS} for a claim's refill (the call
     * of {@link #refill}, which a run() makes only once its output has ended) before it ends, so
     * that claims in a burst wake it rather than each starting a thread on the claimer's path.
     * Lock held.
     */
    private void awaitClaim() {
        long deadline = System.nanoTime() + LINGER_NANOS;
        while (!closed && !refillRequested) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(lock, left);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Removes a parked sandbox: its streams are drained to their end, then everything made for it goes. */
    private static void release(Session s) {
        try {
            s.init().bind(DISCARD_ALL);
        } catch (IllegalStateException e) {
            // bound already
        }
        s.close();
    }

    /**
     * Unregisters the pool, waits for a refill in progress, and removes every parked sandbox.
     * Idempotent. Containers claimed from it are not touched.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            t = refiller;
            lock.notifyAll(); // awaitFull returns
        }
        REGISTERED.remove(this);
        if (t != null && t != Thread.currentThread()) {
            boolean interrupted = false;
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        List<Session> left = new ArrayList<>();
        Session s;
        while ((s = parked.pollFirst()) != null) {
            left.add(s);
        }
        RuntimeException failure = null;
        for (Session p : left) {
            try {
                release(p);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
