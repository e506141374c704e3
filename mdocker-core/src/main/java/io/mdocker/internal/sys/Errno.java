package io.mdocker.internal.sys;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.link.ErrnoLinker;

import java.lang.foreign.MemorySegment;

/** errno values as text: {@code EBUSY (Device or resource busy)}. */
public final class Errno {
    private Errno() {}

    /** No such file or directory. */
    public static final int ENOENT = Linux.ENOENT();
    /** Permission denied. */
    public static final int EACCES = Linux.EACCES();
    /** No such process. */
    public static final int ESRCH = Linux.ESRCH();

    public static String describe(int errno) {
        String name = cString(Linux.strerrorname_np(errno));
        String text = cString(Linux.strerrordesc_np(errno));
        if (name == null) {
            return "errno " + errno + (text == null ? "" : " (" + text + ")");
        }
        return text == null ? name : name + " (" + text + ")";
    }

    /** The description alone, {@code Address already in use}, or {@code errno N} when glibc knows none. */
    public static String description(int errno) {
        String text = cString(Linux.strerrordesc_np(errno));
        return text == null ? "errno " + errno : text;
    }

    /** The symbolic name alone, {@code EBUSY}, or {@code errno N} when glibc knows none. */
    public static String name(int errno) {
        String name = cString(Linux.strerrorname_np(errno));
        return name == null ? "errno " + errno : name;
    }

    private static String cString(MemorySegment s) {
        return ErrnoLinker.cString(s, 256);
    }
}
