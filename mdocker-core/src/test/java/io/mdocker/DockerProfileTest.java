package io.mdocker;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built-in profile against Docker's published one for the version it claims (the list in
 * src/test/resources/docker-25.0.0-seccomp.txt, one line per syscall and rule, written from moby's
 * profiles/seccomp/default.json at v25.0.0): any syscall allowed, refused or conditioned
 * differently fails this test, so the profile cannot drift from Docker's silently.
 */
class DockerProfileTest {
    static final String RESOURCE = "/docker-25.0.0-seccomp.txt";

    @Test
    @DisplayName("SeccompProfile.dockerDefault() is Docker 25.0.0's default profile, rule for rule")
    void builtInProfileIsDockers() throws IOException {
        TreeSet<String> docker = new TreeSet<>(published());
        TreeSet<String> ours = new TreeSet<>(render(SeccompProfile.dockerDefault()));
        TreeSet<String> onlyOurs = new TreeSet<>(ours);
        onlyOurs.removeAll(docker);
        TreeSet<String> onlyDocker = new TreeSet<>(docker);
        onlyDocker.removeAll(ours);
        assertThat(onlyOurs).as("in the built-in profile, not in Docker's").isEmpty();
        assertThat(onlyDocker).as("in Docker's profile, not in the built-in one").isEmpty();
    }

    @Test
    @DisplayName("io_uring is not allowed, under any capability (moby#46762, containerd 2.0)")
    void noIoUring() throws IOException {
        assertThat(published()).noneMatch(l -> l.contains(" io_uring"));
        assertThat(render(SeccompProfile.dockerDefault())).noneMatch(l -> l.contains(" io_uring"));
    }

    @Test
    @DisplayName("the comparison can fail: a profile with one more allowed call differs")
    void comparisonCanFail() throws IOException {
        SeccompProfile more = SeccompProfile.dockerDefault().toBuilder()
                .rule(SeccompProfile.Rule.of(SeccompProfile.Action.allow(), "io_uring_setup")).build();
        assertThat(new TreeSet<>(render(more))).isNotEqualTo(new TreeSet<>(published()))
                .contains("SCMP_ACT_ALLOW io_uring_setup");
    }

    /** The resource's lines, without comments and blank lines. */
    static List<String> published() throws IOException {
        try (InputStream in = Objects.requireNonNull(DockerProfileTest.class.getResourceAsStream(RESOURCE), RESOURCE)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }
    }

    /**
     * One line per syscall name of each rule, in the resource's form: the action as Docker's JSON
     * names it, the name, then the rule's conditions in Docker's terms (args, includes, excludes).
     */
    static List<String> render(SeccompProfile p) {
        List<String> lines = new ArrayList<>();
        lines.add("defaultAction " + action(p.defaultAction()));
        for (SeccompProfile.Rule r : p.rules()) {
            StringBuilder cond = new StringBuilder();
            for (SeccompProfile.Arg a : r.args()) {
                cond.append(" arg").append(a.index()).append(' ').append(a.op()).append(' ')
                        .append(Long.toUnsignedString(a.value()));
                if (a.op() == SeccompProfile.Op.MASKED_EQ) {
                    cond.append(' ').append(Long.toUnsignedString(a.valueTwo()));
                }
            }
            if (!r.includesCaps().isEmpty()) {
                cond.append(" caps=").append(r.includesCaps().stream().map(Capability::kernelName).sorted().collect(Collectors.joining(",")));
            }
            if (!r.excludesCaps().isEmpty()) {
                cond.append(" !caps=").append(r.excludesCaps().stream().map(Capability::kernelName).sorted().collect(Collectors.joining(",")));
            }
            if (!r.includesArches().isEmpty()) {
                cond.append(" arches=").append(r.includesArches().stream().sorted().collect(Collectors.joining(",")));
            }
            if (!r.excludesArches().isEmpty()) {
                cond.append(" !arches=").append(r.excludesArches().stream().sorted().collect(Collectors.joining(",")));
            }
            if (r.minKernel() != null) {
                cond.append(" minKernel=").append(r.minKernel());
            }
            for (String name : r.names()) {
                lines.add(action(r.action()) + " " + name + cond);
            }
        }
        return lines;
    }

    private static String action(SeccompProfile.Action a) {
        String name = "SCMP_ACT_" + a.kind().name().toUpperCase(Locale.ROOT);
        return a.kind() == SeccompProfile.Action.Kind.ERRNO ? name + "(" + a.value() + ")" : name;
    }
}
