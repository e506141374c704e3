package io.mdocker;

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
            Map.entry("cpu", 0), Map.entry("fsize", 1),
            Map.entry("data", 2), Map.entry("stack", 3),
            Map.entry("core", 4), Map.entry("rss", 5),
            Map.entry("nproc", 6), Map.entry("nofile", 7),
            Map.entry("memlock", 8), Map.entry("as", 9),
            Map.entry("locks", 10), Map.entry("sigpending", 11),
            Map.entry("msgqueue", 12), Map.entry("nice", 13),
            Map.entry("rtprio", 14), Map.entry("rttime", 15));

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
