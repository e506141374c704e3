package io.mdocker;

import io.mdocker.internal.fs.FileSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What is copied into a container ({@link Container.Builder#copyIn(CopySource, String)} before it
 * starts, {@link ContainerHandle#copyIn(CopySource, String)} while it runs), as Testcontainers'
 * {@code Transferable} and {@code MountableFile}: a host path, or the content of one regular file
 * from bytes, a string or a classpath resource, with the mode it gets.
 *
 * <pre>{@code
 * Container.builder().rootfs(rootfs)
 *         .copyIn(CopySource.ofString("listen 8080\n"), "/etc/app/app.conf")
 *         .copyIn(CopySource.ofClasspathResource("init.sh").mode(0755), "/docker-entrypoint.d/init.sh")
 * }</pre>
 *
 * A content's file gets mode 0644 unless {@link #mode(int)} says otherwise, and belongs to root;
 * a host path keeps its own mode bits unless {@link #mode(int)} replaces those of the copied
 * file or top directory. Immutable and thread-safe; one source may be copied any number of times.
 */
public final class CopySource {
    /** The mode a content's file gets unless {@link #mode(int)} says otherwise: rw-r--r--. */
    public static final int DEFAULT_FILE_MODE = 0644;

    private final Kind kind;
    private final Path path;
    private final byte[] bytes;
    private final String resource;
    private final URL resourceUrl;
    private final Integer mode;

    private enum Kind { PATH, BYTES, RESOURCE }

    private CopySource(Kind kind, Path path, byte[] bytes, String resource, URL resourceUrl, Integer mode) {
        this.kind = kind;
        this.path = path;
        this.bytes = bytes;
        this.resource = resource;
        this.resourceUrl = resourceUrl;
        this.mode = mode;
    }

    /**
     * The host file, directory tree or symbolic link {@code path} (made absolute), read when it is
     * copied: it need not exist yet. Mode bits are kept unless {@link #mode(int)} is given.
     */
    public static CopySource of(Path path) {
        Objects.requireNonNull(path, "path");
        return new CopySource(Kind.PATH, path.toAbsolutePath().normalize(), null, null, null, null);
    }

    /** A regular file holding {@code content} (copied now: later changes to the array do not count). */
    public static CopySource of(byte[] content) {
        Objects.requireNonNull(content, "content");
        return new CopySource(Kind.BYTES, null, content.clone(), null, null, DEFAULT_FILE_MODE);
    }

    /** A regular file holding {@code text} encoded as UTF-8. */
    public static CopySource ofString(String text) {
        Objects.requireNonNull(text, "text");
        return new CopySource(Kind.BYTES, null, text.getBytes(StandardCharsets.UTF_8), null, null, DEFAULT_FILE_MODE);
    }

    /**
     * A regular file holding the classpath resource {@code name} (as {@link ClassLoader#getResource}
     * takes it: {@code "config/app.conf"}, no leading slash; one is dropped) of the current
     * thread's context class loader, or this library's when it has none. It is looked up now and
     * read each time it is copied.
     *
     * @throws IllegalArgumentException when no such resource exists, before anything is copied
     */
    public static CopySource ofClasspathResource(String name) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return ofClasspathResource(name, context != null ? context : CopySource.class.getClassLoader());
    }

    /** {@link #ofClasspathResource(String)} from {@code loader}. */
    public static CopySource ofClasspathResource(String name, ClassLoader loader) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(loader, "loader");
        String n = name.startsWith("/") ? name.substring(1) : name;
        URL url = n.isEmpty() || n.endsWith("/") ? null : loader.getResource(n);
        if (url == null) {
            throw new IllegalArgumentException("classpath resource '" + name + "' not found (class loader " + loader
                    + "): expected a file on the classpath, such as 'config/app.conf'");
        }
        if (isDirectory(url)) {
            throw new IllegalArgumentException("classpath resource '" + name + "' is a directory (" + url
                    + "): copy a directory with CopySource.of(Path)");
        }
        return new CopySource(Kind.RESOURCE, null, null, n, url, DEFAULT_FILE_MODE);
    }

    /**
     * This source with mode bits {@code mode} (permissions with setuid, setgid and sticky: 0 to
     * 07777, such as {@code 0755}): the mode of a content's file, or the one replacing a host
     * file's or top directory's own (not for a symbolic link).
     *
     * @throws IllegalArgumentException when the mode is out of 0..07777
     */
    public CopySource mode(int mode) {
        if (mode < 0 || mode > 07777) {
            throw new IllegalArgumentException("invalid file mode " + (mode < 0 ? Integer.toString(mode)
                    : "0" + Integer.toOctalString(mode)) + ": expected 0 to 07777 (octal, such as 0644)");
        }
        return new CopySource(kind, path, bytes, resource, resourceUrl, mode);
    }

    /**
     * The mode bits the copy gets: always present for content (default {@link #DEFAULT_FILE_MODE}),
     * empty for a host path that keeps its own.
     */
    public OptionalInt mode() {
        return mode == null ? OptionalInt.empty() : OptionalInt.of(mode);
    }

    /** The host path, for a source made by {@link #of(Path)}. */
    public Optional<Path> hostPath() {
        return Optional.ofNullable(path);
    }

    /** The classpath resource's name, for a source made by {@link #ofClasspathResource}. */
    public Optional<String> classpathResource() {
        return Optional.ofNullable(resource);
    }

    /** The source in words: its host path, its size in bytes, or its classpath resource. */
    @Override
    public String toString() {
        String what = switch (kind) {
            case PATH -> path.toString();
            case BYTES -> bytes.length + " bytes";
            case RESOURCE -> "classpath resource " + resource;
        };
        return mode == null ? what : what + " (mode 0" + Integer.toOctalString(mode) + ")";
    }

    /** The engine's form of this source. */
    FileSource toFileSource() {
        return switch (kind) {
            case PATH -> new FileSource.HostPath(path, mode());
            case BYTES -> new FileSource.Content(bytes.length + " bytes", () -> new ByteArrayInputStream(bytes), mode);
            case RESOURCE -> new FileSource.Content("classpath resource " + resource, this::openResource, mode);
        };
    }

    private static boolean isDirectory(URL url) {
        if (!"file".equals(url.getProtocol())) {
            return false; // a jar's entry is read as it is
        }
        try {
            return Files.isDirectory(Path.of(url.toURI()));
        } catch (java.net.URISyntaxException | IllegalArgumentException e) {
            return false; // not a plain file path: read as a URL
        }
    }

    private InputStream openResource() throws IOException {
        var connection = resourceUrl.openConnection();
        connection.setUseCaches(false); // a jar URL's cached JarFile may be closed by another user
        return connection.getInputStream();
    }
}
