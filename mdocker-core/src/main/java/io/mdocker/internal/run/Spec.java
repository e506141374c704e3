package io.mdocker.internal.run;

import io.mdocker.BindMount;
import io.mdocker.TtySize;
import io.mdocker.internal.cgroup.CgroupSpec;
import io.mdocker.internal.fs.FileSource;
import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.security.SecuritySpec;
import io.mdocker.internal.state.StateStore;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What the engine starts: an immutable snapshot of a container definition, its values already
 * checked, each concern in the form its internal package takes ({@link SecuritySpec},
 * {@link CgroupSpec}, {@link ContainerNetwork.Plan}). Made by the public API from a
 * {@code Container}; the engine never sees the definition itself.
 *
 * @param layers       overlay lower layers, topmost first
 * @param name         the container's name, unique on its state roots
 * @param hostname     the hostname; empty for the short id
 * @param env          the environment given (PATH, HOSTNAME and HOME are added where it lacks them)
 * @param workdir      the working directory of the command
 * @param uid          the command's user id
 * @param gid          the command's group id
 * @param binds        bind mounts, in order
 * @param copies       files copied into the writable layer before the start, in order
 * @param stdin        stdin's choice
 * @param stdout       stdout's choice
 * @param stderr       stderr's choice
 * @param tty          the pseudo-terminal's initial size; empty for none
 * @param init         whether pid 1 is mdocker-init (Docker's --init) rather than the command
 * @param startTimeout how long the setup may take
 * @param store        the state roots' store
 * @param security     capabilities, seccomp, rlimits and filesystem protections
 * @param cgroups      the resource limits
 * @param network      the network plan
 * @param networkText  the network in words, for errors
 * @param labels       the container's labels (Docker's {@code --label}), recorded with its state
 * @param storageBytes the bound on the writable layer in bytes; empty for none
 * @param userns       a root JVM's container gets a user namespace with the remap range (rootless: always one)
 * @param stopSignal   the signal stop sends first (the image's StopSignal, the builder's, or SIGTERM)
 * @param healthcheck  the image's Healthcheck, kept in the state record; empty for none
 * @param image        the image reference the layers came from, as given; empty for a root filesystem given as paths
 */
public record Spec(List<Path> layers, Optional<String> name, Optional<String> hostname, Map<String, String> env,
                   String workdir, int uid, int gid, List<BindMount> binds, List<Copy> copies,
                   StreamChoice stdin, StreamChoice stdout, StreamChoice stderr, Optional<TtySize> tty, boolean init,
                   Duration startTimeout, StateStore store, SecuritySpec security, CgroupSpec cgroups,
                   ContainerNetwork.Plan network, String networkText, Map<String, String> labels,
                   OptionalLong storageBytes, boolean userns, int stopSignal,
                   Optional<io.mdocker.internal.state.HealthRecord> healthcheck, Optional<String> image) {
    /** Docker's default PATH. */
    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public Spec {
        layers = List.copyOf(layers);
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hostname, "hostname");
        env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        Objects.requireNonNull(workdir, "workdir");
        binds = List.copyOf(binds);
        copies = List.copyOf(copies);
        Objects.requireNonNull(stdin, "stdin");
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
        Objects.requireNonNull(tty, "tty");
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(security, "security");
        Objects.requireNonNull(cgroups, "cgroups");
        Objects.requireNonNull(network, "network");
        labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        Objects.requireNonNull(storageBytes, "storageBytes");
        Objects.requireNonNull(image, "image");
    }

    /**
     * One copy into the writable layer before the start.
     *
     * @param source what is copied
     * @param target the absolute path it gets in the container
     */
    public record Copy(FileSource source, String target) {
        public Copy {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(target, "target");
        }
    }

    /** Whether the container runs privileged (Docker's --privileged). */
    public boolean privileged() {
        return security.privileged();
    }

    /** HOME where the environment does not set it (Docker's, without a passwd lookup). */
    public static String defaultHome(int uid) {
        return uid == 0 ? "/root" : "/";
    }
}
