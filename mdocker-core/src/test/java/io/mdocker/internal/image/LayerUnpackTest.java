package io.mdocker.internal.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mdocker.internal.sys.Posix;
import io.mdocker.testing.Fixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Unpacking layers into the store: every kind of member in overlayfs form, the compressions, the
 * diffID check, and hostile layers (containerd's breakout table as the model), each refused with a
 * one-line error, nothing written outside the layer and nothing left in the store.
 */
class LayerUnpackTest {
    private Path base;
    private Path images;
    private Path outside;
    private LayerStore store;

    @BeforeEach
    void setUp(TestInfo info) throws IOException {
        Fixtures.prerequisite(Posix.geteuid() == 0, "unpacking devices, owners and trusted xattrs needs root (euid is "
                + Posix.geteuid() + ")");
        base = Fixtures.TARGET.resolve("image-tests").resolve("unpack-" + info.getTestMethod().orElseThrow().getName());
        if (Files.exists(base)) {
            LayerUnpacker.removeTree(base);
        }
        images = base.resolve("images");
        outside = base.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("keep"), "keep");
        store = new LayerStore(images);
    }

    private Path unpack(byte[] tar) throws IOException {
        return unpack(tar, Compression.NONE, LayerStore.Options.DEFAULT);
    }

    private Path unpack(byte[] blob, Compression c, LayerStore.Options options) throws IOException {
        String diffId = Digests.of(plain(blob, c));
        return store.ensure(diffId, () -> new ByteArrayInputStream(blob), c, options, "sha256:test");
    }

    private static byte[] plain(byte[] blob, Compression c) throws IOException {
        return c.open(new ByteArrayInputStream(blob), "blob").readAllBytes();
    }

    @Test
    void everyKindOfMemberInOverlayForm() throws IOException {
        byte[] cap = {1, 0, 0, 2, (byte) 0xff, 0, 0, 0, 0, 0, 0, 0, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0};
        long mtime = 1_600_000_000L;
        byte[] tar = new TestTar()
                .add("./", '5', 0755, 0, 0, new byte[0], "", 0, 0, Map.of(), mtime)
                .add("bin/", '5', 0711, 0, 0, new byte[0], "", 0, 0, Map.of(), mtime)
                .add("bin/ping", '0', 04755, 0, 0, "ELF".getBytes(), "", 0, 0,
                        Map.of("security.capability", cap, "user.note", new byte[] {0, (byte) 0xfe, 10}), mtime)
                .add("home/u/f", '0', 0640, 1000, 1001, "mine".getBytes(), "", 0, 0, Map.of(), mtime)
                .add("bin/sh", '2', 0777, 7, 8, new byte[0], "/bin/busybox", 0, 0, Map.of(), mtime)
                .add("bin/ping2", '1', 0, 0, 0, new byte[0], "bin/ping", 0, 0, Map.of(), mtime)
                .add("dev/null", '3', 0666, 0, 0, new byte[0], "", 1, 3, Map.of(), mtime)
                .add("dev/loop9", '4', 0660, 0, 6, new byte[0], "", 7, 9, Map.of(), mtime)
                .add("run/fifo", '6', 0620, 0, 0, new byte[0], "", 0, 0, Map.of(), mtime)
                .add("etc/.wh.gone", '0', 0, 0, 0, new byte[0], "", 0, 0, Map.of(), mtime)
                .add("var/.wh..wh..opq", '0', 0, 0, 0, new byte[0], "", 0, 0, Map.of(), mtime)
                .add("var/kept", '0', 0644, 0, 0, "v".getBytes(), "", 0, 0, Map.of(), mtime)
                .add("tmp/", '5', 01777, 0, 0, new byte[0], "", 0, 0, Map.of(), mtime)
                .bytes();
        Path layer = unpack(tar);
        assertThat(layer).isEqualTo(images.resolve("layers/sha256/" + Digests.hex(Digests.of(tar), "d")));

        assertThat(mode(layer.resolve("bin/ping"))).isEqualTo(0104755);
        assertThat(Files.readString(layer.resolve("bin/ping"))).isEqualTo("ELF");
        assertThat(xattr(layer.resolve("bin/ping"), "security.capability")).contains(cap);
        assertThat(xattr(layer.resolve("bin/ping"), "user.note")).contains(new byte[] {0, (byte) 0xfe, 10});
        assertThat(mode(layer.resolve("bin"))).isEqualTo(040711);
        assertThat(owner(layer.resolve("home/u/f"))).isEqualTo("1000:1001");
        assertThat(mode(layer.resolve("home/u"))).as("a parent the layer does not list").isEqualTo(040755);
        assertThat(Files.readSymbolicLink(layer.resolve("bin/sh"))).isEqualTo(Path.of("/bin/busybox"));
        assertThat(owner(layer.resolve("bin/sh"))).as("lchown: the link's own owner").isEqualTo("7:8");
        assertThat(Files.getAttribute(layer.resolve("bin/ping2"), "unix:ino"))
                .isEqualTo(Files.getAttribute(layer.resolve("bin/ping"), "unix:ino"));
        assertThat(mode(layer.resolve("dev/null"))).isEqualTo(020666);
        assertThat(Files.getAttribute(layer.resolve("dev/null"), "unix:rdev")).isEqualTo(Posix.makedev(1, 3));
        assertThat(mode(layer.resolve("dev/loop9"))).isEqualTo(060660);
        assertThat(owner(layer.resolve("dev/loop9"))).isEqualTo("0:6");
        assertThat(mode(layer.resolve("run/fifo"))).isEqualTo(010620);
        assertThat(mode(layer.resolve("tmp"))).isEqualTo(041777);
        // overlay's forms
        assertThat(mode(layer.resolve("etc/gone"))).as("whiteout").isEqualTo(020000);
        assertThat(Files.getAttribute(layer.resolve("etc/gone"), "unix:rdev", LinkOption.NOFOLLOW_LINKS)).isEqualTo(0L);
        assertThat(Files.exists(layer.resolve("etc/.wh.gone"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(xattr(layer.resolve("var"), "trusted.overlay.opaque")).contains(new byte[] {'y'});
        assertThat(xattr(layer.resolve("var"), "user.overlay.opaque")).as("for a root JVM's userns containers")
                .contains(new byte[] {'y'});
        assertThat(Files.exists(layer.resolve("var/.wh..wh..opq"), LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(Files.readString(layer.resolve("var/kept"))).isEqualTo("v");
        // times, also of directories (set after their content) and of the link itself
        FileTime t = FileTime.from(Instant.ofEpochSecond(mtime));
        for (String p : List.of("bin/ping", "bin", "bin/sh", "tmp", "dev/null", "run/fifo", "")) {
            assertThat(Files.getLastModifiedTime(layer.resolve(p), LinkOption.NOFOLLOW_LINKS)).as(p).isEqualTo(t);
        }
        assertThat(Files.list(images.resolve("layers/tmp")).toList()).as("nothing left in tmp").isEmpty();
    }

    @Test
    void rootlessStoresMarkOpaqueDirectoriesWithUserXattrs() throws IOException {
        byte[] tar = new TestTar().dir("d/", 0755).file("d/.wh..wh..opq", "").bytes();
        Path layer = unpack(tar, Compression.NONE, new LayerStore.Options(true, LayerStore.DEFAULT_MAX_BYTES));
        assertThat(xattr(layer.resolve("d"), "user.overlay.opaque")).contains(new byte[] {'y'});
        assertThat(xattr(layer.resolve("d"), "trusted.overlay.opaque")).isEmpty();
    }

    @Test
    void gzipZstdAndUncompressedLayersGiveTheSameTree() throws Exception {
        byte[] tar = new TestTar().dir("a/", 0755).file("a/f", 0600, "x".repeat(100_000).getBytes()).bytes();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream o = new GZIPOutputStream(gz)) {
            o.write(tar);
        }
        Path tarFile = base.resolve("l.tar");
        Files.write(tarFile, tar);
        Fixtures.prerequisite(onPath("zstd"), "zstd is needed (apt-get install zstd)");
        assertThat(new ProcessBuilder("zstd", "-q", "-f", tarFile.toString()).inheritIO().start().waitFor()).isZero();
        byte[] zst = Files.readAllBytes(base.resolve("l.tar.zst"));
        for (var c : List.of(Compression.GZIP, Compression.ZSTD)) {
            Path dir = base.resolve("by-" + c);
            Files.createDirectory(dir);
            byte[] blob = c == Compression.GZIP ? gz.toByteArray() : zst;
            String diff = LayerStore.unpackInto(dir, () -> new ByteArrayInputStream(blob), c,
                    LayerStore.Options.DEFAULT, Digests.of(tar), "layer");
            assertThat(diff).isEqualTo(Digests.of(tar));
            assertThat(Files.readString(dir.resolve("a/f"))).hasSize(100_000);
            assertThat(mode(dir.resolve("a/f"))).isEqualTo(0100600);
        }
        // the declared compression is checked against the content
        var e = assertThrows(IOException.class, () -> unpack(zst, Compression.GZIP, LayerStore.Options.DEFAULT));
        assertThat(e.getMessage()).contains("declared gzip but its content is zstd");
    }

    @Test
    void gnuTarOfARealTreeKeepsCapabilitiesByteForByte() throws Exception {
        Path src = base.resolve("src");
        Files.createDirectories(src.resolve("bin"));
        Files.writeString(src.resolve("bin/tool"), "tool");
        Fixtures.prerequisite(onPath("setcap"), "setcap is needed (apt-get install libcap2-bin)");
        assertThat(new ProcessBuilder("setcap", "cap_setuid,cap_net_raw+ep", src.resolve("bin/tool").toString())
                .inheritIO().start().waitFor()).isZero();
        byte[] expected = xattr(src.resolve("bin/tool"), "security.capability").orElseThrow();
        // CAP_SETUID is bit 7: the byte 0x80, which a UTF-8 decoding of the PAX value would turn into U+FFFD
        assertThat(expected).contains((byte) 0x80);
        Path tarFile = base.resolve("gnu.tar");
        assertThat(new ProcessBuilder("tar", "--xattrs", "--xattrs-include=*", "--format=pax", "-C", src.toString(),
                "-cf", tarFile.toString(), ".").inheritIO().start().waitFor()).isZero();
        Path layer = unpack(Files.readAllBytes(tarFile));
        assertThat(xattr(layer.resolve("bin/tool"), "security.capability")).contains(expected);
    }

    @Test
    void aDiffIdMismatchIsRefusedAndLeavesNothing() throws IOException {
        byte[] tar = new TestTar().file("f", "x").bytes();
        String wrong = Digests.of("other".getBytes());
        var e = assertThrows(LayerUnpacker.LayerException.class,
                () -> store.ensure(wrong, () -> new ByteArrayInputStream(tar), Compression.NONE,
                        LayerStore.Options.DEFAULT, "sha256:abc"));
        assertThat(e.getMessage()).contains("digests to " + Digests.of(tar)).contains("not its diffID " + wrong)
                .doesNotContain("\n");
        assertStoreEmpty();
    }

    @Test
    void aDecompressionBombStopsAtTheLimit() throws IOException {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream o = new GZIPOutputStream(gz)) {
            o.write(new TestTar().file("zeros", 0644, new byte[8 << 20]).bytes());
        }
        byte[] blob = gz.toByteArray();
        assertThat(blob.length).isLessThan(100_000);
        var e = assertThrows(LayerUnpacker.LayerException.class, () -> store.ensure(Digests.of("x".getBytes()),
                () -> new ByteArrayInputStream(blob), Compression.GZIP, new LayerStore.Options(false, 1 << 20), "sha256:bomb"));
        assertThat(e.getMessage()).isEqualTo("sha256:bomb: sha256:bomb expands beyond the limit of 1048576 bytes");
        assertStoreEmpty();
    }

    @Test
    void aTruncatedLayerIsRefused() throws IOException {
        byte[] tar = new TestTar().file("f", 0644, new byte[5000]).bytes();
        byte[] cut = java.util.Arrays.copyOf(tar, 2000);
        var e = assertThrows(LayerUnpacker.LayerException.class, () -> store.ensure(Digests.of(tar),
                () -> new ByteArrayInputStream(cut), Compression.NONE, LayerStore.Options.DEFAULT, "sha256:cut"));
        assertThat(e.getMessage()).startsWith("sha256:cut: truncated").doesNotContain("\n");
        assertStoreEmpty();
    }

    /** One hostile layer: what it holds, and what the refusal says. */
    private void refused(String expected, Consumer<TestTar> members) throws IOException {
        TestTar t = new TestTar();
        members.accept(t);
        byte[] tar = t.bytes();
        Exception e = assertThrows(Exception.class, () -> unpack(tar));
        assertThat(e).isInstanceOfAny(LayerUnpacker.LayerException.class, IOException.class);
        assertThat(e.getMessage()).contains(expected).doesNotContain("\n");
        assertStoreEmpty();
        assertThat(tree(outside)).as("outside the layer").containsExactly("keep");
        assertThat(Files.readString(outside.resolve("keep"))).isEqualTo("keep");
        assertThat(Files.getAttribute(outside.resolve("keep"), "unix:nlink")).isEqualTo(1);
        assertThat(tree(base)).as("beside the store").containsExactlyInAnyOrder("images", "outside", "outside/keep");
    }

    @Test
    void breakouts() throws IOException {
        String out = outside.toString();
        String outFile = outside.resolve("keep").toString();
        refused("'..' in its name", t -> t.file("../outside/evil", "x"));
        refused("'..' in its name", t -> t.file("a/../../evil", "x"));
        refused("an absolute name", t -> t.file(outside.resolve("evil").toString(), "x"));
        // writing through links: absolute, relative out of the root, chained, a trailing slash
        refused("'link' is a symbolic link", t -> t.symlink("link", out).file("link/evil", "x"));
        refused("'link' is a symbolic link", t -> t.symlink("link", "../../../../outside").file("link/evil", "x"));
        refused("'a' is a symbolic link", t -> t.symlink("b", out).symlink("a", "b").file("a/evil", "x"));
        refused("'d/l' is a symbolic link", t -> t.dir("d/", 0755).symlink("d/l", "../../../../../outside")
                .file("d/l/keep", "overwritten"));
        refused("whose name ends in '/'", t -> t.symlink("s", outFile).file("s/", "overwritten"));
        // hard links out, and through a linked directory
        refused("'..' in '../../../../outside/keep'", t -> t.hardlink("h", "../../../../outside/keep"));
        refused("an absolute name ('" + outFile + "')", t -> t.hardlink("h", outFile));
        refused("'l' is a symbolic link", t -> t.symlink("l", out).hardlink("h", "l/keep"));
        refused("which the layer does not hold", t -> t.hardlink("h", "nothing"));
        // a directory replaced by a link between members
        refused("'d' is a symbolic link", t -> t.dir("d/", 0755).symlink("d", out).file("d/evil", "x"));
        // a '.' link at the root (umoci CVE-2021-29136)
        refused("the layer's root is not a directory", t -> t.symlink(".", out).file("evil", "x"));
        refused("a symlink whose name ends in '/'", t -> t.symlink("./", out));
        // whiteouts of the root, of '..', through a link
        refused("a whiteout of ''", t -> t.file(".wh.", ""));
        refused("a whiteout of '.'", t -> t.file(".wh..", ""));
        refused("a whiteout of '..'", t -> t.file("d/.wh...", ""));
        refused("'link' is a symbolic link", t -> t.symlink("link", out).file("link/.wh.keep", ""));
        refused("an opaque marker for the layer's root", t -> t.file(".wh..wh..opq", ""));
        refused("'link' is a symbolic link", t -> t.symlink("link", out).file("link/.wh..wh..opq", ""));
        // overlay's own attributes may not come from an image
        refused("carries overlayfs' own attribute trusted.overlay.redirect", t -> t.add("d/", '5', 0755, 0, 0,
                new byte[0], "", 0, 0, Map.of("trusted.overlay.redirect", "/x".getBytes()), 0));
    }

    @Test
    void attributesAreNeverSetThroughALink() throws IOException {
        // a link, then the same name as a file with mode, owner, xattrs: the link is replaced, its
        // target outside untouched; a link's own attributes go to the link
        Path layer = unpack(new TestTar().symlink("l", outside.resolve("keep").toString())
                .add("l2", '2', 0777, 5, 5, new byte[0], outside.resolve("keep").toString(), 0, 0,
                        Map.of("trusted.note", "x".getBytes()), 123)
                .bytes());
        assertThat(owner(outside.resolve("keep"))).isEqualTo("0:0");
        assertThat(mode(outside.resolve("keep"))).isEqualTo(0100644);
        assertThat(xattr(outside.resolve("keep"), "trusted.note")).isEmpty();
        assertThat(Files.getLastModifiedTime(outside.resolve("keep"))).isNotEqualTo(FileTime.fromMillis(123_000));
        assertThat(owner(layer.resolve("l2"))).isEqualTo("5:5");
        assertThat(xattr(layer.resolve("l2"), "trusted.note")).contains("x".getBytes());
    }

    @Test
    void leftoverTemporaryDirectoriesAreRemovedAtTheNextUnpack() throws IOException {
        Path stale = images.resolve("layers/tmp/" + "ab".repeat(32) + ".killed");
        Files.createDirectories(stale.resolve("half/written"));
        Files.writeString(stale.resolve("half/written/f"), "x");
        Files.setAttribute(stale.resolve("half"), "unix:mode", 0);
        unpack(new TestTar().file("f", "x").bytes());
        assertThat(Files.exists(stale)).isFalse();
        assertThat(Files.list(images.resolve("layers/tmp")).toList()).isEmpty();
    }

    @Test
    void concurrentUnpacksOfOneLayerUnpackItOnce() throws Exception {
        byte[] tar = new TestTar().file("f", 0644, new byte[200_000]).bytes();
        AtomicInteger opened = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                all.add(pool.submit(() -> {
                    go.await();
                    return store.ensure(Digests.of(tar), () -> {
                        opened.incrementAndGet();
                        return new ByteArrayInputStream(tar);
                    }, Compression.NONE, LayerStore.Options.DEFAULT, "sha256:shared");
                }));
            }
            go.countDown();
            for (Future<Path> f : all) {
                assertThat(f.get()).isEqualTo(store.path(Digests.of(tar)));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(opened).hasValue(1);
        assertThat(store.list()).containsExactly(Digests.of(tar));
    }

    private static boolean onPath(String tool) throws Exception {
        return new ProcessBuilder("sh", "-c", "command -v " + tool).start().waitFor() == 0;
    }

    private void assertStoreEmpty() throws IOException {
        assertThat(tree(images.resolve("layers/sha256")).stream().filter(n -> !n.endsWith(".lock")))
                .as("no layer kept").isEmpty();
        assertThat(tree(images.resolve("layers/tmp"))).as("no temporary directory left").isEmpty();
    }

    private static List<String> tree(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).filter(p -> !p.startsWith(dir.resolve("images/layers")))
                    .map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    private static int mode(Path p) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    }

    private static String owner(Path p) throws IOException {
        return Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":"
                + Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    private static Optional<byte[]> xattr(Path p, String name) {
        return Posix.lgetxattr(p.toString(), name, p.toString());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
