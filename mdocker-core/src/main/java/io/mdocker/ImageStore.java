package io.mdocker;

import io.mdocker.internal.image.ImageReference;
import io.mdocker.internal.image.LocalImages;
import io.mdocker.internal.state.ContainerRecord;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The images of a {@link ContainerRuntime}'s state root ({@code <lib root>/images}): each layer
 * unpacked once and shared by every image and container that has it. Images come in from
 * archives ({@link #load}), OCI layouts ({@link #loadOciLayout}) and root filesystems
 * ({@link #importRootfs}); containers use them through {@link Container.Builder#image(String)}.
 *
 * <p>Thread-safe, and safe to use from several JVMs on the same state root at once. Holds no
 * resource: nothing to close. I/O failures are {@link UncheckedIOException}s naming the image.
 */
public final class ImageStore {
    private final ContainerRuntime runtime;
    private final LocalImages images;

    private ImageStore(ContainerRuntime runtime) {
        this.runtime = runtime;
        this.images = new LocalImages(runtime.libRoot());
    }

    /** The image store of {@code runtime}'s state root. */
    public static ImageStore of(ContainerRuntime runtime) {
        return new ImageStore(Objects.requireNonNull(runtime, "runtime"));
    }

    /** Every image. */
    public List<Image> list() {
        return io(() -> images.list().stream().map(ImageStore::toImage).toList(), "listing images");
    }

    /** The image a name ({@code alpine}, {@code host:5000/app:1}) or ID (12 or more hex digits) names. */
    public Optional<Image> inspect(String nameOrId) {
        return io(() -> images.find(nameOrId).map(ImageStore::toImage), "image " + nameOrId);
    }

    /**
     * Gives the image {@code nameOrId} names ({@code alpine}, a full name, or an ID) the name
     * {@code target} too ({@code app:1}, {@code host:5000/app:1}), as Docker's {@code tag}. An image
     * that had {@code target} loses it, and stays, found by its ID, when that was its only name.
     *
     * @return the image, with its names
     * @throws IllegalArgumentException when no image is {@code nameOrId}, or {@code target} is not an
     *                                  image name (nothing changes)
     */
    public Image tag(String nameOrId, String target) {
        Objects.requireNonNull(nameOrId, "nameOrId");
        ImageReference ref = ImageReference.parse(Objects.requireNonNull(target, "target"));
        if (ref.digest().isPresent()) {
            throw new IllegalArgumentException("invalid image name '" + target + "': a name to tag with has a tag, not a digest");
        }
        return io(() -> toImage(images.tag(nameOrId, ref)), "tagging image " + nameOrId);
    }

    /**
     * Removes a name, and the image when it was its last (or when an ID is given), with the layers
     * no other image has. An image a container uses (running or exited, until removed) is
     * refused with an {@link IllegalStateException} unless {@code force}.
     *
     * @return what was done, as Docker's {@code rmi} says it ({@code Untagged: …}, {@code Deleted: …})
     */
    public List<String> remove(String nameOrId, boolean force) {
        return io(() -> images.remove(nameOrId, force, this::inUse, layersInUse()), "removing image " + nameOrId);
    }

    /**
     * Removes the blobs and layers no image refers to; returns the bytes of blobs freed. What an
     * image being added (a pull, load or import of any process on this store) has written is kept
     * until the image is recorded.
     */
    public long prune() {
        return io(() -> images.collectGarbage(layersInUse()), "pruning images");
    }

    /**
     * Pulls an image from its registry with {@link PullOptions#defaults()}; see
     * {@link #pull(String, PullOptions)}.
     *
     * @param reference the image, as Docker names it
     * @return the image as stored
     */
    public Image pull(String reference) {
        return pull(reference, PullOptions.defaults());
    }

    /**
     * Pulls an image from its registry ({@code alpine} is {@code docker.io/library/alpine:latest};
     * {@code host:port/repo:tag}, {@code repo@sha256:...}) into this store, for this machine's
     * platform, with the credentials, insecure registries and progress listener of
     * {@code options}. Blobs already in the store are not downloaded again; each is verified
     * against its digest while it streams. Until the image is recorded, what it has written is
     * kept from a {@link #prune()} running meanwhile.
     *
     * @param reference the image, as Docker names it
     * @param options   credentials, insecure registries, a progress listener
     * @return the image as stored
     * @throws IllegalArgumentException a reference that is not one
     * @throws RuntimeException a one-line message naming the image and what failed (not found,
     *                          unauthorized, no manifest for this platform, a digest mismatch ...)
     */
    public Image pull(String reference, PullOptions options) {
        Objects.requireNonNull(options, "options");
        ImageReference ref = ImageReference.parse(reference);
        return io(() -> {
            try (var client = registryClient(options)) {
                return toImage(images.pull(ref, client, listener(options)));
            }
        }, "pulling " + reference);
    }

    /** The registry client's listener that passes the pull's events on to the options' progress listener. */
    static io.mdocker.internal.image.registry.PullListener listener(PullOptions options) {
        return options.progress().<io.mdocker.internal.image.registry.PullListener>map(PullListenerAdapter::new)
                .orElse(io.mdocker.internal.image.registry.PullListener.NONE);
    }

    /** A registry client with the options' credentials, tokens and insecure registries; the caller closes it. */
    static io.mdocker.internal.image.registry.RegistryClient registryClient(PullOptions options) {
        var b = io.mdocker.internal.image.registry.RegistryClient.builder();
        options.insecureRegistries().forEach(b::insecure);
        options.logins().forEach((host, login) -> b.credentials(host,
                new io.mdocker.internal.image.registry.Credentials(login.user(), login.password())));
        options.tokens().forEach(b::token);
        return b.build();
    }

    /** Loads the images of a {@code docker save} archive (also what {@link #save} writes). */
    public List<Image> load(Path archive) {
        return io(() -> images.addDockerArchive(archive, Optional.empty()).stream().map(ImageStore::toImage).toList(),
                "loading " + archive);
    }

    /**
     * Loads an image from an OCI image layout directory: the one tagged {@code tag} (or its only
     * image), named {@code name} when given.
     */
    public Image loadOciLayout(Path layout, Optional<String> tag, Optional<String> name) {
        Optional<ImageReference> ref = name.map(ImageReference::parse);
        return io(() -> toImage(images.addOciLayout(layout, tag, ref)), "loading " + layout);
    }

    /** Makes a one-layer image named {@code name} from a root filesystem directory or tar (gzip, zstd or plain). */
    public Image importRootfs(Path rootfs, String name) {
        ImageReference ref = ImageReference.parse(name);
        return io(() -> toImage(images.importRootfs(rootfs, ref)), "importing " + rootfs);
    }

    /** Writes the named images as one archive that {@link #load} and {@code docker load} read. */
    public void save(List<String> namesOrIds, OutputStream out) {
        io(() -> {
            List<LocalImages.Stored> chosen = new ArrayList<>();
            for (String n : namesOrIds) {
                chosen.add(images.find(n).orElseThrow(() -> new IllegalArgumentException("no such image: " + n)));
            }
            images.save(chosen, out);
            return null;
        }, "saving " + namesOrIds);
    }

    /** The diffIDs of the layers some container's overlay has (its record's rootfs lists them). */
    private java.util.Set<String> layersInUse() {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (ContainerRecord r : runtime.store().records()) {
            String rootfs = r.state().get("rootfs");
            if (rootfs == null || rootfs.length() < 2) {
                continue;
            }
            for (String p : rootfs.substring(1, rootfs.length() - 1).split(", ")) {
                images.diffIdOf(Path.of(p)).ifPresent(out::add);
            }
        }
        return out;
    }

    private boolean inUse(String id) {
        Optional<LocalImages.Stored> s;
        try {
            s = images.find(id);
            if (s.isEmpty()) {
                return false;
            }
            String layers = images.layerDirs(s.get()).toString();
            for (ContainerRecord r : runtime.store().records()) {
                if (layers.equals(r.state().get("rootfs"))) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Image toImage(LocalImages.Stored s) {
        var c = s.config();
        return new Image(s.id(), s.names(), c.created(), s.size(), c.diffIds().size(), c.entrypoint(), c.cmd(), c.env(),
                c.workingDir(), c.user(), c.exposedPorts(), c.stopSignal(), c.labels(), c.healthcheck().map(Image::healthcheckOf));
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    private static <T> T io(IoCall<T> call, String what) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new UncheckedIOException(what + ": " + e.getMessage(), e);
        }
    }
}
