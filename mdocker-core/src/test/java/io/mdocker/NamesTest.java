package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Container names (Docker's {@code --name}): unique on a run root while their container exists,
 * accepted wherever an id is, free again once it is removed, taken over from a dead owner.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class NamesTest {
    private static final DetachedRoots ROOTS = new DetachedRoots();
    private static final ContainerRuntime RT = ROOTS.runtime("names");

    @AfterAll
    static void sweep() {
        ROOTS.sweep();
    }

    private static Container.Builder container() {
        return Container.builder().rootfs(Fixtures.rootfs()).runtime(RT);
    }

    private static Path names() {
        return RT.runRoot().resolve("names");
    }

    /** Whether the name's link exists (a dangling one too: its target is an id, not a file). */
    private static boolean linked(String name) {
        return Files.isSymbolicLink(names().resolve(name));
    }

    private static List<Path> records() throws Exception {
        try (var s = Files.list(RT.runRoot().resolve("containers"))) {
            return s.toList();
        }
    }

    @Test
    void aDetachedContainerIsFoundByItsNameWhichIsHeldUntilItIsRemoved() throws Exception {
        DetachedContainer web = container().name("web-1.a_b").startDetached("/bin/sleep", "600");
        Leftovers made = Leftovers.of(RT, web.id());
        assertThat(web.name()).contains("web-1.a_b");
        assertThat(Files.readSymbolicLink(names().resolve("web-1.a_b"))).hasToString(web.id());

        DetachedContainer byName = RT.attach("web-1.a_b");
        assertThat(byName.id()).isEqualTo(web.id());
        assertThat(byName.name()).contains("web-1.a_b");
        assertThat(RT.inspect("web-1.a_b").name()).contains("web-1.a_b");
        assertThat(RT.list()).filteredOn(i -> i.id().equals(web.id())).singleElement()
                .satisfies(i -> assertThat(i.name()).contains("web-1.a_b"));
        assertThat(RT.exec("web-1.a_b", Exec.builder("hostname").build()).stdout()).isEqualTo(web.shortId() + "\n");

        // Taken: one line naming the holder, before anything of the second container exists.
        List<Path> before = records();
        assertThatThrownBy(() -> container().name("web-1.a_b").startDetached("/bin/true"))
                .isInstanceOf(ContainerException.class)
                .hasMessage("the container name web-1.a_b is already in use by container " + web.shortId()
                        + ": remove that container or choose another name");
        assertThat(records()).containsExactlyInAnyOrderElementsOf(before);

        byName.remove(true);
        made.assertGone();
        assertThat(linked("web-1.a_b")).isFalse();
        DetachedContainer again = container().name("web-1.a_b").startDetached("/bin/sleep", "600");
        assertThat(RT.attach("web-1.a_b").id()).isEqualTo(again.id()).isNotEqualTo(web.id());
        again.remove(true);
        assertThat(linked("web-1.a_b")).isFalse();
    }

    @Test
    void anAttachedContainerHoldsItsNameWhileItRunsAndGivesItUpWhenClosed() throws Exception {
        RunningContainer c = container().name("attached").start("/bin/sleep", "600");
        try (c) {
            assertThat(c.name()).contains("attached");
            assertThat(RT.inspect("attached").id()).isEqualTo(c.id());
            assertThatThrownBy(() -> container().name("attached").run("/bin/true"))
                    .isInstanceOf(ContainerException.class).hasMessageContaining("already in use by container " + c.shortId());
        }
        assertThat(linked("attached")).isFalse();
        assertThat(container().name("attached").run("/bin/true").exitCode()).isZero();
        ContainerRuntime.awaitCleanup();
        assertThat(linked("attached")).isFalse();
        assertThat(RT.list()).noneMatch(i -> i.name().isPresent());
    }

    @Test
    void ofContainersStartedAtOnceWithOneNameExactlyOneGetsIt() throws Exception {
        int n = 6;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<RunningContainer>> starts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            starts.add(pool.submit(() -> {
                go.await();
                return container().name("contended").start("/bin/sleep", "600");
            }));
        }
        go.countDown();
        List<RunningContainer> started = new ArrayList<>();
        List<String> refused = new ArrayList<>();
        for (Future<RunningContainer> f : starts) {
            try {
                started.add(f.get(60, TimeUnit.SECONDS));
            } catch (java.util.concurrent.ExecutionException e) {
                refused.add(e.getCause().getMessage());
            }
        }
        pool.shutdown();
        try {
            assertThat(started).hasSize(1);
            assertThat(refused).hasSize(n - 1).allSatisfy(m -> assertThat(m)
                    .isEqualTo("the container name contended is already in use by container " + started.get(0).shortId()
                            + ": remove that container or choose another name"));
            assertThat(RT.inspect("contended").id()).isEqualTo(started.get(0).id());
        } finally {
            started.forEach(RunningContainer::close);
        }
        ContainerRuntime.awaitCleanup();
        assertThat(records()).isEmpty();
        assertThat(linked("contended")).isFalse();
    }

    @Test
    void aNameWhoseContainerIsGoneIsTakenOverAndGcPrunesSuchNames() throws Exception {
        // What a process killed between claiming a name and recording its container leaves.
        Files.createDirectories(names());
        String ghost = "ab".repeat(32);
        Files.createSymbolicLink(names().resolve("orphan"), Path.of(ghost));
        Files.createSymbolicLink(names().resolve("orphan2"), Path.of(ghost));
        assertThatThrownBy(() -> RT.attach("orphan")).isInstanceOf(ContainerException.class)
                .hasMessage("no such container: orphan");

        DetachedContainer d = container().name("orphan").startDetached("/bin/sleep", "600");
        assertThat(Files.readSymbolicLink(names().resolve("orphan"))).hasToString(d.id());
        RT.gc();
        assertThat(linked("orphan2")).isFalse();
        assertThat(linked("orphan")).isTrue(); // held: its container runs
        d.stop(Duration.ofSeconds(5));
        RT.gc();
        assertThat(linked("orphan")).as("an exited detached container keeps its name until removed").isTrue();
        d.remove(false);
        assertThat(linked("orphan")).isFalse();
    }

    @Test
    void badNamesAreOneLineErrors() {
        for (String bad : new String[] {"a", "-web", ".web", "web/1", "web 1", "wéb", "x".repeat(256)}) {
            assertThatThrownBy(() -> container().name(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("invalid container name '" + bad + "': expected a letter or digit, then letters, digits, "
                            + "'_', '.' or '-' (2 to 255 characters)");
        }
        assertThat(container().name("x".repeat(255)).build().name()).hasValueSatisfying(n -> assertThat(n).hasSize(255));
    }
}
