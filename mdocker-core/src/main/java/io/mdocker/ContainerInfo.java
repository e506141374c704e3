package io.mdocker;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * One container on a runtime's state roots, as {@link ContainerRuntime#list()} saw it: started by
 * any JVM on the same roots, detached or not.
 *
 * @param id the full id (64 hex digits)
 * @param detached whether it outlives the JVM that started it
 * @param state running, paused, or exited (detached containers stay listed until removed)
 * @param exitCode the exit code of an exited detached container (128+n when signal n killed it);
 *                 empty while running and when it was not recorded
 * @param pid the host pid of its pid 1 while it runs, else -1
 * @param created when it was started
 * @param command the command, its words joined by spaces
 * @param ports its published ports as bound, in the order given
 * @param network its network mode: none, host, bridge or veth (empty when not recorded)
 * @param ipAddress its IPv4 address on its bridge or veth pair, while it has one
 * @param name its name, when it was given one
 * @param labels its labels ({@link Container.Builder#label}), sorted by key; empty for none
 * @param health what its healthcheck's runs found, when it has a check ({@code starting} with no
 *               run while no process runs it: {@link ContainerHandle#runHealthchecks()})
 * @param image the image it was started from, as the reference was given ({@code postgres:15}),
 *              or the root filesystem's directory when it was started from one
 */
public record ContainerInfo(String id, boolean detached, State state, OptionalInt exitCode, int pid, Instant created,
                            String command, List<PortMapping> ports, String network, Optional<String> ipAddress,
                            Optional<String> name, Map<String, String> labels, Optional<HealthStatus> health,
                            Optional<String> image) {
    /** Copies the ports and labels. */
    public ContainerInfo {
        ports = List.copyOf(ports);
        java.util.Objects.requireNonNull(health, "health");
        labels = Collections.unmodifiableMap(new TreeMap<>(labels));
        java.util.Objects.requireNonNull(image, "image");
    }

    /** A container whose image is not known ({@link #image()} empty). */
    public ContainerInfo(String id, boolean detached, State state, OptionalInt exitCode, int pid, Instant created,
                         String command, List<PortMapping> ports, String network, Optional<String> ipAddress,
                         Optional<String> name, Map<String, String> labels, Optional<HealthStatus> health) {
        this(id, detached, state, exitCode, pid, created, command, ports, network, ipAddress, name, labels, health,
                Optional.empty());
    }

    /** A container without a healthcheck whose image is not known ({@link #health()} and {@link #image()} empty). */
    public ContainerInfo(String id, boolean detached, State state, OptionalInt exitCode, int pid, Instant created,
                         String command, List<PortMapping> ports, String network, Optional<String> ipAddress,
                         Optional<String> name, Map<String, String> labels) {
        this(id, detached, state, exitCode, pid, created, command, ports, network, ipAddress, name, labels, Optional.empty(),
                Optional.empty());
    }

    /** Whether the container runs: paused ones ({@link RunningContainer#pause()}) run, frozen. */
    public enum State { RUNNING, PAUSED, EXITED }

    /** Whether it runs, paused or not. */
    public boolean running() {
        return state != State.EXITED;
    }

    /** The first 12 hex digits of the id, as Docker shows it. */
    public String shortId() {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
