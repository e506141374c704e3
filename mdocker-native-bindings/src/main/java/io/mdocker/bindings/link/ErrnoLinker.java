package io.mdocker.bindings.link;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The restricted operations mdocker-core needs beyond the generated bindings, written by hand and
 * kept in this module so that native access is granted to this module alone
 * ({@code --enable-native-access=io.mdocker.bindings}): linking a generated symbol again with
 * errno capture (which jextract cannot add), linking one shape for many functions (the address
 * given per call), and reading a C string of unknown size.
 */
public final class ErrnoLinker {
    private ErrnoLinker() {}

    private static final Linker LINKER = Linker.nativeLinker();

    /** A downcall handle for {@code address} with {@code descriptor} and {@code options}. */
    public static MethodHandle link(MemorySegment address, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(address, descriptor, options);
    }

    /**
     * A downcall handle for any function of {@code descriptor}'s shape: its first parameter is the
     * function's address.
     */
    public static MethodHandle link(FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(descriptor, options);
    }

    /** The NUL-terminated string at {@code address}, read within its first {@code max} bytes; null for NULL. */
    public static String cString(MemorySegment address, long max) {
        if (address.equals(MemorySegment.NULL)) {
            return null;
        }
        return address.reinterpret(max).getString(0);
    }
}
