package io.mdocker;

import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Labels (Docker's {@code --label}): set on the definition, recorded with the container's state so
 * that any process sees them, on handles, {@link ContainerInfo} and {@link ContainerRuntime#list}'s
 * filters; any value round-trips; bad keys are one-line errors before anything exists.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LabelsTest {
    private static final DetachedRoots ROOTS = new DetachedRoots();

    /** Values the state file must escape: separators, comment marks, line breaks, backslashes, spaces, non-ASCII. */
    static final Map<String, String> ODD = odd();

    private static Map<String, String> odd() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("org.example.app", "web");
        m.put("key:with spaces#and!marks", "a=b:c #not a comment\n! second line\\n \\ end");
        m.put("empty", "");
        m.put("  padded", "  leading and trailing  ");
        m.put("unicode.✓", "Grüße, 世界 \u0001\t");
        return m;
    }

    @AfterAll
    static void sweep() {
        ROOTS.sweep();
    }

    @Test
    void anAttachedContainersLabelsAreOnItsHandleAndInTheListAndFilterIt() {
        ContainerRuntime rt = ROOTS.runtime("labels-attached");
        Container def = Container.builder().rootfs(Fixtures.rootfs()).runtime(rt).labels(ODD).label("tier", "front")
                .label("tier", "back").build();
        assertThat(def.labels()).containsExactlyEntriesOf(withTier(ODD, "back")); // in the order set, replaced in place
        try (RunningContainer c = def.start("/bin/sleep", "60");
             RunningContainer other = Fixtures.container().runtime(rt).label("tier", "front").start("/bin/sleep", "60")) {
            assertThat(c.labels()).isEqualTo(withTier(ODD, "back"));
            assertThat(other.labels()).isEqualTo(Map.of("tier", "front"));
            assertThat(rt.inspect(c.id()).labels()).isEqualTo(withTier(ODD, "back"))
                    .as("sorted by key").containsExactlyEntriesOf(new java.util.TreeMap<>(withTier(ODD, "back")));

            assertThat(ids(rt.list())).containsExactlyInAnyOrder(c.id(), other.id());
            assertThat(ids(rt.list(ContainerFilter.label("tier")))).containsExactlyInAnyOrder(c.id(), other.id());
            assertThat(ids(rt.list(ContainerFilter.label("tier", "back")))).containsExactly(c.id());
            assertThat(ids(rt.list(ContainerFilter.parse("label=tier=front")))).containsExactly(other.id());
            assertThat(ids(rt.list(ContainerFilter.label("empty", "")))).containsExactly(c.id());
            assertThat(ids(rt.list(ContainerFilter.label("tier"), ContainerFilter.label("org.example.app", "web"))))
                    .as("all must match").containsExactly(c.id());
            assertThat(ids(rt.list(ContainerFilter.label("tier", "front"), ContainerFilter.label("org.example.app"))))
                    .isEmpty();
            assertThat(rt.list(ContainerFilter.label("tier", "bac"))).isEmpty();
            assertThat(rt.list(ContainerFilter.label("nope"))).isEmpty();
            assertThat(ids(rt.list(ContainerFilter.label("key:with spaces#and!marks",
                    "a=b:c #not a comment\n! second line\\n \\ end")))).containsExactly(c.id());
        }
        assertThat(rt.list()).isEmpty();
    }

    @Test
    void aDetachedContainersLabelsAreReadFromItsRecordByAnyHandle() {
        ContainerRuntime rt = ROOTS.runtime("labels-detached");
        DetachedContainer d = Container.builder().rootfs(Fixtures.rootfs()).runtime(rt).labels(ODD)
                .startDetached("/bin/sleep", "60");
        try {
            assertThat(d.labels()).isEqualTo(ODD);
            ContainerRuntime again = ContainerRuntime.at(rt.libRoot(), rt.runRoot()); // as another process would
            assertThat(again.attach(d.id()).labels()).isEqualTo(ODD);
            assertThat(again.list(ContainerFilter.label("org.example.app", "web"))).singleElement()
                    .satisfies(i -> assertThat(i.labels()).isEqualTo(ODD));
            d.stop(java.time.Duration.ofSeconds(5));
            assertThat(again.list(ContainerFilter.label("unicode.✓"))).as("exited, still listed with its labels")
                    .singleElement().satisfies(i -> assertThat(i.state()).isEqualTo(ContainerInfo.State.EXITED));
        } finally {
            d.remove(true);
        }
        assertThat(rt.list()).isEmpty();
    }

    @Test
    void anotherJvmsContainersAreListedWithTheirLabels() throws Exception {
        ContainerRuntime rt = ROOTS.runtime("labels-other-jvm");
        RecoveryChild.Launched child = RecoveryChild.launch(Fixtures.rootfs(), rt.libRoot(), rt.runRoot(), 2,
                "detached:1", "stdin", "label:team=core", "label:odd=x=y\\z");
        String detached = child.ids().get(0);
        String attached = child.ids().get(1);
        try {
            assertThat(rt.list(ContainerFilter.label("team", "core"), ContainerFilter.label("odd", "x=y\\z")))
                    .extracting(ContainerInfo::id).containsExactlyInAnyOrder(detached, attached);
            assertThat(rt.inspect(attached).labels()).isEqualTo(Map.of("team", "core", "odd", "x=y\\z"));
            assertThat(rt.inspect(attached).detached()).isFalse();
        } finally {
            child.process().getOutputStream().close(); // the child closes its attached container and exits
            assertThat(child.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(rt.list()).extracting(ContainerInfo::id).containsExactly(detached);
        rt.attach(detached).remove(true);
        assertThat(rt.list()).isEmpty();
    }

    @Test
    void badLabelsAreOneLineErrorsBeforeAnythingExists() throws IOException {
        ContainerRuntime rt = ROOTS.runtime("labels-bad");
        Container.Builder b = Container.builder().rootfs(Fixtures.rootfs()).runtime(rt);
        assertThatThrownBy(() -> b.label("", "v")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("invalid label key '': expected a non-empty key without '=', NUL or line breaks");
        assertThatThrownBy(() -> b.label("a=b", "v"))
                .hasMessage("invalid label key 'a=b': expected a non-empty key without '=', NUL or line breaks");
        assertThatThrownBy(() -> b.label("a\0b", "v"))
                .hasMessage("invalid label key 'a\\0b': expected a non-empty key without '=', NUL or line breaks");
        assertThatThrownBy(() -> b.label("two\nlines", "v"))
                .hasMessage("invalid label key 'two\\nlines': expected a non-empty key without '=', NUL or line breaks");
        assertThatThrownBy(() -> b.label("=v")).hasMessage("invalid label '=v': expected KEY=VALUE");
        assertThatThrownBy(() -> b.labels(Map.of("ok", "1", "a\rb", "2")))
                .hasMessage("invalid label key 'a\\rb': expected a non-empty key without '=', NUL or line breaks");
        assertThatThrownBy(() -> b.label("k", null)).isInstanceOf(NullPointerException.class);
        assertThat(b.build().labels()).as("nothing of the refused calls was set").isEmpty();
        assertThat(b.label("k").label("x=1=2").build().labels()).isEqualTo(Map.of("k", "", "x", "1=2"));

        assertThatThrownBy(() -> ContainerFilter.parse("before=web")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unsupported filter 'before=web': expected label=KEY[=VALUE], status=, name=, id=, exited=, "
                        + "health= or ancestor=");
        assertThatThrownBy(() -> ContainerFilter.parse("status")).hasMessageStartingWith("unsupported filter 'status':");
        assertThatThrownBy(() -> ContainerFilter.parse("status=up"))
                .hasMessage("invalid filter 'status=up': expected one of created, restarting, running, removing, paused, "
                        + "exited, dead");
        assertThatThrownBy(() -> ContainerFilter.parse("name=web[")).hasMessageStartingWith("invalid filter 'name=web[': "
                + "expected a regular expression (");
        assertThatThrownBy(() -> ContainerFilter.parse("id=XYZ"))
                .hasMessage("invalid filter 'id=XYZ': expected the beginning of an id (hexadecimal digits)");
        assertThatThrownBy(() -> ContainerFilter.parse("id=")).hasMessageStartingWith("invalid filter 'id=': ");
        assertThatThrownBy(() -> ContainerFilter.parse("exited=zero"))
                .hasMessage("invalid filter 'exited=zero': expected an exit code");
        assertThatThrownBy(() -> ContainerFilter.parse("health=ok"))
                .hasMessage("invalid filter 'health=ok': expected one of starting, healthy, unhealthy, none");
        assertThatThrownBy(() -> ContainerFilter.parse("label="))
                .hasMessage("invalid label key '': expected a non-empty key without '=', NUL or line breaks");
        assertThat(ContainerFilter.parse("label=a=b=c")).isEqualTo(ContainerFilter.label("a", "b=c"));
        assertThat(ContainerFilter.parse("label=a")).hasToString("label=a");
        assertThat(rt.list()).isEmpty();
        assertThat(Fixtures.list(rt.runRoot().resolve("containers"))).as("nothing made").isEmpty();
    }

    @Test
    void theOtherFiltersTakeStateNameIdExitCodeAndHealth() {
        ContainerRuntime rt = ROOTS.runtime("labels-filters");
        Container.Builder b = Container.builder().rootfs(Fixtures.rootfs()).runtime(rt);
        DetachedContainer web = b.build().toBuilder().name("ft-web-1").label("tier", "web").startDetached("/bin/sleep", "60");
        DetachedContainer admin = b.build().toBuilder().name("my-web-admin").startDetached("/bin/sleep", "60");
        DetachedContainer db = b.build().toBuilder().name("ft-db").startDetached("/bin/sh", "-c", "exit 3");
        DetachedContainer killed = b.build().toBuilder().name("ft-killed").startDetached("/bin/sleep", "60");
        try {
            assertThat(db.waitFor()).isEqualTo(3);
            killed.kill(Signal.KILL);
            assertThat(killed.waitFor()).isEqualTo(137);
            admin.pause();
            assertThat(ids(rt.list(ContainerFilter.status("running")))).containsExactly(web.id());
            assertThat(ids(rt.list(ContainerFilter.status("paused")))).containsExactly(admin.id());
            assertThat(ids(rt.list(ContainerFilter.parse("status=exited")))).containsExactly(db.id(), killed.id());
            assertThat(ids(rt.list(ContainerFilter.status("running"), ContainerFilter.status("paused"))))
                    .as("one kind: any matches").containsExactly(web.id(), admin.id());
            assertThat(rt.list(ContainerFilter.status("dead"))).isEmpty();
            assertThat(ids(rt.list(ContainerFilter.name("web")))).as("found in the name").containsExactly(web.id(), admin.id());
            assertThat(ids(rt.list(ContainerFilter.name("^ft-")))).containsExactly(web.id(), db.id(), killed.id());
            assertThat(ids(rt.list(ContainerFilter.name("^ft-"), ContainerFilter.status("exited"))))
                    .as("two kinds: both match").containsExactly(db.id(), killed.id());
            assertThat(ids(rt.list(ContainerFilter.id(web.id().substring(0, 6)), ContainerFilter.id(db.id()))))
                    .containsExactly(web.id(), db.id());
            assertThat(ids(rt.list(ContainerFilter.exited(3)))).containsExactly(db.id());
            assertThat(ids(rt.list(ContainerFilter.parse("exited=137")))).containsExactly(killed.id());
            assertThat(rt.list(ContainerFilter.exited(0))).isEmpty();
            assertThat(ids(rt.list(ContainerFilter.health("none"), ContainerFilter.label("tier", "web"))))
                    .containsExactly(web.id());
            assertThat(rt.list(ContainerFilter.health("healthy"))).isEmpty();
            assertThat(ContainerFilter.parse("name=^ft-")).isEqualTo(ContainerFilter.name("^ft-")).hasToString("name=^ft-");
        } finally {
            admin.unpause();
            for (DetachedContainer d : List.of(web, admin, db, killed)) {
                d.remove(true);
            }
        }
        assertThat(rt.list()).isEmpty();
    }

    private static Map<String, String> withTier(Map<String, String> m, String tier) {
        Map<String, String> out = new LinkedHashMap<>(m);
        out.put("tier", tier);
        return out;
    }

    private static List<String> ids(List<ContainerInfo> infos) {
        return infos.stream().map(ContainerInfo::id).toList();
    }
}
