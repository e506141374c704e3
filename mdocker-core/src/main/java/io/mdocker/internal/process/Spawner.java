package io.mdocker.internal.process;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.util.Optional;

import static io.mdocker.bindings.Linux.C_INT;
import static io.mdocker.bindings.Linux.C_POINTER;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Starts mdocker-init with posix_spawn, the one way a JVM may start a process without forking
 * itself (glibc uses CLONE_VM|CLONE_VFORK). The child gets exactly: one argument, the namespaces
 * of the container's pid 1 (which it clones at once) as a hexadecimal CLONE_NEW* mask, or "join" for a joiner; stdio on
 * 0, 1, 2, the sync socket on 3, an empty signal mask, default dispositions, a process group of its own (so a
 * terminal's Ctrl-C reaches the JVM, which decides, and not the monitor) and an empty environment; every other
 * descriptor is closed ({@code posix_spawn_file_actions_addclosefrom_np(5)}; fd 4 carries the
 * executable through execve and mdocker-init closes it at once).
 */
final class Spawner {
    private Spawner() {}

    /** In a stdio slot: leave the JVM's own descriptor in place. */
    static final int INHERIT = -1;
    /** In a stdio slot: open /dev/null. */
    static final int DEV_NULL = -2;
    /**
     * The sizes and alignments of glibc's posix_spawn_file_actions_t, posix_spawnattr_t and sigset_t
     * (the generated classes' layouts, SpawnerLayoutTest checks): allocating through those classes
     * would initialize them, and their static initializers spin method handles for every field
     * (about forty generated classes, milliseconds of a one-shot CLI run).
     */
    static final long FILE_ACTIONS_BYTES = 80;
    static final long FILE_ACTIONS_ALIGNMENT = 8;
    static final long ATTR_BYTES = 336;
    static final long ATTR_ALIGNMENT = 8;
    static final long SIGSET_BYTES = 128;
    static final long SIGSET_ALIGNMENT = 8;
    /** Where the child finds the init's memfd while it execs it. */
    private static final int EXEC_FD = 4;

    /**
     * Spawns mdocker-init.
     *
     * @param stdio three descriptors (or INHERIT / DEV_NULL) for the child's 0, 1 and 2
     * @param syncFd the child's end of the sync socket, which becomes its fd 3
     * @param nsflags the CLONE_NEW* namespaces of the container's pid 1, or
     *     {@link InitProcess#JOINER} for a joiner (argument "join")
     * @param pidNamespace a pid namespace file pid 1 is cloned into instead of a new one (second argument)
     * @return the child's pid
     */
    static int spawn(int[] stdio, int syncFd, long nsflags, Optional<String> pidNamespace) {
        return spawn(stdio, syncFd, nsflags == InitProcess.JOINER ? "join" : Long.toHexString(nsflags), pidNamespace);
    }

    /**
     * Spawns mdocker-init with its first argument {@code mode}: a hexadecimal CLONE_NEW* mask, "join",
     * or "owners" ({@link UsernsFiles}); otherwise as {@link #spawn(int[], int, long, Optional)}.
     */
    static int spawn(int[] stdio, int syncFd, String mode) {
        return spawn(stdio, syncFd, mode, Optional.empty());
    }

    /** A helper process of mdocker-init's and this JVM's end of its socketpair. */
    record Helper(int pid, int sock) {
    }

    /**
     * Spawns mdocker-init as the helper {@code mode} ("owners": {@link UsernsFiles}, "network":
     * {@link NetworkHolder}) with /dev/null as its stdio and its end of a new SOCK_SEQPACKET
     * socketpair as fd 3; nothing is left open when it cannot.
     */
    static Helper spawnHelper(String mode) {
        int[] pair = Posix.socketpair(Linux.AF_UNIX(), Linux.SOCK_SEQPACKET() | Linux.SOCK_CLOEXEC());
        int pid;
        try {
            pid = spawn(new int[] {DEV_NULL, DEV_NULL, DEV_NULL}, pair[1], mode);
        } catch (RuntimeException e) {
            Posix.closeQuietly(pair[0]);
            throw e;
        } finally {
            Posix.closeQuietly(pair[1]);
        }
        return new Helper(pid, pair[0]);
    }

    private static int spawn(int[] stdio, int syncFd, String mode, Optional<String> pidNamespace) {
        // The memfd must survive the file actions until execve; it is duplicated onto fd 4 (which
        // mdocker-init closes first thing) because closefrom would close its original number.
        String path = "/proc/self/fd/" + EXEC_FD;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(FILE_ACTIONS_BYTES, FILE_ACTIONS_ALIGNMENT);
            MemorySegment attr = arena.allocate(ATTR_BYTES, ATTR_ALIGNMENT);
            check("posix_spawn_file_actions_init", call(FileActionsInit.F, ptr(actions)));
            try {
                check("posix_spawnattr_init", call(AttrInit.F, ptr(attr)));
                try {
                    MemorySegment devNull = arena.allocateFrom("/dev/null");
                    for (int target = 0; target < 3; target++) {
                        int fd = stdio[target];
                        if (fd == DEV_NULL) {
                            int flags = target == 0 ? Linux.O_RDONLY() : Linux.O_WRONLY();
                            check("posix_spawn_file_actions_addopen(/dev/null)",
                                    call(FileActionsAddopen.F, ptr(actions), target, ptr(devNull), flags, 0));
                        } else if (fd != INHERIT) {
                            check("posix_spawn_file_actions_adddup2(" + fd + ", " + target + ")",
                                    call(FileActionsAdddup2.F, ptr(actions), fd, target));
                        }
                    }
                    check("posix_spawn_file_actions_adddup2(" + syncFd + ", 3)",
                            call(FileActionsAdddup2.F, ptr(actions), syncFd, 3));
                    check("posix_spawn_file_actions_adddup2(mdocker-init memfd, " + EXEC_FD + ")",
                            call(FileActionsAdddup2.F, ptr(actions), InitBinary.fd(), EXEC_FD));
                    check("posix_spawn_file_actions_addclosefrom_np(" + (EXEC_FD + 1) + ")",
                            call(FileActionsAddclosefrom.F, ptr(actions), EXEC_FD + 1));

                    MemorySegment empty = arena.allocate(SIGSET_BYTES, SIGSET_ALIGNMENT);
                    MemorySegment all = arena.allocate(SIGSET_BYTES, SIGSET_ALIGNMENT);
                    call(Sigemptyset.F, ptr(empty));
                    call(Sigfillset.F, ptr(all));
                    check("posix_spawnattr_setsigmask", call(AttrSetsigmask.F, ptr(attr), ptr(empty)));
                    check("posix_spawnattr_setsigdefault", call(AttrSetsigdefault.F, ptr(attr), ptr(all)));
                    check("posix_spawnattr_setflags", call(AttrSetflags.F, ptr(attr),
                            Linux.POSIX_SPAWN_SETSIGMASK() | Linux.POSIX_SPAWN_SETSIGDEF()
                                    | Linux.POSIX_SPAWN_SETPGROUP()));

                    // The pointer arrays written as 64-bit addresses (C_POINTER's var handle spins
                    // method-handle classes of its own on first use; Posix's shape is 64-bit too).
                    MemorySegment argv = arena.allocate(C_POINTER, 4);
                    argv.setAtIndex(JAVA_LONG, 0, ptr(arena.allocateFrom(InitBinary.RESOURCE)));
                    argv.setAtIndex(JAVA_LONG, 1, ptr(arena.allocateFrom(mode)));
                    argv.setAtIndex(JAVA_LONG, 2, pidNamespace.isPresent() ? ptr(arena.allocateFrom(pidNamespace.get())) : 0L);
                    argv.setAtIndex(JAVA_LONG, 3, 0L);
                    MemorySegment envp = arena.allocate(C_POINTER, 1);
                    envp.setAtIndex(JAVA_LONG, 0, 0L);
                    MemorySegment pid = arena.allocate(Linux.C_INT);
                    check("posix_spawn(" + path + ")",
                            call(Spawn.F, ptr(pid), ptr(arena.allocateFrom(path)), ptr(actions), ptr(attr), ptr(argv), ptr(envp)));
                    return pid.get(Linux.C_INT, 0);
                } finally {
                    call(AttrDestroy.F, ptr(attr));
                }
            } finally {
                call(FileActionsDestroy.F, ptr(actions));
            }
        }
    }

    // The functions called, each through Posix's common downcall shape (one linked handle for
    // all of them: linking costs per distinct C prototype); PosixDescriptorsTest checks each DESC
    // against jextract's.

    private static final class FileActionsInit {
        static final String SYMBOL = "posix_spawn_file_actions_init";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class FileActionsDestroy {
        static final String SYMBOL = "posix_spawn_file_actions_destroy";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class FileActionsAddopen {
        static final String SYMBOL = "posix_spawn_file_actions_addopen";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_POINTER, C_INT, C_INT);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class FileActionsAdddup2 {
        static final String SYMBOL = "posix_spawn_file_actions_adddup2";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class FileActionsAddclosefrom {
        static final String SYMBOL = "posix_spawn_file_actions_addclosefrom_np";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class AttrInit {
        static final String SYMBOL = "posix_spawnattr_init";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class AttrDestroy {
        static final String SYMBOL = "posix_spawnattr_destroy";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class AttrSetsigmask {
        static final String SYMBOL = "posix_spawnattr_setsigmask";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class AttrSetsigdefault {
        static final String SYMBOL = "posix_spawnattr_setsigdefault";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    /** Its flags are a C short, passed (like an int) in the low bits of a register. */
    private static final class AttrSetflags {
        static final String SYMBOL = "posix_spawnattr_setflags";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, Linux.C_SHORT);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class Sigemptyset {
        static final String SYMBOL = "sigemptyset";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class Sigfillset {
        static final String SYMBOL = "sigfillset";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static final class Spawn {
        static final String SYMBOL = "posix_spawn";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT,
                C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER);
        static final MemorySegment F = Posix.function(SYMBOL, DESC);
    }

    private static int call(MemorySegment function, long... args) {
        return (int) Posix.callIgnoringErrno(function, args);
    }

    private static long ptr(MemorySegment segment) {
        return Posix.ptr(segment);
    }

    /**
     * Spawns a helper program of the host (newuidmap, newgidmap) with posix_spawn, as mdocker-init
     * is (the JDK's ProcessBuilder execs a helper first and costs twice as much): {@code argv[0]}
     * is {@code path}, stdio on /dev/null, every other descriptor closed, an empty environment.
     * The caller reaps the returned pid.
     */
    static int spawnTool(String path, java.util.List<String> args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment actions = arena.allocate(FILE_ACTIONS_BYTES, FILE_ACTIONS_ALIGNMENT);
            check("posix_spawn_file_actions_init", call(FileActionsInit.F, ptr(actions)));
            try {
                MemorySegment devNull = arena.allocateFrom("/dev/null");
                for (int target = 0; target < 3; target++) {
                    check("posix_spawn_file_actions_addopen(/dev/null)", call(FileActionsAddopen.F, ptr(actions), target,
                            ptr(devNull), target == 0 ? Linux.O_RDONLY() : Linux.O_WRONLY(), 0));
                }
                check("posix_spawn_file_actions_addclosefrom_np(3)", call(FileActionsAddclosefrom.F, ptr(actions), 3));
                MemorySegment argv = arena.allocate(C_POINTER, args.size() + 2);
                argv.setAtIndex(C_POINTER, 0, arena.allocateFrom(path));
                for (int i = 0; i < args.size(); i++) {
                    argv.setAtIndex(C_POINTER, i + 1, arena.allocateFrom(args.get(i)));
                }
                argv.setAtIndex(C_POINTER, args.size() + 1, MemorySegment.NULL);
                MemorySegment envp = arena.allocate(C_POINTER, 1);
                envp.setAtIndex(C_POINTER, 0, MemorySegment.NULL);
                MemorySegment pid = arena.allocate(Linux.C_INT);
                check("posix_spawn(" + path + ")", call(Spawn.F, ptr(pid), ptr(arena.allocateFrom(path)), ptr(actions),
                        0, ptr(argv), ptr(envp)));
                return pid.get(Linux.C_INT, 0);
            } finally {
                call(FileActionsDestroy.F, ptr(actions));
            }
        }
    }

    /** The posix_spawn family returns an error number instead of setting errno. */
    private static void check(String call, int result) {
        if (result != 0) {
            throw new ErrnoException(call, result);
        }
    }
}
