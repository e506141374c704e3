package io.mdocker.internal.image;

import io.mdocker.internal.image.registry.BlobStore;
import io.mdocker.internal.image.registry.Digest;
import io.mdocker.internal.image.registry.Lease;
import io.mdocker.internal.image.registry.StoreLock;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The image store of one lib root ({@code <lib root>/images}, laid out as the package says): the
 * tags in {@code index.json}, images added from an OCI layout, a {@code docker save} archive or a
 * root filesystem, their layers unpacked once, and their removal.
 *
 * <p>Thread-safe and safe across JVMs: the tags are read and rewritten under {@code index.lock}.
 * An image being added holds a {@link Lease} from before its first blob until its name is
 * written, and {@link #collectGarbage} keeps what live leases hold.
 */
public final class LocalImages {
    private final Path libRoot;
    private final Path dir;
    private final BlobStore blobs;
    private final LayerStore layers;
    private final LayerStore.Options options;

    /** One image as stored: the manifest it was added with, its config, and its layers bottom-most first. */
    public record Stored(String manifestDigest, String configDigest, List<String> names, ImageConfig config,
                         List<Manifests.Descriptor> layerBlobs, long size) {
        /** The image ID Docker shows: the config's digest. */
        public String id() {
            return configDigest;
        }
    }

    public LocalImages(Path libRoot) {
        this(libRoot, LayerStore.Options.forThisJvm());
    }

    LocalImages(Path libRoot, LayerStore.Options options) {
        this.libRoot = libRoot;
        this.dir = libRoot.resolve("images");
        this.blobs = new BlobStore(dir.resolve("blobs"));
        this.layers = new LayerStore(dir);
        this.options = options;
    }

    Path dir() {
        return dir;
    }

    /** The diffID of an unpacked layer's directory, when {@code p} is one of this store's. */
    public Optional<String> diffIdOf(Path p) {
        Path parent = p.getParent();
        String name = p.getFileName() == null ? "" : p.getFileName().toString();
        return parent != null && parent.equals(dir.resolve("layers").resolve("sha256")) && name.matches("[0-9a-f]{64}")
                ? Optional.of("sha256:" + name) : Optional.empty();
    }

    // ---------------------------------------------------------------- sources

    /**
     * Adds the image of an OCI layout {@code layoutDir}: the manifest tagged {@code tag}
     * (annotation {@code org.opencontainers.image.ref.name}), or the only one when no tag is given;
     * an index in it resolved to this machine's platform. Recorded as {@code name} when given.
     */
    public Stored addOciLayout(Path layoutDir, Optional<String> tag, Optional<ImageReference> name) throws IOException {
        String what = "OCI layout " + layoutDir;
        if (!Files.isRegularFile(layoutDir.resolve("oci-layout")) || !Files.isRegularFile(layoutDir.resolve("index.json"))) {
            throw new IllegalArgumentException(what + " has no oci-layout and index.json: not an OCI image layout");
        }
        JsonNode index = Json.parse(Files.readAllBytes(layoutDir.resolve("index.json")), what + " index.json");
        if (!index.has("manifests")) {
            throw new IOException(what + " index.json has no 'manifests'");
        }
        List<Manifests.Descriptor> entries = Manifests.entries(index, what);
        Manifests.Descriptor chosen = null;
        List<String> tags = new ArrayList<>();
        for (Manifests.Descriptor d : entries) {
            String ref = d.annotations().get(Manifests.REF_NAME);
            tags.add(ref == null ? d.digest() : ref);
            if (tag.isPresent() && tag.get().equals(ref)) {
                chosen = d;
            }
        }
        if (tag.isEmpty() && entries.size() == 1) {
            chosen = entries.get(0);
        }
        if (chosen == null) {
            throw new IllegalArgumentException(what + (tag.isPresent() ? " has no image tagged '" + tag.get() + "'"
                    : " holds " + entries.size() + " images: name one as oci:DIR:TAG") + " (tags: " + String.join(", ", tags) + ")");
        }
        Path blobDir = layoutDir.resolve("blobs");
        BlobSource source = d -> {
            String[] parts = d.digest().split(":", 2);
            Path p = blobDir.resolve(parts[0]).resolve(parts[1]);
            if (!Files.isRegularFile(p)) {
                throw new IOException(what + " lacks blob " + d.digest());
            }
            return () -> Files.newInputStream(p);
        };
        try (Lease lease = newLease()) {
            return addFromDescriptor(chosen, source, name.or(() -> tag.flatMap(LocalImages::parseQuietly)), what, lease);
        }
    }

    /**
     * Pulls {@code ref} from its registry into this store and records it under {@code ref}: the
     * client writes the manifest, config and layer blobs straight into {@code images/blobs} (the
     * package's layout, under each blob's lock, verified), then the layers are unpacked as for
     * any other source. Failures are one line naming the image ({@code RegistryException}).
     */
    public Stored pull(ImageReference ref, io.mdocker.internal.image.registry.RegistryClient client,
                       io.mdocker.internal.image.registry.PullListener listener) throws IOException {
        var remote = new io.mdocker.internal.image.registry.RemoteImage(ref.registry(), ref.repository(),
                ref.digest().or(ref::tag).orElseThrow());
        try (Lease lease = newLease()) {
            var pulled = client.pull(remote, blobs.leased(lease), io.mdocker.internal.image.registry.Platform.host(), listener);
            String what = "image " + ref.familiar();
            JsonNode n = Manifests.check(pulled.manifestBytes(), pulled.manifestMediaType(), what + " " + pulled.manifestDigest());
            Manifests.Manifest m = Manifests.manifest(n, pulled.manifestMediaType(), what);
            BlobSource pulledBlobs = d -> {
                Digest digest = digest(d.digest(), what + " blob");
                if (!blobs.has(digest)) {
                    throw new IOException(what + ": blob " + d.digest() + " is not in the store after the pull");
                }
                return () -> blobs.open(digest);
            };
            return add(pulled.manifestBytes(), pulled.manifestMediaType(), m, pulledBlobs, List.of(ref), what, lease);
        }
    }

    /** Adds the images of a {@code docker save} archive (manifest.json, configs and layer tars); returns them. */
    public List<Stored> addDockerArchive(Path archive, Optional<ImageReference> name) throws IOException {
        String what = "docker archive " + archive;
        if (!Files.isRegularFile(archive)) {
            throw new IllegalArgumentException(what + " does not exist or is not a file");
        }
        Path work = tempDir();
        try (Lease lease = newLease()) {
            extractFiles(archive, work, what);
            Path manifestFile = work.resolve("manifest.json");
            if (!Files.isRegularFile(manifestFile)) {
                throw new IllegalArgumentException(what + " has no manifest.json: not a docker save archive");
            }
            JsonNode list = Json.tree(Files.readAllBytes(manifestFile), what + ": manifest.json");
            if (!list.isArray() || list.isEmpty()) {
                throw new IOException(what + ": manifest.json is not a non-empty array");
            }
            List<Stored> out = new ArrayList<>();
            for (JsonNode m : list) {
                Path configFile = member(work, Json.text(m, "Config"), what);
                byte[] config = Files.readAllBytes(configFile);
                ImageConfig cfg = ImageConfig.parse(config, what + " config");
                List<Manifests.Descriptor> layerDescs = new ArrayList<>();
                List<Path> layerFiles = new ArrayList<>();
                JsonNode ls = m.get("Layers");
                if (ls == null || !ls.isArray()) {
                    throw new IOException(what + ": manifest.json entry without Layers");
                }
                for (JsonNode l : ls) {
                    Path f = member(work, l.asText(), what);
                    Compression c;
                    try (BufferedInputStream in = new BufferedInputStream(Files.newInputStream(f))) {
                        c = Compression.sniff(in);
                    }
                    String mt = switch (c) {
                        case NONE -> "application/vnd.oci.image.layer.v1.tar";
                        case GZIP -> "application/vnd.oci.image.layer.v1.tar+gzip";
                        case ZSTD -> "application/vnd.oci.image.layer.v1.tar+zstd";
                    };
                    String digest = fileDigest(f);
                    layerDescs.add(new Manifests.Descriptor(mt, digest, Files.size(f), Map.of(), Optional.empty()));
                    layerFiles.add(f);
                }
                String configDigest = Digests.of(config);
                Manifests.Descriptor configDesc = new Manifests.Descriptor(Manifests.OCI_CONFIG, configDigest,
                        config.length, Map.of(), Optional.empty());
                byte[] manifest = Manifests.ociManifest(configDesc, layerDescs);
                Map<String, Path> files = new LinkedHashMap<>();
                files.put(configDigest, configFile);
                for (int i = 0; i < layerDescs.size(); i++) {
                    files.put(layerDescs.get(i).digest(), layerFiles.get(i));
                }
                List<ImageReference> names = new ArrayList<>();
                name.ifPresent(names::add);
                if (name.isEmpty() && m.has("RepoTags") && m.get("RepoTags").isArray()) {
                    for (JsonNode t : m.get("RepoTags")) {
                        names.add(ImageReference.parse(t.asText()));
                    }
                }
                Stored s = add(manifest, Manifests.OCI_MANIFEST, Manifests.manifest(Json.parse(manifest, what),
                        Manifests.OCI_MANIFEST, what), d -> () -> Files.newInputStream(files.get(d.digest())), names, what, lease);
                out.add(s);
            }
            return out;
        } finally {
            LayerStore.deleteQuietly(work);
        }
    }

    /**
     * Adds a root filesystem as a one-layer image named {@code name}: a directory (archived as it
     * is, owners, modes and xattrs kept) or a tar file (gzip, zstd or uncompressed).
     */
    public Stored importRootfs(Path rootfs, ImageReference name) throws IOException {
        String what = "root filesystem " + rootfs;
        Path tarFile;
        Path work = null;
        if (Files.isDirectory(rootfs, LinkOption.NOFOLLOW_LINKS)) {
            work = tempDir();
            tarFile = work.resolve("layer.tar");
            try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tarFile), 1 << 16)) {
                TarWriter w = new TarWriter(out);
                w.tree(rootfs);
                w.finish();
            }
        } else if (Files.isRegularFile(rootfs)) {
            tarFile = rootfs;
        } else {
            throw new IllegalArgumentException("cannot import " + rootfs + ": expected a directory or a tar file");
        }
        try (Lease lease = newLease()) {
            Compression c;
            try (BufferedInputStream in = new BufferedInputStream(Files.newInputStream(tarFile))) {
                c = Compression.sniff(in);
            }
            String diffId;
            try (InputStream raw = Files.newInputStream(tarFile);
                 Digests.Counting plain = new Digests.Counting(c.open(raw, what), options.maxBytes(), what)) {
                plain.drain();
                diffId = plain.digest();
            }
            String mt = switch (c) {
                case NONE -> "application/vnd.oci.image.layer.v1.tar";
                case GZIP -> "application/vnd.oci.image.layer.v1.tar+gzip";
                case ZSTD -> "application/vnd.oci.image.layer.v1.tar+zstd";
            };
            Manifests.Descriptor layer = new Manifests.Descriptor(mt, fileDigest(tarFile), Files.size(tarFile), Map.of(),
                    Optional.empty());
            byte[] config = ImageConfig.minimal(diffId, Instant.now());
            Manifests.Descriptor configDesc = new Manifests.Descriptor(Manifests.OCI_CONFIG, Digests.of(config),
                    config.length, Map.of(), Optional.empty());
            byte[] manifest = Manifests.ociManifest(configDesc, List.of(layer));
            Path layerFile = tarFile;
            return add(manifest, Manifests.OCI_MANIFEST, Manifests.manifest(Json.parse(manifest, what), Manifests.OCI_MANIFEST,
                    what), d -> d.digest().equals(configDesc.digest()) ? () -> new java.io.ByteArrayInputStream(config)
                    : () -> Files.newInputStream(layerFile), List.of(name), what, lease);
        } finally {
            if (work != null) {
                LayerStore.deleteQuietly(work);
            }
        }
    }

    /** Where a blob named by a descriptor is read from. */
    @FunctionalInterface
    interface BlobSource {
        LayerStore.Opener open(Manifests.Descriptor d) throws IOException;
    }

    /** Adds the image a descriptor names (a manifest, or an index resolved to this platform). */
    Stored addFromDescriptor(Manifests.Descriptor d, BlobSource source, Optional<ImageReference> name, String what,
                             Lease lease) throws IOException {
        byte[] doc = source.open(d).open().readAllBytes();
        if (!Digests.of(doc).equals(d.digest())) {
            throw new IOException(what + ": " + d.mediaType() + " " + d.digest() + " digests to " + Digests.of(doc));
        }
        JsonNode n = Manifests.check(doc, d.mediaType(), what + " " + d.digest());
        if (Manifests.isIndex(d.mediaType())) {
            Manifests.Descriptor chosen = Manifests.choose(Manifests.entries(n, what), what);
            return addFromDescriptor(chosen, source, name, what, lease);
        }
        Manifests.Manifest m = Manifests.manifest(n, d.mediaType(), what);
        return add(doc, d.mediaType(), m, source, name.map(List::of).orElse(List.of()), what, lease);
    }

    /**
     * Stores the config and layer blobs, unpacks the layers, stores the manifest, records the
     * names; each blob and layer held by {@code lease} (which the caller closes once this returns).
     */
    Stored add(byte[] manifest, String manifestType, Manifests.Manifest m, BlobSource source, List<ImageReference> names,
               String what, Lease lease) throws IOException {
        makeDir();
        BlobStore leased = blobs.leased(lease);
        leased.removeAbandonedTemporaries();
        Manifests.Descriptor c = m.config();
        Digest configDigest = digest(c.digest(), what + " config digest");
        leased.put(configDigest, c.size(), what + " config " + c.digest(), source.open(c)::open);
        ImageConfig config = ImageConfig.parse(blobs.read(configDigest), what + " config " + c.digest());
        if (config.diffIds().size() != m.layers().size()) {
            throw new IOException(what + ": the config lists " + config.diffIds().size() + " layers, the manifest "
                    + m.layers().size());
        }
        if (config.os() != null && !config.os().equals("linux")) {
            throw new IOException(what + " is an image for " + config.os() + ", not linux");
        }
        for (int i = 0; i < m.layers().size(); i++) {
            Manifests.Descriptor l = m.layers().get(i);
            Digest layerDigest = digest(l.digest(), what + " layer digest");
            leased.put(layerDigest, l.size(), what + " layer " + l.digest(), source.open(l)::open);
            Compression comp = Compression.ofMediaType(l.mediaType()).orElseThrow();
            String diffId = config.diffIds().get(i);
            Digests.hex(diffId, what + " diffID");
            lease.protect(diffId); // before the layer is looked for: a prune from now on keeps it
            layers.ensure(diffId, () -> blobs.open(layerDigest), comp, options, what + " layer " + l.digest());
        }
        String manifestDigest = leased.put(manifest).toString();
        tag(manifestDigest, manifestType, manifest.length, names);
        return load(manifestDigest, manifestType, names.stream().map(ImageReference::toString).toList());
    }

    // ---------------------------------------------------------------- tags

    private record Tag(String name, String digest, String mediaType, long size) {}

    private List<Tag> readTags() throws IOException {
        Path f = dir.resolve("index.json");
        if (!Files.isRegularFile(f)) {
            return List.of();
        }
        JsonNode n = Json.parse(Files.readAllBytes(f), f.toString());
        List<Tag> out = new ArrayList<>();
        for (JsonNode m : n.path("manifests")) {
            String ref = m.path("annotations").path(Manifests.REF_NAME).asText(null);
            out.add(new Tag(ref, Json.text(m, "digest"), Json.text(m, "mediaType"), m.path("size").asLong()));
        }
        return out;
    }

    private void writeTags(List<Tag> tags) throws IOException {
        ObjectNode n = Json.object();
        n.put("schemaVersion", 2);
        n.put("mediaType", Manifests.OCI_INDEX);
        ArrayNode ms = n.putArray("manifests");
        for (Tag t : tags) {
            ObjectNode e = ms.addObject();
            e.put("mediaType", t.mediaType);
            e.put("digest", t.digest);
            e.put("size", t.size);
            if (t.name != null) {
                e.putObject("annotations").put(Manifests.REF_NAME, t.name);
            }
        }
        Path tmp = dir.resolve("index.json." + UUID.randomUUID());
        Files.write(tmp, Json.bytes(n));
        Files.move(tmp, dir.resolve("index.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The store's directory, made (0700, in a lib root made and checked as the containers' is) when missing. */
    private void makeDir() {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            io.mdocker.internal.state.StateRoots.secure(libRoot, "images");
        }
    }

    /** A lease for an image about to be added (see {@link Lease}), its entries added under the tags' lock. */
    private Lease newLease() throws IOException {
        makeDir();
        return Lease.take(dir.resolve("leases"), dir.resolve("index.lock"));
    }

    /** A digest as the store's blobs name it; an {@link IllegalArgumentException} naming {@code what} otherwise. */
    private static Digest digest(String digest, String what) {
        Digests.hex(digest, what);
        return Digest.parse(digest);
    }

    private StoreLock lockTags() throws IOException {
        makeDir();
        return StoreLock.acquire(dir.resolve("index.lock"));
    }

    private void tag(String digest, String mediaType, long size, List<ImageReference> names) throws IOException {
        try (StoreLock lock = lockTags()) {
            List<Tag> tags = new ArrayList<>(readTags());
            if (names.isEmpty()) {
                if (tags.stream().noneMatch(t -> t.digest.equals(digest))) {
                    tags.add(new Tag(null, digest, mediaType, size)); // untagged: found by its ID
                }
            }
            for (ImageReference r : names) {
                tags.removeIf(t -> r.toString().equals(t.name) || (t.name == null && t.digest.equals(digest)));
                tags.add(new Tag(r.toString(), digest, mediaType, size));
            }
            writeTags(tags);
        }
    }

    // ---------------------------------------------------------------- queries

    /** Every image, one entry per manifest with all its names. */
    public List<Stored> list() throws IOException {
        Map<String, List<String>> names = new LinkedHashMap<>();
        Map<String, String> types = new LinkedHashMap<>();
        for (Tag t : readTags()) {
            names.computeIfAbsent(t.digest, k -> new ArrayList<>());
            if (t.name != null) {
                names.get(t.digest).add(t.name);
            }
            types.put(t.digest, t.mediaType);
        }
        List<Stored> out = new ArrayList<>();
        for (var e : names.entrySet()) {
            out.add(load(e.getKey(), types.get(e.getKey()), e.getValue()));
        }
        return out;
    }

    /** The image a reference ({@code alpine}, a full name) or an ID (or its prefix of 12+ hex) names. */
    public Optional<Stored> find(String nameOrId) throws IOException {
        List<Stored> all = list();
        String idHex = nameOrId.startsWith("sha256:") ? nameOrId.substring(7) : nameOrId;
        if (idHex.matches("[0-9a-f]{12,64}")) {
            List<Stored> byId = all.stream().filter(s -> s.id().substring(7).startsWith(idHex)).toList();
            if (byId.size() == 1) {
                return Optional.of(byId.get(0));
            }
        }
        String ref = ImageReference.parse(nameOrId).toString();
        return all.stream().filter(s -> s.names().contains(ref)).findFirst();
    }

    private Stored load(String manifestDigest, String mediaType, List<String> names) throws IOException {
        byte[] doc = blobs.read(digest(manifestDigest, "manifest digest"));
        Manifests.Manifest m = Manifests.manifest(Json.parse(doc, "manifest " + manifestDigest), mediaType,
                "manifest " + manifestDigest);
        ImageConfig config = ImageConfig.parse(blobs.read(digest(m.config().digest(), "config digest")),
                "config " + m.config().digest());
        long size = 0;
        for (Manifests.Descriptor l : m.layers()) {
            size += l.size();
        }
        return new Stored(manifestDigest, m.config().digest(), List.copyOf(names), config, m.layers(), size);
    }

    /** The image's unpacked layer directories, top-most first (as overlayfs' lowerdir lists them). */
    public List<Path> layerDirs(Stored image) throws IOException {
        List<Path> out = new ArrayList<>();
        List<String> diffIds = image.config().diffIds();
        for (int i = diffIds.size() - 1; i >= 0; i--) {
            String diffId = diffIds.get(i);
            if (!layers.contains(diffId)) {
                // removed by a prune meanwhile, or never unpacked: unpacked again from its blob
                Manifests.Descriptor l = image.layerBlobs().get(i);
                layers.ensure(diffId, () -> blobs.open(digest(l.digest(), "layer digest")), Compression.ofMediaType(l.mediaType()).orElseThrow(),
                        options, "layer " + l.digest());
            }
            out.add(layers.path(diffId));
        }
        if (out.isEmpty()) {
            throw new IOException("image " + image.id() + " has no layers");
        }
        return out;
    }

    /**
     * Gives the image {@code nameOrId} names the name {@code target} too, as Docker's {@code tag}:
     * an image that had {@code target} loses it, and stays (found by its ID) when that was its only
     * name. Returns the image with its names.
     */
    public Stored tag(String nameOrId, ImageReference target) throws IOException {
        String name = target.toString();
        try (StoreLock lock = lockTags()) {
            Stored s = find(nameOrId).orElseThrow(() -> new IllegalArgumentException("no such image: " + nameOrId));
            List<Tag> tags = new ArrayList<>(readTags());
            Tag own = tags.stream().filter(t -> t.digest.equals(s.manifestDigest())).findFirst().orElseThrow();
            Optional<Tag> previous = tags.stream().filter(t -> name.equals(t.name)).findFirst();
            tags.removeIf(t -> name.equals(t.name) || (t.name == null && t.digest.equals(s.manifestDigest())));
            previous.filter(p -> !p.digest.equals(s.manifestDigest()) && tags.stream().noneMatch(t -> t.digest.equals(p.digest)))
                    .ifPresent(p -> tags.add(new Tag(null, p.digest, p.mediaType, p.size))); // as Docker's <none>
            tags.add(new Tag(name, own.digest, own.mediaType, own.size));
            writeTags(tags);
        }
        return find(name).orElseThrow(() -> new IllegalStateException("image " + name + " was removed meanwhile"));
    }

    // ---------------------------------------------------------------- removal

    /**
     * Removes the name {@code nameOrId} (or, for an ID, all names of that image); an image left
     * without names is deleted with the blobs and layers no other image uses. {@code inUse} tells
     * whether a container uses an image (by ID): such an image is kept unless {@code force};
     * the layers in {@code layersInUse} (diffIDs a container's overlay has) are kept in any case.
     */
    public List<String> remove(String nameOrId, boolean force, Predicate<String> inUse, Set<String> layersInUse)
            throws IOException {
        List<String> removed = new ArrayList<>();
        try (StoreLock lock = lockTags()) {
            Optional<Stored> found = find(nameOrId);
            if (found.isEmpty()) {
                throw new IllegalArgumentException("no such image: " + nameOrId);
            }
            Stored s = found.get();
            String ref = null;
            try {
                ref = ImageReference.parse(nameOrId).toString();
            } catch (IllegalArgumentException notAName) {
                // an ID
            }
            boolean byName = ref != null && s.names().contains(ref);
            boolean last = !byName || s.names().size() <= 1;
            if (last && !force && inUse.test(s.id())) {
                throw new IllegalStateException("image " + nameOrId + " (" + s.id().substring(7, 19)
                        + ") is used by a container: remove the container first, or force");
            }
            List<Tag> tags = new ArrayList<>(readTags());
            String refName = ref;
            if (byName && !last) {
                tags.removeIf(t -> refName.equals(t.name));
                removed.add("Untagged: " + ref);
                writeTags(tags);
                return removed;
            }
            tags.removeIf(t -> t.digest.equals(s.manifestDigest()));
            writeTags(tags);
            s.names().forEach(n -> removed.add("Untagged: " + n));
            removed.add("Deleted: " + s.id());
        }
        collectGarbage(layersInUse);
        return removed;
    }

    /**
     * Removes blobs and layers no tagged image refers to, but the layers {@code layersInUse} (by
     * diffID: a container's overlay has them) and what the leases of images being added hold;
     * returns how many bytes of blobs went.
     */
    public long collectGarbage(Set<String> layersInUse) throws IOException {
        Set<String> keepBlobs = new HashSet<>();
        Set<String> keepLayers = new HashSet<>(layersInUse);
        List<Digest> allBlobs;
        List<String> allLayers;
        try (StoreLock lock = lockTags()) {
            Set<String> leased = Lease.live(dir.resolve("leases"));
            keepBlobs.addAll(leased);
            keepLayers.addAll(leased);
            for (Stored s : list()) {
                keepBlobs.add(s.manifestDigest());
                keepBlobs.add(s.configDigest());
                s.layerBlobs().forEach(l -> keepBlobs.add(l.digest()));
                keepLayers.addAll(s.config().diffIds());
            }
            allBlobs = blobs.list();
            allLayers = layers.list();
            long freed = 0;
            for (Digest b : allBlobs) {
                if (!keepBlobs.contains(b.toString())) {
                    freed += Files.size(blobs.path(b));
                    blobs.remove(b);
                }
            }
            for (String l : allLayers) {
                if (!keepLayers.contains(l)) {
                    layers.remove(l);
                }
            }
            return freed;
        }
    }

    // ---------------------------------------------------------------- save

    /**
     * Writes {@code images} as one archive that both {@code docker load} (manifest.json) and OCI
     * tools (oci-layout, index.json) read: the blobs under {@code blobs/sha256/}.
     */
    public void save(List<Stored> images, OutputStream out) throws IOException {
        TarWriter w = new TarWriter(out);
        w.file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
        ArrayNode dockerManifest = Json.array();
        ObjectNode index = Json.object();
        index.put("schemaVersion", 2);
        index.put("mediaType", Manifests.OCI_INDEX);
        ArrayNode entries = index.putArray("manifests");
        Set<String> written = new HashSet<>();
        for (Stored s : images) {
            List<String> digests = new ArrayList<>();
            digests.add(s.manifestDigest());
            digests.add(s.configDigest());
            s.layerBlobs().forEach(l -> digests.add(l.digest()));
            for (String d : digests) {
                if (written.add(d)) {
                    Path p = blobs.path(digest(d, "blob digest"));
                    try (InputStream in = Files.newInputStream(p)) {
                        w.file("blobs/sha256/" + d.substring(7), 0644, Files.size(p), in);
                    }
                }
            }
            ObjectNode dm = dockerManifest.addObject();
            dm.put("Config", "blobs/sha256/" + s.configDigest().substring(7));
            ArrayNode tags = dm.putArray("RepoTags");
            s.names().forEach(n -> tags.add(ImageReference.parse(n).familiar()));
            ArrayNode ls = dm.putArray("Layers");
            s.layerBlobs().forEach(l -> ls.add("blobs/sha256/" + l.digest().substring(7)));
            for (String n : s.names().isEmpty() ? List.<String>of("") : s.names()) {
                ObjectNode e = entries.addObject();
                e.put("mediaType", Manifests.OCI_MANIFEST);
                e.put("digest", s.manifestDigest());
                e.put("size", Files.size(blobs.path(digest(s.manifestDigest(), "manifest digest"))));
                if (!n.isEmpty()) {
                    e.putObject("annotations").put(Manifests.REF_NAME, n);
                }
            }
        }
        w.file("manifest.json", Json.bytes(dockerManifest));
        w.file("index.json", Json.bytes(index));
        w.finish();
    }

    // ---------------------------------------------------------------- helpers

    private Path tempDir() throws IOException {
        makeDir();
        Path t = dir.resolve("tmp");
        Files.createDirectories(t);
        return Files.createTempDirectory(t, "work.");
    }

    /** Extracts the regular files of an archive (names without '..', no links followed) into {@code to}. */
    private static void extractFiles(Path archive, Path to, String what) throws IOException {
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(archive), 1 << 16)) {
            TarReader r = new TarReader(raw);
            for (var e = r.next(); e.isPresent(); e = r.next()) {
                TarEntry t = e.get();
                if (t.type() != TarEntry.Type.FILE) {
                    continue;
                }
                String name = t.name();
                while (name.startsWith("./")) {
                    name = name.substring(2);
                }
                if (name.startsWith("/") || List.of(name.split("/")).contains("..")) {
                    throw new IOException(what + ": member '" + t.name() + "' leaves the archive");
                }
                Path p = to.resolve(name);
                Files.createDirectories(p.getParent());
                try (InputStream in = r.content()) {
                    Files.copy(in, p);
                }
            }
        }
    }

    private static Path member(Path work, String name, String what) throws IOException {
        if (name == null || name.startsWith("/") || List.of(name.split("/")).contains("..")) {
            throw new IOException(what + ": manifest.json names '" + name + "', not a member path");
        }
        Path p = work.resolve(name);
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(what + ": manifest.json names '" + name + "', which the archive lacks");
        }
        return p;
    }

    private static String fileDigest(Path f) throws IOException {
        var md = Digests.sha256();
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return Digests.of(md);
    }

    private static Optional<ImageReference> parseQuietly(String s) {
        try {
            return Optional.of(ImageReference.parse(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
