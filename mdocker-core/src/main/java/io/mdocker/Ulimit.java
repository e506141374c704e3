package io.mdocker;

import io.mdocker.bindings.Linux;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A resource limit for the container's processes, as Docker's {@code --ulimit name=soft[:hard]}:
 * {@code nofile=1024:2048}, {@code nproc=512}, {@code core=-1} (-1: unlimited). Set with
 * setrlimit(2) before the user and capabilities change, so hard limits above the runtime's own
 * may be given; inside, a process can lower them but not raise a hard limit again (that needs
 * CAP_SYS_RESOURCE, which the default set lacks).
 *
 * @param name the resource, as Docker names it (the setrlimit(2) RLIMIT_ name in lower case)
 * @param soft the soft limit, -1 for unlimited
 * @param hard the hard limit, -1 for unlimited; at least {@code soft}
 */
public record Ulimit(String name, long soft, long hard) {
    /** Docker's names and the kernel's resource numbers. */
    private static final Map<String, Integer> RESOURCES = Map.ofEntries(
            Map.entry("cpu", Linux.RLIMIT_CPU()), Map.entry("fsize", Linux.RLIMIT_FSIZE()),
            Map.entry("data", Linux.RLIMIT_DATA()), Map.entry("stack", Linux.RLIMIT_STACK()),
            Map.entry("core", Linux.RLIMIT_CORE()), Map.entry("rss", Linux.RLIMIT_RSS()),
            Map.entry("nproc", Linux.RLIMIT_NPROC()), Map.entry("nofile", Linux.RLIMIT_NOFILE()),
            Map.entry("memlock", Linux.RLIMIT_MEMLOCK()), Map.entry("as", Linux.RLIMIT_AS()),
            Map.entry("locks", Linux.RLIMIT_LOCKS()), Map.entry("sigpending", Linux.RLIMIT_SIGPENDING()),
            Map.entry("msgqueue", Linux.RLIMIT_MSGQUEUE()), Map.entry("nice", Linux.RLIMIT_NICE()),
            Map.entry("rtprio", Linux.RLIMIT_RTPRIO()), Map.entry("rttime", Linux.RLIMIT_RTTIME()));

    public Ulimit {
        Objects.requireNonNull(name, "ulimit name");
        name = name.toLowerCase(Locale.ROOT);
        if (!RESOURCES.containsKey(name)) {
            throw new IllegalArgumentException("unknown ulimit '" + name + "': expected one of "
                    + new java.util.TreeSet<>(RESOURCES.keySet()));
        }
        if (soft < -1 || hard < -1) {
            throw new IllegalArgumentException("invalid ulimit " + name + "=" + soft + ":" + hard
                    + ": limits are non-negative, or -1 for unlimited");
        }
        if (hard != -1 && (soft == -1 || soft > hard)) {
            throw new IllegalArgumentException("invalid ulimit " + name + "=" + soft + ":" + hard
                    + ": the soft limit is above the hard limit");
        }
    }

    /** Parses {@code name=soft[:hard]} (the hard limit defaults to the soft one). */
    public static Ulimit parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("invalid ulimit '" + spec + "': expected name=soft[:hard], e.g. nofile=1024:2048");
        }
        String[] limits = spec.substring(eq + 1).split(":", -1);
        try {
            if (limits.length > 2) {
                throw new NumberFormatException();
            }
            long soft = Long.parseLong(limits[0]);
            long hard = limits.length == 2 ? Long.parseLong(limits[1]) : soft;
            return new Ulimit(spec.substring(0, eq), soft, hard);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid ulimit '" + spec + "': expected name=soft[:hard] with whole numbers (-1: unlimited)");
        }
    }

    /** The setrlimit(2) resource number. */
    public int resource() {
        return RESOURCES.get(name);
    }

    @Override
    public String toString() {
        return name + "=" + soft + ":" + hard;
    }
}
