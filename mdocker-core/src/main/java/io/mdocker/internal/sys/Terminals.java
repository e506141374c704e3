package io.mdocker.internal.sys;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.termios;
import io.mdocker.bindings.winsize;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.mdocker.bindings.Linux.C_INT;

/**
 * Terminal calls over descriptors: window sizes (TIOCGWINSZ, TIOCSWINSZ) of a pseudo-terminal's
 * master or of a terminal, and a terminal's attributes (termios) for a raw mode that a caller
 * restores. Failures are {@link ErrnoException}s as in {@link Posix}. Thread-safe, stateless.
 */
public final class Terminals {
    private Terminals() {}

    /** ioctl(fd, request, pointer): the descriptor is checked like Posix's (PosixDescriptorsTest). */
    private static final class IoctlPointer {
        static final String SYMBOL = "ioctl";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, Linux.C_LONG, Linux.C_POINTER);
        static final int FIRST_VARIADIC = 2;
        static final MethodHandle H = Posix.link(Linux.ioctl.address(), DESC, Linker.Option.firstVariadicArg(FIRST_VARIADIC));
    }
    private static final MethodHandle TCGETATTR = Posix.link(Linux.tcgetattr$address(), Linux.tcgetattr$descriptor());
    private static final MethodHandle TCSETATTR = Posix.link(Linux.tcsetattr$address(), Linux.tcsetattr$descriptor());

    /** Whether {@code fd} is a terminal. */
    public static boolean isTerminal(int fd) {
        return Linux.isatty(fd) == 1;
    }

    /** {rows, columns} of the terminal (or master) {@code fd}. */
    public static int[] windowSize(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = winsize.allocate(arena);
            long request = Linux.TIOCGWINSZ();
            Posix.check("ioctl(" + what + ", TIOCGWINSZ)", st -> (int) IoctlPointer.H.invokeExact(st, fd, request, ws));
            return new int[] {Short.toUnsignedInt(winsize.ws_row(ws)), Short.toUnsignedInt(winsize.ws_col(ws))};
        }
    }

    /** Sets the window size of a pseudo-terminal through its master: its foreground process group gets SIGWINCH. */
    public static void setWindowSize(int fd, int rows, int columns, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = winsize.allocate(arena);
            winsize.ws_row(ws, (short) rows);
            winsize.ws_col(ws, (short) columns);
            long request = Linux.TIOCSWINSZ();
            Posix.check("ioctl(" + what + ", TIOCSWINSZ " + rows + "x" + columns + ")",
                    st -> (int) IoctlPointer.H.invokeExact(st, fd, request, ws));
        }
    }

    /** The terminal's attributes (struct termios) as bytes, for {@link #setAttributes}. */
    public static byte[] attributes(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment t = termios.allocate(arena);
            Posix.check("tcgetattr(" + what + ")", st -> (int) TCGETATTR.invokeExact(st, fd, t));
            return t.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** Sets attributes {@link #attributes} returned, at once (TCSANOW). */
    public static void setAttributes(int fd, byte[] attributes, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment t = arena.allocate(termios.layout());
            t.copyFrom(MemorySegment.ofArray(attributes));
            set(fd, t, what);
        }
    }

    /** Puts the terminal into raw mode (cfmakeraw: no echo, no line editing, no signals from keys). */
    public static void makeRaw(int fd, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment t = termios.allocate(arena);
            Posix.check("tcgetattr(" + what + ")", st -> (int) TCGETATTR.invokeExact(st, fd, t));
            Linux.cfmakeraw(t);
            set(fd, t, what);
        }
    }

    private static void set(int fd, MemorySegment t, String what) {
        int now = Linux.TCSANOW();
        Posix.check("tcsetattr(" + what + ")", st -> (int) TCSETATTR.invokeExact(st, fd, now, t));
    }
}
