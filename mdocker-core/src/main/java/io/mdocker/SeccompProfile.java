package io.mdocker;


import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A seccomp profile in the shape of Docker's (and the OCI runtime spec's) JSON profiles: a default
 * action, the architectures the filter covers, and rules that give syscalls, by name, another
 * action, optionally only for some argument values, some capabilities, some architectures or
 * kernels. mdocker compiles a profile to BPF with libseccomp once per profile and capability set,
 * and the container's init installs it as the last step before the command's exec.
 *
 * <pre>{@code
 * SeccompProfile.dockerDefault()   // the default: Docker's profile, errno EPERM for what it blocks
 * SeccompProfile.unconfined()      // no filter (Docker's --security-opt seccomp=unconfined)
 * SeccompProfile.dockerDefault().toBuilder().rule(Rule.of(Action.errno(1), "chmod", "fchmodat")).build()
 * }</pre>
 *
 * The CLI reads Docker's JSON format ({@code --security-opt seccomp=FILE}) into this type.
 * Immutable and thread-safe; equal profiles share one compiled program.
 *
 * @param name what messages call the profile (a file name, "docker-default", "unconfined")
 * @param defaultAction what every syscall no rule names gets
 * @param architectures libseccomp architecture names the filter accepts besides the native one
 *        ({@code SCMP_ARCH_X86}, {@code SCMP_ARCH_X32}, ...); calls of any other are killed
 * @param rules in order; several rules may name the same syscall (they are alternatives)
 */
public record SeccompProfile(String name, Action defaultAction, List<String> architectures, List<Rule> rules) {

    private static final SeccompProfile UNCONFINED = new SeccompProfile("unconfined", Action.allow(), List.of(), List.of());

    public SeccompProfile {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(defaultAction, "defaultAction");
        architectures = List.copyOf(architectures);
        rules = List.copyOf(rules);
        for (String arch : architectures) {
            if (!arch.matches("SCMP_ARCH_[A-Z0-9_]+")) {
                throw new IllegalArgumentException("seccomp profile " + name + ": invalid architecture '" + arch
                        + "': expected a libseccomp name such as SCMP_ARCH_X86_64");
            }
        }
    }

    /**
     * Docker's default profile (moby's profiles/seccomp/default.json): an allow-list of about 370
     * syscalls, everything else failing with EPERM; mount, unshare, setns, bpf, ptrace and their
     * like only with the capability they need; clone without namespace flags; clone3 ENOSYS (so
     * that libc falls back to clone, which the filter can inspect).
     */
    public static SeccompProfile dockerDefault() {
        return DockerDefaultSeccomp.PROFILE;
    }

    /** No filter at all. */
    public static SeccompProfile unconfined() {
        return UNCONFINED;
    }

    /** Whether this profile allows everything, so that no filter is installed. */
    public boolean isUnconfined() {
        return defaultAction.kind() == Action.Kind.ALLOW && rules.stream().allMatch(r -> r.action().kind() == Action.Kind.ALLOW);
    }

    /** A builder holding this profile's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** A builder for a new profile: default action ERRNO(EPERM), no extra architectures, no rules. */
    public static Builder builder(String name) {
        return new Builder(new SeccompProfile(name, Action.errno(1), List.of(), List.of()));
    }

    /** Builds a {@link SeccompProfile}. Not thread-safe. */
    public static final class Builder {
        private String name;
        private Action defaultAction;
        private final java.util.ArrayList<String> architectures;
        private final java.util.ArrayList<Rule> rules;

        private Builder(SeccompProfile p) {
            name = p.name;
            defaultAction = p.defaultAction;
            architectures = new java.util.ArrayList<>(p.architectures);
            rules = new java.util.ArrayList<>(p.rules);
        }

        public Builder name(String n) {
            name = Objects.requireNonNull(n, "name");
            return this;
        }

        public Builder defaultAction(Action a) {
            defaultAction = Objects.requireNonNull(a, "defaultAction");
            return this;
        }

        /** Adds an architecture (libseccomp name, e.g. SCMP_ARCH_X86). */
        public Builder architecture(String arch) {
            architectures.add(arch);
            return this;
        }

        /** Appends a rule. */
        public Builder rule(Rule r) {
            rules.add(Objects.requireNonNull(r, "rule"));
            return this;
        }

        public SeccompProfile build() {
            return new SeccompProfile(name, defaultAction, architectures, rules);
        }
    }

    /**
     * What the filter does with a syscall: {@code allow}, fail it with {@code errno(n)}, kill the
     * thread or process, send SIGSYS ({@code trap}), notify a tracer ({@code trace(n)}), or
     * {@code log} and allow.
     *
     * @param value the errno (ERRNO) or the tracer's message (TRACE), 0 otherwise
     */
    public record Action(Kind kind, int value) {
        public enum Kind { ALLOW, ERRNO, KILL_THREAD, KILL_PROCESS, TRAP, TRACE, LOG }

        public Action {
            Objects.requireNonNull(kind, "kind");
            if ((kind == Kind.ERRNO || kind == Kind.TRACE) ? value < 0 || value > 0xffff : value != 0) {
                throw new IllegalArgumentException("invalid seccomp action " + kind + "(" + value + ")"
                        + (kind == Kind.ERRNO || kind == Kind.TRACE ? ": expected 0..65535" : ": takes no value"));
            }
        }

        public static Action allow() {
            return new Action(Kind.ALLOW, 0);
        }

        public static Action errno(int errno) {
            return new Action(Kind.ERRNO, errno);
        }

        public static Action killProcess() {
            return new Action(Kind.KILL_PROCESS, 0);
        }

        public static Action killThread() {
            return new Action(Kind.KILL_THREAD, 0);
        }

        public static Action trap() {
            return new Action(Kind.TRAP, 0);
        }

        public static Action trace(int message) {
            return new Action(Kind.TRACE, message);
        }

        public static Action log() {
            return new Action(Kind.LOG, 0);
        }
    }

    /** How an argument is compared: {@code arg OP value}, or {@code (arg & value) == valueTwo} for MASKED_EQ. */
    public enum Op { NE, LT, LE, EQ, GE, GT, MASKED_EQ }

    /** A condition on argument {@code index} (0-5) of the syscall. */
    public record Arg(int index, Op op, long value, long valueTwo) {
        public Arg {
            Objects.requireNonNull(op, "op");
            if (index < 0 || index > 5) {
                throw new IllegalArgumentException("invalid seccomp argument index " + index + ": expected 0..5");
            }
        }

        public static Arg of(int index, Op op, long value) {
            return new Arg(index, op, value, 0);
        }
    }

    /**
     * A rule: {@code action} for each syscall in {@code names} (unknown names are skipped, as
     * Docker does), when every condition in {@code args} holds. It applies only when the
     * container has every capability of {@code includesCaps} and none of {@code excludesCaps},
     * runs on an architecture (Docker's names: amd64, arm64, ...) in {@code includesArches} (when
     * not empty) and not in {@code excludesArches}, on a kernel at least {@code minKernel} (when
     * not null, "major.minor").
     */
    public record Rule(List<String> names, Action action, List<Arg> args, Set<Capability> includesCaps,
                       Set<Capability> excludesCaps, Set<String> includesArches, Set<String> excludesArches,
                       String minKernel) {
        public Rule {
            names = List.copyOf(names);
            Objects.requireNonNull(action, "action");
            args = List.copyOf(args);
            includesCaps = Set.copyOf(includesCaps);
            excludesCaps = Set.copyOf(excludesCaps);
            includesArches = Set.copyOf(includesArches);
            excludesArches = Set.copyOf(excludesArches);
            if (names.isEmpty()) {
                throw new IllegalArgumentException("a seccomp rule needs at least one syscall name");
            }
            for (String n : names) {
                if (!n.matches("[a-z0-9_]+")) {
                    throw new IllegalArgumentException("invalid syscall name '" + n + "' in a seccomp rule");
                }
            }
            if (minKernel != null && !minKernel.matches("\\d+\\.\\d+")) {
                throw new IllegalArgumentException("invalid minKernel '" + minKernel + "': expected major.minor");
            }
        }

        /** {@code action} for these syscalls, unconditionally. */
        public static Rule of(Action action, String... names) {
            return new Rule(Arrays.asList(names), action, List.of(), Set.of(), Set.of(), Set.of(), Set.of(), null);
        }

        public Rule withArgs(Arg... conditions) {
            return new Rule(names, action, List.of(conditions), includesCaps, excludesCaps, includesArches, excludesArches, minKernel);
        }

        /** Only when the container has all of {@code caps}. */
        public Rule ifCapabilities(Capability... caps) {
            return new Rule(names, action, args, Set.copyOf(Arrays.asList(caps)), excludesCaps, includesArches, excludesArches, minKernel);
        }

        /** Only when the container has none of {@code caps}. */
        public Rule unlessCapabilities(Capability... caps) {
            return new Rule(names, action, args, includesCaps, Set.copyOf(Arrays.asList(caps)), includesArches, excludesArches, minKernel);
        }

        /** Only on these architectures (Docker's names: amd64, x32, x86, arm64, arm, s390x, ...). */
        public Rule onArches(String... arches) {
            return new Rule(names, action, args, includesCaps, excludesCaps, lower(arches), excludesArches, minKernel);
        }

        /** Not on these architectures. */
        public Rule exceptArches(String... arches) {
            return new Rule(names, action, args, includesCaps, excludesCaps, includesArches, lower(arches), minKernel);
        }

        /** Only on kernels at least {@code version} ("major.minor"). */
        public Rule sinceKernel(String version) {
            return new Rule(names, action, args, includesCaps, excludesCaps, includesArches, excludesArches, version);
        }

        private static Set<String> lower(String... arches) {
            return Set.of(Arrays.stream(arches).map(a -> a.toLowerCase(Locale.ROOT)).toArray(String[]::new));
        }
    }
}
