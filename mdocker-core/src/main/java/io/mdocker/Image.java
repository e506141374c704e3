package io.mdocker;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image in the store ({@link ImageStore}): its ID, names, and the config a container of it
 * starts with.
 *
 * @param id           the ID: {@code sha256:} and the hex digest of its config
 * @param names        its names, canonical ({@code docker.io/library/alpine:latest}); empty for none
 * @param created      when it was made, when the image says
 * @param size         bytes of its layers as stored (compressed)
 * @param layers       how many layers it has
 * @param entrypoint   Entrypoint
 * @param cmd          Cmd
 * @param env          Env, {@code KEY=VALUE}
 * @param workingDir   WorkingDir; "" for none
 * @param user         User; "" for none (root)
 * @param exposedPorts ExposedPorts, {@code 8080/tcp}
 * @param stopSignal   StopSignal; "" for none
 * @param labels       Labels
 * @param healthcheck  Healthcheck, Docker's defaults filled in where it gives none; empty for none
 */
public record Image(String id, List<String> names, Optional<Instant> created, long size, int layers,
                    List<String> entrypoint, List<String> cmd, List<String> env, String workingDir, String user,
                    List<String> exposedPorts, String stopSignal, Map<String, String> labels,
                    Optional<Healthcheck> healthcheck) {
    /** Copies the lists and map. */
    public Image {
        names = List.copyOf(names);
        entrypoint = List.copyOf(entrypoint);
        cmd = List.copyOf(cmd);
        env = List.copyOf(env);
        exposedPorts = List.copyOf(exposedPorts);
        labels = Map.copyOf(labels);
    }

    /** The public form of a config's Healthcheck, Docker's defaults where it gives none. */
    static Healthcheck healthcheckOf(io.mdocker.internal.image.ImageConfig.Health h) {
        java.time.Duration thirty = java.time.Duration.ofSeconds(30);
        return new Healthcheck(h.test(), h.intervalNanos() > 0 ? java.time.Duration.ofNanos(h.intervalNanos()) : thirty,
                h.timeoutNanos() > 0 ? java.time.Duration.ofNanos(h.timeoutNanos()) : thirty,
                h.retries() > 0 ? h.retries() : 3, java.time.Duration.ofNanos(Math.max(0, h.startPeriodNanos())));
    }

    /** The first 12 hex digits of the ID, as {@code mdocker images} shows it. */
    public String shortId() {
        return id.substring(7, 19);
    }
}
