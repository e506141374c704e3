package io.mdocker.internal.sys;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.__CONST_SOCKADDR_ARG;
import io.mdocker.bindings.link.ErrnoLinker;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.mdocker.bindings.Linux.C_INT;
import static io.mdocker.bindings.Linux.C_LONG;
import static io.mdocker.bindings.Linux.C_POINTER;

/**
 * The hand-written facade over the generated {@link Linux} bindings for every call that reports
 * failure through errno. jextract cannot add {@code Linker.Option.captureCallState} (its guide,
 * "Limitations"), so each handle here is linked again from the generated symbol address and
 * descriptor with errno capture; the capture segment is allocated per call, never shared.
 * Failures become {@link ErrnoException}s naming the call and its object. EINTR is retried.
 *
 * <p>Thread-safe: stateless apart from the method handles.
 */
public final class Posix {
    private Posix() {}

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    /**
     * Where errno is in the capture segment. Read with a plain int access: a var handle of the
     * struct's path would spin method-handle classes of its own at class initialisation.
     */
    private static final long ERRNO_OFFSET = CAPTURE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /**
     * The one downcall shape every function of this class is called through: {@code long f(long a1,
     * ..., long a6)} with errno captured, the function's address as the handle's first argument.
     * Linking a downcall spins a stub class and dozens of LambdaForms for each distinct shape, none of
     * which the JDK's AOT cache keeps; with one handle per C prototype a CLI {@code run} linked 22
     * shapes, about a fifth of its CPU time (docs/bench/cli.md). One shape is sound on the 64-bit
     * Linux ABIs for functions whose arguments and result are all ints (or shorts), longs or
     * pointers, at most {@value #ARGS} of them, which {@link #function} checks against each
     * function's C prototype: such arguments travel in 64-bit registers, whose upper half a callee
     * does not read for an int (Java's widening sign-extends it, as RISC-V wants); argument
     * registers the callee has no parameter for are not read; an int result is the low half of the
     * returned register; and on x86-64 the linker sets {@code %al} (vector registers used: 0) for
     * every call, which is all a variadic callee (fcntl, open, syscall) needs beyond the fixed
     * convention.
     */
    static final int ARGS = 6;

    private static final class Shape {
        static final MethodHandle CALL = ErrnoLinker.link(FunctionDescriptor.of(C_LONG,
                C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_LONG), CAPTURE_ERRNO);
    }

    /**
     * Does now what a young JVM's first native call here would: link the common shape (a stub
     * class and its method-handle classes, tens of milliseconds), and copy a string into native
     * memory (the JDK's first such copy makes a class of its own), so that a thread of its own can
     * do it while the caller's thread does other work.
     */
    public static void linkAhead() {
        Shape.CALL.type();
        try (Arena arena = Arena.ofConfined()) {
            arena.allocateFrom("/");
        }
    }

    /**
     * The address of libc's {@code symbol}, whose C prototype is {@code descriptor}, to be called
     * through the common shape; fails when the prototype does not fit it (see {@link #ARGS}).
     */
    public static MemorySegment function(String symbol, FunctionDescriptor descriptor) {
        if (!fitsShape(descriptor)) {
            throw new IllegalArgumentException(symbol + " " + descriptor
                    + ": expected at most " + ARGS + " int, long or pointer arguments and such a result");
        }
        return Linker.nativeLinker().defaultLookup().find(symbol)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + symbol));
    }

    /** Whether a C prototype can be called through the common shape. */
    static boolean fitsShape(FunctionDescriptor descriptor) {
        if (descriptor.argumentLayouts().size() > ARGS) {
            return false;
        }
        for (MemoryLayout l : descriptor.argumentLayouts()) {
            if (!integerClass(l)) {
                return false;
            }
        }
        return descriptor.returnLayout().map(Posix::integerClass).orElse(true);
    }

    /**
     * An int, a long, a short (widened like an int: posix_spawnattr_setflags), a pointer, or
     * glibc's transparent union of sockaddr pointers (__CONST_SOCKADDR_ARG, passed as its first
     * member).
     */
    private static boolean integerClass(MemoryLayout l) {
        if (l instanceof java.lang.foreign.UnionLayout u) {
            return u.memberLayouts().stream().allMatch(m -> m instanceof java.lang.foreign.AddressLayout);
        }
        return l instanceof java.lang.foreign.AddressLayout
                || (l instanceof java.lang.foreign.ValueLayout v && (v.carrier() == int.class || v.carrier() == long.class
                        || v.carrier() == short.class));
    }

    /** The address of a native segment, as a pointer argument of the common shape. */
    public static long ptr(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a pointer argument must be native memory: " + segment);
        }
        return segment.address();
    }

    /**
     * Calls {@code function} (from {@link #function}) through the common shape. The caller keeps
     * the memory its pointer arguments refer to alive for the call (every caller here allocates it
     * in an arena open around the call, or is handed it by its own caller).
     */
    static long call(MemorySegment function, MemorySegment capture, long a1, long a2, long a3, long a4, long a5, long a6)
            throws Throwable {
        return (long) Shape.CALL.invokeExact(function, capture, a1, a2, a3, a4, a5, a6);
    }

    static long call(MemorySegment function, MemorySegment capture, long a1, long a2, long a3, long a4, long a5)
            throws Throwable {
        return call(function, capture, a1, a2, a3, a4, a5, 0);
    }

    static long call(MemorySegment function, MemorySegment capture, long a1, long a2, long a3, long a4) throws Throwable {
        return call(function, capture, a1, a2, a3, a4, 0, 0);
    }

    static long call(MemorySegment function, MemorySegment capture, long a1, long a2, long a3) throws Throwable {
        return call(function, capture, a1, a2, a3, 0, 0, 0);
    }

    static long call(MemorySegment function, MemorySegment capture, long a1, long a2) throws Throwable {
        return call(function, capture, a1, a2, 0, 0, 0, 0);
    }

    static long call(MemorySegment function, MemorySegment capture, long a1) throws Throwable {
        return call(function, capture, a1, 0, 0, 0, 0, 0);
    }

    static MethodHandle link(MemorySegment address, FunctionDescriptor descriptor, Linker.Option... more) {
        Linker.Option[] options = new Linker.Option[more.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(more, 0, options, 1, more.length);
        return ErrnoLinker.link(address, descriptor, options);
    }

    // One holder class per function: its symbol, its C prototype (DESC) and its address (F), called
    // through the common shape above. The symbols are looked up directly, and the prototypes written
    // here, rather than taken from the generated Linux.f$address()/f$descriptor(): jextract 22 keeps
    // them in one holder class per function with an errno-less handle, which initializing either
    // would link as well. PosixDescriptorsTest checks that each DESC equals jextract's descriptor
    // for SYMBOL (with FIRST_VARIADIC: its variadic invoker's, for these argument layouts).

    private static final class MemfdCreate {
        static final String SYMBOL = "memfd_create";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class FcntlInt {
        static final String SYMBOL = "fcntl";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT);
        static final int FIRST_VARIADIC = 2;
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Read {
        static final String SYMBOL = "read";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Write {
        static final String SYMBOL = "write";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Close {
        static final String SYMBOL = "close";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Socketpair {
        static final String SYMBOL = "socketpair";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Pipe2 {
        static final String SYMBOL = "pipe2";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Poll {
        static final String SYMBOL = "poll";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_LONG, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class EpollCreate1 {
        static final String SYMBOL = "epoll_create1";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class EpollCtl {
        static final String SYMBOL = "epoll_ctl";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class EpollWait {
        static final String SYMBOL = "epoll_wait";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Eventfd {
        static final String SYMBOL = "eventfd";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class PidfdOpen {
        static final String SYMBOL = "pidfd_open";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class PidfdSendSignal {
        static final String SYMBOL = "pidfd_send_signal";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT, C_POINTER, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Waitpid {
        static final String SYMBOL = "waitpid";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Mknodat {
        static final String SYMBOL = "mknodat";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_INT, C_LONG);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Utimensat {
        static final String SYMBOL = "utimensat";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_POINTER, C_POINTER, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Lsetxattr {
        static final String SYMBOL = "lsetxattr";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER, C_POINTER, C_LONG, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Lgetxattr {
        static final String SYMBOL = "lgetxattr";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_LONG, C_POINTER, C_POINTER, C_POINTER, C_LONG);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Llistxattr {
        static final String SYMBOL = "llistxattr";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_LONG, C_POINTER, C_POINTER, C_LONG);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Kill {
        static final String SYMBOL = "kill";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Socket {
        static final String SYMBOL = "socket";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Bind {
        static final String SYMBOL = "bind";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, __CONST_SOCKADDR_ARG.layout(), C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Sendto {
        static final String SYMBOL = "sendto";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_INT, __CONST_SOCKADDR_ARG.layout(), C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Recv {
        static final String SYMBOL = "recv";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_LONG, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Setsockopt {
        static final String SYMBOL = "setsockopt";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT, C_INT, C_POINTER, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Setns {
        static final String SYMBOL = "setns";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Recvmsg {
        static final String SYMBOL = "recvmsg";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_LONG, C_INT, C_POINTER, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Dup {
        static final String SYMBOL = "dup";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Open {
        static final String SYMBOL = "open";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, Linux.C_POINTER, C_INT);
        static final int FIRST_VARIADIC = 2;
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    /** syscall(SYS_openat2, dirfd, path, how, sizeof how): glibc has no wrapper. */
    private static final class SyscallOpenat2 {
        static final String SYMBOL = "syscall";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(Linux.C_LONG, Linux.C_LONG, Linux.C_LONG, Linux.C_POINTER, Linux.C_POINTER, Linux.C_LONG);
        static final int FIRST_VARIADIC = 1;
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    static int errno(MemorySegment capture) {
        return capture.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    /** One downcall: gets the per-call capture segment, returns the C result. */
    @FunctionalInterface
    interface Call {
        long invoke(MemorySegment capture) throws Throwable;
    }

    /**
     * Runs {@code call} with a fresh errno capture segment, retrying on EINTR; a negative result
     * becomes an ErrnoException naming {@code what}.
     */
    static long check(String what, Call call) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment capture = arena.allocate(CAPTURE);
            while (true) {
                long r = call.invoke(capture);
                if (r >= 0) {
                    return r;
                }
                int e = errno(capture);
                if (e != Linux.EINTR()) {
                    throw new ErrnoException(what, e);
                }
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed: " + what, t);
        }
    }

    /** memfd_create(name, flags): a new anonymous file. */
    public static int memfdCreate(String name, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cname = arena.allocateFrom(name);
            return (int) check("memfd_create(" + name + ")",
                    st -> (int) call(MemfdCreate.F, st, ptr(cname), flags));
        }
    }

    /** fcntl(fd, cmd, arg) for the commands that take an int. */
    public static int fcntl(int fd, int cmd, int arg, String what) {
        return (int) check("fcntl(" + what + ", " + cmd + ")", st -> (int) call(FcntlInt.F, st, fd, cmd, arg));
    }

    /** read(2) into buf; 0 at end of file. */
    public static int read(int fd, MemorySegment buf, long count, String what) {
        return (int) check("read(" + what + ")", st -> call(Read.F, st, fd, ptr(buf), count));
    }

    /** write(2) once; returns how many bytes were written. */
    public static int write(int fd, MemorySegment buf, long count, String what) {
        return (int) check("write(" + what + ")", st -> call(Write.F, st, fd, ptr(buf), count));
    }

    /** Writes all of buf, looping over short writes. */
    public static void writeFully(int fd, MemorySegment buf, String what) {
        long done = 0;
        while (done < buf.byteSize()) {
            done += write(fd, buf.asSlice(done), buf.byteSize() - done, what);
        }
    }

    /** close(2). EINTR is not retried: on Linux the descriptor is gone either way. */
    public static void close(int fd) {
        check("close(" + fd + ")", st -> {
            int r = (int) call(Close.F, st, fd);
            return r < 0 && errno(st) == Linux.EINTR() ? 0 : r;
        });
    }

    /** close(2) for cleanup paths: ignores errors and negative descriptors. */
    public static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                close(fd);
            } catch (ErrnoException ignored) {
                // cleanup path: the descriptor is released either way
            }
        }
    }

    /** socketpair(domain, type, 0): two connected descriptors. */
    public static int[] socketpair(int domain, int type) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(C_INT, 2);
            check("socketpair(AF_UNIX)", st -> (int) call(Socketpair.F, st, domain, type, 0, ptr(fds)));
            return new int[] {fds.getAtIndex(C_INT, 0), fds.getAtIndex(C_INT, 1)};
        }
    }

    /** pipe2(flags): {read end, write end}. */
    public static int[] pipe2(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(C_INT, 2);
            check("pipe2", st -> (int) call(Pipe2.F, st, ptr(fds), flags));
            return new int[] {fds.getAtIndex(C_INT, 0), fds.getAtIndex(C_INT, 1)};
        }
    }

    /**
     * poll(2) over {@code count} pollfd structs; returns the number ready, 0 on timeout. EINTR is
     * reported as 0 ready so the caller re-evaluates its deadline.
     */
    public static int poll(MemorySegment pollfds, int count, int timeoutMillis) {
        return (int) check("poll(" + count + " fds)", st -> {
            int r = (int) call(Poll.F, st, ptr(pollfds), count, timeoutMillis);
            return r < 0 && errno(st) == Linux.EINTR() ? 0 : r;
        });
    }

    /**
     * Waits until {@code fd} is readable (a pidfd: its process has exited), at most
     * {@code timeoutMillis} (-1: forever); true when it is.
     */
    public static boolean awaitReadable(int fd, long timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfd = arena.allocate(io.mdocker.bindings.pollfd.layout());
            io.mdocker.bindings.pollfd.fd(pfd, fd);
            io.mdocker.bindings.pollfd.events(pfd, (short) Linux.POLLIN());
            long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000;
            while (true) {
                long left = timeoutMillis < 0 ? -1 : Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                if (poll(pfd, 1, (int) Math.min(left, Integer.MAX_VALUE)) > 0) {
                    return true;
                }
                if (timeoutMillis >= 0 && System.nanoTime() >= deadline) {
                    return false;
                }
            }
        }
    }

    /** epoll_create1(flags): a new epoll instance. */
    public static int epollCreate1(int flags) {
        return (int) check("epoll_create1", st -> (int) call(EpollCreate1.F, st, flags));
    }

    /**
     * epoll_ctl(epfd, op, fd, event): adds, changes or removes {@code fd} in the interest list;
     * {@code event} is an epoll_event, or {@link MemorySegment#NULL} for EPOLL_CTL_DEL.
     */
    public static void epollCtl(int epfd, int op, int fd, MemorySegment event) {
        check("epoll_ctl(" + op + ", fd " + fd + ")", st -> (int) call(EpollCtl.F, st, epfd, op, fd, ptr(event)));
    }

    /**
     * epoll_wait(epfd, events, maxEvents, timeout): the number of epoll_event structs filled in,
     * 0 on timeout; EINTR is retried.
     */
    public static int epollWait(int epfd, MemorySegment events, int maxEvents, int timeoutMillis) {
        return (int) check("epoll_wait", st -> (int) call(EpollWait.F, st, epfd, ptr(events), maxEvents, timeoutMillis));
    }

    /** eventfd(initval, flags). */
    public static int eventfd(int initval, int flags) {
        return (int) check("eventfd", st -> (int) call(Eventfd.F, st, initval, flags));
    }

    /** pidfd_open(pid, 0). */
    public static int pidfdOpen(int pid) {
        return (int) check("pidfd_open(" + pid + ")", st -> (int) call(PidfdOpen.F, st, pid, 0));
    }

    /** pidfd_send_signal(pidfd, sig, NULL, 0); false when the process has already exited. */
    public static boolean pidfdSendSignal(int pidfd, int sig) {
        return check("pidfd_send_signal(" + pidfd + ", " + sig + ")", st -> {
            int r = (int) call(PidfdSendSignal.F, st, pidfd, sig, 0, 0);
            return r < 0 && errno(st) == Linux.ESRCH() ? 0 : r + 1;
        }) > 0;
    }

    /** kill(pid, sig); false when there is no such process. */
    public static boolean kill(int pid, int sig) {
        return check("kill(" + pid + ", " + sig + ")", st -> {
            int r = (int) call(Kill.F, st, pid, sig);
            return r < 0 && errno(st) == Linux.ESRCH() ? 0 : r + 1;
        }) > 0;
    }

    /**
     * waitpid(pid, &status, options): the raw wait status, or -1 when WNOHANG found the child still
     * running.
     */
    public static int waitpid(int pid, int options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(C_INT);
            int r = (int) check("waitpid(" + pid + ")", st -> (int) call(Waitpid.F, st, pid, ptr(status), options));
            return r == 0 ? -1 : status.get(C_INT, 0);
        }
    }

    /** open(path, flags) without O_CREAT (no mode argument). */
    public static int open(String path, int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            return (int) check("open(" + path + ")", st -> (int) call(Open.F, st, ptr(cpath), flags));
        }
    }

    /**
     * openat2(dirfd, path, {flags, mode, resolve}): opens {@code path} relative to {@code dirfd}
     * with the RESOLVE_* restrictions, e.g. RESOLVE_IN_ROOT to treat {@code dirfd} as the root
     * for every component and link; {@code what} names the object in errors.
     */
    public static int openat2(int dirfd, String path, long flags, long mode, long resolve, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            MemorySegment how = io.mdocker.bindings.open_how.allocate(arena);
            io.mdocker.bindings.open_how.flags(how, flags);
            io.mdocker.bindings.open_how.mode(how, mode);
            io.mdocker.bindings.open_how.resolve(how, resolve);
            long size = io.mdocker.bindings.open_how.sizeof();
            return (int) check("openat2(" + what + ")", st -> call(SyscallOpenat2.F, st,
                    Linux.SYS_openat2(), dirfd, ptr(cpath), ptr(how), size));
        }
    }

    /**
     * mknodat(dirfd, name, mode, dev): a device node, fifo or socket {@code name} below
     * {@code dirfd} ({@code mode} with its S_IF* type bits; {@code dev} as makedev encodes it).
     */
    public static void mknodat(int dirfd, String name, int mode, long dev, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cname = arena.allocateFrom(name);
            check("mknodat(" + what + ")", st -> (int) call(Mknodat.F, st, dirfd, ptr(cname), mode, dev));
        }
    }

    /** The dev_t of {@code major:minor}, as glibc's makedev encodes it. */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    /**
     * utimensat(dirfd, name, {atime, mtime}, AT_SYMLINK_NOFOLLOW): sets the times of {@code name}
     * below {@code dirfd} itself (a link's own), opening nothing.
     */
    public static void utimensatNoFollow(int dirfd, String name, long seconds, int nanos, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cname = arena.allocateFrom(name);
            MemorySegment times = io.mdocker.bindings.timespec.allocateArray(2, arena);
            for (int i = 0; i < 2; i++) {
                MemorySegment t = io.mdocker.bindings.timespec.asSlice(times, i);
                io.mdocker.bindings.timespec.tv_sec(t, seconds);
                io.mdocker.bindings.timespec.tv_nsec(t, nanos);
            }
            int flags = Linux.AT_SYMLINK_NOFOLLOW();
            check("utimensat(" + what + ")", st -> (int) call(Utimensat.F, st, dirfd, ptr(cname), ptr(times), flags));
        }
    }

    /** lsetxattr(path, name, value): sets an extended attribute of {@code path} itself (a link is not followed). */
    public static void lsetxattr(String path, String name, byte[] value, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            MemorySegment cname = arena.allocateFrom(name);
            MemorySegment v = arena.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, value.length);
            long size = value.length;
            check("lsetxattr(" + what + ", " + name + ")",
                    st -> (int) call(Lsetxattr.F, st, ptr(cpath), ptr(cname), ptr(v), size, 0));
        }
    }

    /** lgetxattr(path, name): the attribute's value, or empty when {@code path} has none of that name. */
    public static java.util.Optional<byte[]> lgetxattr(String path, String name, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            MemorySegment cname = arena.allocateFrom(name);
            MemorySegment v = arena.allocate(65536); // XATTR_SIZE_MAX
            long n;
            try {
                n = check("lgetxattr(" + what + ", " + name + ")",
                        st -> call(Lgetxattr.F, st, ptr(cpath), ptr(cname), ptr(v), 65536L));
            } catch (ErrnoException e) {
                if (e.errno() == Linux.ENODATA()) {
                    return java.util.Optional.empty();
                }
                throw e;
            }
            return java.util.Optional.of(v.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
        }
    }

    /** llistxattr(path): the names of the extended attributes of {@code path} itself. */
    public static java.util.List<String> llistxattr(String path, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpath = arena.allocateFrom(path);
            MemorySegment list = arena.allocate(65536);
            long n = check("llistxattr(" + what + ")", st -> call(Llistxattr.F, st, ptr(cpath), ptr(list), 65536L));
            java.util.List<String> names = new java.util.ArrayList<>();
            long start = 0;
            for (long i = 0; i < n; i++) {
                if (list.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) == 0) {
                    names.add(new String(list.asSlice(start, i - start).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                            java.nio.charset.StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            return names;
        }
    }

    /** socket(domain, type, protocol). */
    public static int socket(int domain, int type, int protocol, String what) {
        return (int) check("socket(" + what + ")", st -> (int) call(Socket.F, st, domain, type, protocol));
    }

    /** bind(fd, address, sizeof address). */
    public static void bind(int fd, MemorySegment address, String what) {
        check("bind(" + what + ")", st -> (int) call(Bind.F, st, fd, ptr(address), address.byteSize()));
    }

    /** setsockopt(fd, level, name, &amp;value, sizeof(int)) for the options that take an int. */
    public static void setsockoptInt(int fd, int level, int name, int value, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocateFrom(C_INT, value);
            check("setsockopt(" + what + ")", st -> (int) call(Setsockopt.F, st, fd, level, name, ptr(v), C_INT.byteSize()));
        }
    }

    /** sendto(2) of the whole buffer to {@code address} (a sockaddr of {@code address.byteSize()} bytes). */
    public static long sendto(int fd, MemorySegment buf, long count, MemorySegment address, String what) {
        return check("sendto(" + what + ")",
                st -> call(Sendto.F, st, fd, ptr(buf), count, 0, ptr(address), address.byteSize()));
    }

    /** recv(2) into buf; returns the datagram's length (which exceeds count when MSG_TRUNC is given and it did not fit). */
    public static long recv(int fd, MemorySegment buf, long count, int flags, String what) {
        return check("recv(" + what + ")", st -> call(Recv.F, st, fd, ptr(buf), count, flags));
    }

    /**
     * A datagram's length and the descriptors that came with it (SCM_RIGHTS), each -1 when none:
     * {@code second} only with a first.
     */
    public record Received(int length, int descriptor, int second) {
        /** Closes both descriptors (those that came). */
        public void closeDescriptors() {
            closeQuietly(descriptor);
            closeQuietly(second);
        }
    }

    /** Room for two ints in a control message: CMSG_SPACE(2 * sizeof(int)) (= CMSG_SPACE(sizeof(int)) on 64 bits). */
    private static final long CONTROL_SPACE = io.mdocker.bindings.cmsghdr.sizeof() + 8;

    /**
     * recvmsg(2) of one datagram into buf, with room for two descriptors passed along (SCM_RIGHTS,
     * received close-on-exec); descriptors that came with a datagram are always returned, so that
     * the caller closes them if it did not want them.
     */
    public static Received recvWithDescriptor(int fd, MemorySegment buf, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment iov = io.mdocker.bindings.iovec.allocate(arena);
            // Pointer fields written as 64-bit addresses at the generated offsets: the generated
            // setters go through an address layout's var handle, which spins method-handle classes
            // on first use (as Posix's common shape, this is for 64-bit ABIs).
            iov.set(ValueLayout.JAVA_LONG, io.mdocker.bindings.iovec.iov_base$offset(), ptr(buf));
            io.mdocker.bindings.iovec.iov_len(iov, buf.byteSize());
            MemorySegment control = arena.allocate(CONTROL_SPACE, 8);
            MemorySegment msg = io.mdocker.bindings.msghdr.allocate(arena);
            msg.set(ValueLayout.JAVA_LONG, io.mdocker.bindings.msghdr.msg_iov$offset(), ptr(iov));
            io.mdocker.bindings.msghdr.msg_iovlen(msg, 1);
            msg.set(ValueLayout.JAVA_LONG, io.mdocker.bindings.msghdr.msg_control$offset(), ptr(control));
            io.mdocker.bindings.msghdr.msg_controllen(msg, CONTROL_SPACE);
            int n = (int) check("recvmsg(" + what + ")",
                    st -> call(Recvmsg.F, st, fd, ptr(msg), Linux.MSG_CMSG_CLOEXEC()));
            long controlLength = io.mdocker.bindings.msghdr.msg_controllen(msg);
            int passed = -1;
            int second = -1;
            long header = io.mdocker.bindings.cmsghdr.sizeof();
            if (controlLength >= header + C_INT.byteSize()
                    && io.mdocker.bindings.cmsghdr.cmsg_level(control) == Linux.SOL_SOCKET()
                    && io.mdocker.bindings.cmsghdr.cmsg_type(control) == Linux.SCM_RIGHTS()) {
                long len = io.mdocker.bindings.cmsghdr.cmsg_len(control);
                if (len == header + C_INT.byteSize() || len == header + 2 * C_INT.byteSize()) {
                    passed = control.get(C_INT, header);
                }
                if (len == header + 2 * C_INT.byteSize()) {
                    second = control.get(C_INT, header + C_INT.byteSize());
                }
            }
            return new Received(n, passed, second);
        }
    }

    /** dup(2), close-on-exec not set (the JVM's descriptors never reach a child: posix_spawn closes them). */
    public static int dup(int fd, String what) {
        return (int) check("dup(" + what + ")", st -> (int) call(Dup.F, st, fd));
    }

    /** setns(fd, nstype): moves the calling thread into the namespace fd refers to (an nsfs file or a pidfd). */
    public static void setns(int fd, int nstype, String what) {
        check("setns(" + what + ")", st -> (int) call(Setns.F, st, fd, nstype));
    }

    private static final class Geteuid {
        static final String SYMBOL = "geteuid";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    private static final class Getpid {
        static final String SYMBOL = "getpid";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT);
        static final MemorySegment F = function(SYMBOL, DESC);
    }

    /** The effective uid of this process. */
    public static int geteuid() {
        return (int) callIgnoringErrno(Geteuid.F);
    }

    /** The pid of this process. */
    public static int getpid() {
        return (int) callIgnoringErrno(Getpid.F);
    }

    /**
     * Calls {@code function} (from {@link #function}) with {@code args} (ints widened, pointers
     * as {@link #ptr addresses}) through the common shape, for a function that reports failure by
     * its result rather than errno (the posix_spawn family) or cannot fail; returns its raw result
     * (cast an int result to int). The memory the pointers refer to must stay alive for the call.
     */
    public static long callIgnoringErrno(MemorySegment function, long... args) {
        if (args.length > ARGS) {
            throw new IllegalArgumentException(args.length + " arguments: expected at most " + ARGS);
        }
        long[] a = java.util.Arrays.copyOf(args, ARGS);
        try (Arena arena = Arena.ofConfined()) {
            return call(function, arena.allocate(CAPTURE), a[0], a[1], a[2], a[3], a[4], a[5]);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError("downcall failed", t);
        }
    }

}
