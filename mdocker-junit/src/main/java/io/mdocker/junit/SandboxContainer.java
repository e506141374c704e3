package io.mdocker.junit;

import io.mdocker.Container;
import io.mdocker.RunningContainer;
import io.mdocker.WaitStrategy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A container for a test: an immutable {@link Container} definition (its command included), the
 * wait strategies that say when it is ready, and, once started, the {@link RunningContainer}.
 * As Testcontainers' {@code GenericContainer}, but the definition never changes: the
 * {@code waitingFor} methods return new objects.
 *
 * <p>{@link #start()} starts the container and waits for every strategy in turn, closing it
 * again when one fails; {@link #close()} stops and removes it. The extension does both; call
 * them yourself outside it. Thread-safe; a started sandbox cannot be started again.
 */
public final class SandboxContainer implements AutoCloseable {
    private final Container definition;
    private final List<WaitStrategy> waits;
    private RunningContainer running; // guarded by this
    private Duration startToReady; // guarded by this

    private SandboxContainer(Container definition, List<WaitStrategy> waits) {
        this.definition = Objects.requireNonNull(definition, "definition");
        this.waits = List.copyOf(waits);
    }

    /** A sandbox from a container definition; its command is the definition's (or the image default). */
    public static SandboxContainer of(Container definition) {
        return new SandboxContainer(definition, List.of());
    }

    /**
     * A sandbox of the image {@code image} (such as {@code "postgres:15"} or a name given to an
     * imported image) running the image's own command: the definition
     * {@code Container.builder().image(image).build()}, on the default runtime's image store, pulled
     * here when the store lacks it ({@link io.mdocker.PullPolicy#MISSING}). For a command, limits,
     * ports, another pull policy or another runtime, build the definition and use {@link #of(Container)}.
     *
     * @throws IllegalArgumentException when {@code image} is not an image reference, or is neither
     *                                  stored nor pullable (one line naming it)
     */
    public static SandboxContainer of(String image) {
        return of(Container.builder().image(Objects.requireNonNull(image, "image")).build());
    }

    /** The same definition with one more wait strategy (applied after those already given). */
    public SandboxContainer waitingFor(WaitStrategy strategy) {
        List<WaitStrategy> more = new ArrayList<>(waits);
        more.add(Objects.requireNonNull(strategy, "strategy"));
        return new SandboxContainer(definition, more);
    }

    /** A new, unstarted sandbox with the same definition and waits. */
    public SandboxContainer copy() {
        return new SandboxContainer(definition, waits);
    }

    /** The container definition. */
    public Container definition() {
        return definition;
    }

    /** The wait strategies, in the order they are applied. */
    public List<WaitStrategy> waits() {
        return waits;
    }

    /**
     * Starts the container and waits until every strategy finds it ready; on a failure the
     * container is closed and the error (naming what was awaited, with its last output) thrown.
     *
     * @throws IllegalStateException when it was started before
     */
    public synchronized RunningContainer start() {
        if (running != null) {
            throw new IllegalStateException("sandbox " + running.shortId() + " was started already");
        }
        long t0 = System.nanoTime();
        RunningContainer c = definition.start();
        running = c;
        try {
            for (WaitStrategy w : waits) {
                c.await(w);
            }
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        startToReady = Duration.ofNanos(System.nanoTime() - t0);
        return c;
    }

    /** Whether {@link #start()} has been called (the container may have exited or been closed since). */
    public synchronized boolean isStarted() {
        return running != null;
    }

    /** The running container. */
    public synchronized RunningContainer container() {
        if (running == null) {
            throw new IllegalStateException("this sandbox has not been started: annotate its field with @Sandbox in a "
                    + "@MdockerTest class, or call start()");
        }
        return running;
    }

    /** The started container, if there is one. */
    synchronized Optional<RunningContainer> started() {
        return Optional.ofNullable(running);
    }

    /** How long {@link #start()} took from its call until every wait strategy was satisfied. */
    public synchronized Duration startToReady() {
        if (startToReady == null) {
            throw new IllegalStateException("this sandbox has not become ready");
        }
        return startToReady;
    }

    /** The host address at which published ports are reached (Testcontainers' {@code getHost()}). */
    public String host() {
        return container().host();
    }

    /** The host port published for {@code containerPort} (Testcontainers' {@code getMappedPort()}). */
    public int mappedPort(int containerPort) {
        return container().mappedPort(containerPort);
    }

    /** The container's recent output ({@link RunningContainer#logs()}). */
    public String logs() {
        return container().logs();
    }

    /** Closes the container if it was started: stops it and removes everything made for it. Idempotent. */
    @Override
    public void close() {
        RunningContainer c;
        synchronized (this) {
            c = running;
        }
        if (c != null) {
            c.close();
        }
    }

    @Override
    public synchronized String toString() {
        return "SandboxContainer[" + (running != null ? running : definition.command().map(String::valueOf).orElse("(no command)")) + "]";
    }
}
