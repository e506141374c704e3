package io.mdocker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.mdocker.testing.Fixtures;
import io.mdocker.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Containers of stored images: the image's config applied (Entrypoint, Cmd, Env, WorkingDir, a
 * User by name) and overridden as Docker's flags do, the image store's list, inspect and remove
 * (refused while a container uses the image), and a run without images never loading Jackson.
 */
class ImageContainerTest {
    private static ImageStore store;

    @BeforeAll
    static void loadImage() throws Exception {
        Fixtures.rootfs();
        Path base = Fixtures.TARGET.resolve("image-tests").resolve("containers");
        Path layout = TestImages.umociLayout(base);
        store = ImageStore.of(Fixtures.RUNTIME);
        Image i = store.loadOciLayout(layout, Optional.of("v2"), Optional.of("mdocker-test/bb:v2"));
        assertThat(i.names()).containsExactly("docker.io/mdocker-test/bb:v2");
    }

    private static Container.Builder image() {
        return Container.builder().image("mdocker-test/bb:v2").runtime(Fixtures.RUNTIME);
    }

    @Test
    void theImagesConfigIsApplied() {
        ExecResult r = image().run();
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).isEqualTo("from-image\n");
        ExecResult ids = image().entrypoint("/bin/sh", "-c").command("echo $GREETING $(pwd) $(id -u):$(id -g)").run();
        assertThat(ids.stdout()).isEqualTo("hello /etc 1234:2345\n");
        assertThat(image().run("given").stdout()).as("arguments replace Cmd, after the Entrypoint").isEqualTo("given\n");
        assertThat(image().build().labels()).containsEntry("org.example", "yes");
    }

    @Test
    void theImageIsRecordedAndFiltersTheList() {
        try (RunningContainer fromImage = image().entrypoint("/bin/sleep").start("60");
             RunningContainer fromRootfs = Fixtures.container().start("/bin/sleep", "60")) {
            ContainerRuntime rt = Fixtures.RUNTIME;
            assertThat(rt.inspect(fromImage.id()).image()).contains("mdocker-test/bb:v2");
            assertThat(rt.inspect(fromRootfs.id()).image()).contains(Fixtures.rootfs().toString());
            // compared by what the references name: the full name is the same image
            assertThat(rt.list(ContainerFilter.ancestor("docker.io/mdocker-test/bb:v2"))).extracting(ContainerInfo::id)
                    .contains(fromImage.id()).doesNotContain(fromRootfs.id());
            assertThat(rt.list(ContainerFilter.parse("ancestor=" + Fixtures.rootfs()))).extracting(ContainerInfo::id)
                    .contains(fromRootfs.id()).doesNotContain(fromImage.id());
            assertThat(rt.list(ContainerFilter.ancestor("mdocker-test/bb"))).as("bb:latest is another image")
                    .extracting(ContainerInfo::id).doesNotContain(fromImage.id());
        }
        assertThatThrownBy(() -> ContainerFilter.parse("ancestor=")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid filter 'ancestor=': expected an image reference or a root filesystem's directory");
    }

    @Test
    void theBuilderOverridesTheImage() {
        ExecResult r = image().entrypoint("/bin/sh", "-c").user("0").workdir("/").env("GREETING", "bye")
                .run("echo $GREETING $(pwd) $(id -u):$(id -g)");
        assertThat(r.stdout()).isEqualTo("bye / 0:0\n");
        assertThat(image().user("app:staff").entrypoint("/bin/sh", "-c").run("id -u; id -g").stdout()).isEqualTo("1234\n50\n");
        assertThat(image().entrypoint().run("/bin/cat", "/etc/app/conf").stdout()).isEqualTo("v2\n");
        assertThat(image().entrypoint("/bin/ls").run("-d", "/tmp").exitCode()).as("/tmp whited out").isNotZero();
    }

    @Test
    void badImagesAndUsersAreOneLineErrors() {
        var e = assertThrows(IllegalArgumentException.class, () -> Container.builder().image("mdocker-test/absent:1")
                .pullPolicy(PullPolicy.NEVER).runtime(Fixtures.RUNTIME).build()); // never: no traffic to docker.io
        assertThat(e.getMessage()).startsWith("image mdocker-test/absent:1 is not in the image store").doesNotContain("\n");
        e = assertThrows(IllegalArgumentException.class, () -> image().user("nobody-here").build());
        assertThat(e.getMessage()).isEqualTo("user 'nobody-here' is not in the /etc/passwd of image "
                + "docker.io/mdocker-test/bb:v2");
        e = assertThrows(IllegalArgumentException.class, () -> Container.builder().image("Bad Name"));
        assertThat(e.getMessage()).startsWith("invalid image reference 'Bad Name'");
        e = assertThrows(IllegalArgumentException.class, () -> Fixtures.container().user("app"));
        assertThat(e.getMessage()).isEqualTo("invalid user 'app': expected UID[:GID] with numeric ids");
        e = assertThrows(IllegalArgumentException.class, () -> image().user("app").rootfs(Fixtures.rootfs()).build());
        assertThat(e.getMessage()).isEqualTo("invalid user 'app': expected UID[:GID] with numeric ids");
    }

    @Test
    void anImageInUseIsNotRemovedUnlessForced() throws Exception {
        Path base = Fixtures.TARGET.resolve("image-tests").resolve("containers");
        Image copy = store.importRootfs(base.resolve("busybox-rootfs"), "mdocker-test/inuse:1");
        assertThat(store.list()).extracting(Image::id).contains(copy.id());
        try (RunningContainer c = Container.builder().image("mdocker-test/inuse:1").runtime(Fixtures.RUNTIME)
                .start("/bin/sleep", "30")) {
            var e = assertThrows(IllegalStateException.class, () -> store.remove("mdocker-test/inuse:1", false));
            assertThat(e.getMessage()).contains("is used by a container");
            // forced: the name goes, the layer under the running overlay stays until the container ends
            assertThat(store.remove("mdocker-test/inuse:1", true)).contains("Deleted: " + copy.id());
            assertThat(c.exec(Exec.builder("/bin/ls", "/bin/busybox").build()).exitCode()).isZero();
            store.prune();
            assertThat(c.exec(Exec.builder("/bin/ls", "/bin/busybox").build()).exitCode()).isZero();
        }
        store.prune();
        Image again = store.importRootfs(base.resolve("busybox-rootfs"), "mdocker-test/inuse:1");
        assertThat(store.remove("mdocker-test/inuse:1", false)).as("no container uses it now")
                .contains("Deleted: " + again.id());
        assertThat(store.inspect("mdocker-test/inuse:1")).isEmpty();
    }

    @Test
    void tagGivesAnImageAnotherNameThatContainersRunBy() {
        Image bb = store.inspect("mdocker-test/bb:v2").orElseThrow();
        Image tagged = store.tag("mdocker-test/bb:v2", "mdocker-test/tagged:1");
        try {
            assertThat(tagged.id()).isEqualTo(bb.id());
            assertThat(tagged.names()).contains("docker.io/mdocker-test/bb:v2", "docker.io/mdocker-test/tagged:1");
            assertThat(Container.builder().image("mdocker-test/tagged:1").runtime(Fixtures.RUNTIME).build().run().stdout())
                    .isEqualTo("from-image\n");
            assertThat(store.tag(bb.id().substring(7, 19), "mdocker-test/tagged:1").names()).as("again, by ID: no change")
                    .containsExactlyInAnyOrderElementsOf(tagged.names());
            var e = assertThrows(IllegalArgumentException.class, () -> store.tag("mdocker-test/absent:1", "mdocker-test/x:1"));
            assertThat(e.getMessage()).isEqualTo("no such image: mdocker-test/absent:1");
            e = assertThrows(IllegalArgumentException.class, () -> store.tag("mdocker-test/bb:v2", "Bad Name"));
            assertThat(e.getMessage()).startsWith("invalid image reference 'Bad Name'").doesNotContain("\n");
            assertThat(store.inspect("mdocker-test/x:1")).isEmpty();
        } finally {
            store.remove("mdocker-test/tagged:1", false);
        }
        assertThat(store.inspect("mdocker-test/bb:v2").orElseThrow().names()).containsExactly("docker.io/mdocker-test/bb:v2");
    }

    @Test
    void aRunWithoutImagesLoadsNoJackson() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-verbose:class", "-cp",
                System.getProperty("java.class.path"), NoImageChild.class.getName(), Fixtures.rootfs().toString(),
                Fixtures.STATE.resolve("lib").toString(), Fixtures.STATE.resolve("run").toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out.lines().filter(l -> !l.startsWith("[")).toList().toString()).isZero();
        assertThat(out).contains("child ran: ok").contains("io.mdocker.Container ");
        assertThat(out.lines().filter(l -> l.contains("com.fasterxml")).toList()).isEmpty();
        assertThat(out.lines().filter(l -> l.contains("io.mdocker.internal.image")).toList()).isEmpty();
    }
}
