package io.mdocker.internal.process;

import io.mdocker.internal.cgroup.CgroupLayout;
import io.mdocker.internal.sys.Posix;

/**
 * A young JVM's first costs of the native layer, started on a thread of their own while the
 * caller's thread parses a command line and describes what to do: for a one-shot command on a
 * machine with a second core, that much less time before it does it (docs/bench/cli.md). Nothing
 * is made that outlives the JVM or that another process sees, so a command that then fails on bad
 * input leaves nothing behind; a failure here is met again, and reported, where the command itself
 * needs the thing.
 */
public final class Prestart {
    private Prestart() {}

    /** What a command will need. */
    public enum Needs {
        /** Native calls only (the state root's checks, signals, /proc). */
        NATIVE_CALLS,
        /** A container or an exec: also mdocker-init's memfd, the host's cgroup layout and the event loop. */
        CONTAINER
    }

    /** Starts the work for a command that {@code needs} it; returns at once. */
    public static void inBackground(Needs needs) {
        Thread.ofPlatform().daemon().name("mdocker-prestart").start(() -> {
            try {
                Posix.linkAhead(); // first: the caller's thread soon makes native calls of its own
                if (needs == Needs.CONTAINER) {
                    InitBinary.fd();
                    CgroupLayout.host();
                    EventLoop.get();
                    new java.util.zip.CRC32C(); // the seccomp cache's and exec identities' checksum: its tables
                }
                // Looked up by Runtime.exit when the command exits (JDK 17+, to log the exit): the
                // logging framework's set-up.
                System.getLogger("java.lang.Runtime");
            } catch (RuntimeException | Error e) {
                // met again, and reported, on the command's own path
            }
        });
    }
}
