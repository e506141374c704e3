package io.mdocker;

import io.mdocker.internal.run.ContainerStart;
import io.mdocker.internal.run.SandboxPool;
import io.mdocker.internal.run.Session;
import io.mdocker.internal.run.Spec;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A warm pool: sandboxes of one {@link Container} definition set up ahead of need, each parked
 * just before its command. A parked sandbox has its namespaces, its overlay root with a fresh
 * writable layer, its cgroup made and joined with the limits in force, its network attached, the
 * seccomp program compiled (installed just before the command's exec) and its stdio pipes made;
 * {@link #run} and {@link #start} claim one and send it only the command and the environment, so a
 * container starts in well under a millisecond (figures in docs/bench/benchmark.md).
 *
 * <pre>{@code
 * try (ContainerPool pool = runtime.pool(definition, 4)) {
 *     ExecResult r = pool.run("/bin/echo", "hi");                // a sandbox of the pool
 *     ExecResult s = definition.run("/bin/echo", "hi");          // a matching definition claims too
 * }
 * }</pre>
 *
 * <p><b>One container per sandbox.</b> A sandbox serves exactly one container and is removed with
 * it, as any container is: the next one gets a sandbox of its own (new namespaces, writable layer,
 * cgroup and network address), so nothing one container did is visible to the next.
 *
 * <p><b>Matching definitions.</b> Besides {@link #run} and {@link #start}, the definition's own
 * {@link Container#run run()} and {@link Container#start start()}, and those of every definition
 * that <i>matches</i> it, claim from the pool while it is open. A definition matches when it equals
 * the pool's in everything but its command, its environment ({@link Container.Builder#env}; sent
 * with the claim, replacing the definition's), its working directory ({@link Container.Builder#workdir};
 * entered, and created when missing, as the claim comes), its stdio choices other than inherited
 * streams, and its start timeout. Any other difference (a limit, a layer, the hostname, a bind,
 * a security setting, a label) is not matched and starts cold. {@link Container#startDetached
 * startDetached()} never claims.
 *
 * <p><b>Refill.</b> The pool starts filling as it is made. After each claim, one background thread
 * of the pool (at most) sets up replacements one at a time until the pool is full, waits a second
 * for the next claim, then ends: a full pool that is not used runs no thread and costs only its parked sandboxes' two waiting
 * helper processes each. A claim that finds the pool empty starts its container cold instead.
 *
 * <p>Not for definitions with a {@link Container.Builder#name name} (one container only may have
 * it), a {@link Container.Builder#tty tty}, published ports or inherited streams: refused by
 * {@link ContainerRuntime#pool}.
 *
 * <p>Thread-safe. {@link #close()} removes every parked sandbox (processes, mounts, cgroups,
 * network, state); containers already claimed belong to their callers and are closed by them.
 */
public final class ContainerPool implements AutoCloseable {
    private final Container definition;
    private final Spec spec;
    private final SandboxPool pool;

    private final Runnable onClose;

    ContainerPool(Container definition, int size, Runnable onClose) {
        this.definition = Objects.requireNonNull(definition, "definition");
        if (size < 1 || size > SandboxPool.MAX_SIZE) {
            throw new IllegalArgumentException("invalid pool size " + size + ": expected 1 to " + SandboxPool.MAX_SIZE
                    + " sandboxes");
        }
        this.spec = definition.spec();
        this.pool = SandboxPool.create(spec, size);
        this.onClose = onClose;
    }

    /** The largest pool: 64 sandboxes. */
    public static final int MAX_SIZE = SandboxPool.MAX_SIZE;

    /** The definition this pool's sandboxes are made of. */
    public Container definition() {
        return definition;
    }

    /** The number of sandboxes the pool keeps parked. */
    public int size() {
        return pool.size();
    }

    /** The number of sandboxes parked now, ready to be claimed. */
    public int ready() {
        return pool.ready();
    }

    /**
     * The number of containers started in this pool's sandboxes so far (by {@link #run}, {@link #start}
     * and matching definitions).
     */
    public long claims() {
        return pool.claims();
    }

    /** The number of starts that found no sandbox parked and started their container cold instead. */
    public long misses() {
        return pool.misses();
    }

    /**
     * Waits until {@link #size()} sandboxes are parked (as after the pool was made, or after claims).
     *
     * @return true when the pool is full; false when {@code timeout} passed first, the pool was
     *         closed, or setting up a sandbox failed (the next claim starts cold and reports why)
     */
    public boolean awaitFull(Duration timeout) {
        return pool.awaitFull(Objects.requireNonNull(timeout, "timeout"));
    }

    /**
     * Runs {@code command} (or the definition's default command) in a parked sandbox, or cold when
     * none is ready, to its end, as {@link Container#run} does.
     *
     * @throws IllegalArgumentException for an empty command
     * @throws ContainerException       when the command cannot be started
     */
    public ExecResult run(String... command) {
        List<String> cmd = definition.commandOrDefault(command);
        Session s = pool.claim(spec, cmd, ContainerStart.Mode.RUN)
                .orElseGet(() -> ContainerStart.start(spec, cmd, ContainerStart.Mode.RUN));
        try {
            Session.RunResult r = s.awaitResult();
            return new ExecResult(r.exitCode(), r.stdout(), r.stderr(), r.elapsed(), r.oomKilled());
        } finally {
            s.closeAfterRun();
        }
    }

    /**
     * Starts {@code command} (or the definition's default command) in a parked sandbox, or cold
     * when none is ready, and returns its handle once it runs, as {@link Container#start} does.
     *
     * @throws IllegalArgumentException for an empty command
     * @throws ContainerException       when the command cannot be started
     */
    public RunningContainer start(String... command) {
        List<String> cmd = definition.commandOrDefault(command);
        Session s = pool.claim(spec, cmd, ContainerStart.Mode.START)
                .orElseGet(() -> ContainerStart.start(spec, cmd, ContainerStart.Mode.START));
        return new RunningContainer(s, definition.healthcheck());
    }

    /**
     * Stops matching definitions from claiming, waits for a sandbox being set up, and removes every
     * parked sandbox. Idempotent.
     */
    @Override
    public void close() {
        try {
            pool.close();
        } finally {
            onClose.run();
        }
    }

    @Override
    public String toString() {
        return "ContainerPool[" + pool.ready() + "/" + pool.size() + " parked]";
    }
}
