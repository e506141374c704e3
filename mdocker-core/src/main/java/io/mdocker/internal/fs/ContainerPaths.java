package io.mdocker.internal.fs;

import java.util.ArrayList;
import java.util.List;

/** Absolute paths inside a container, checked and split into names. */
public final class ContainerPaths {
    private ContainerPaths() {}

    /**
     * The names of an absolute path ({@code /a//b/./c} gives a, b, c; {@code /} none). A relative
     * path, {@code ..}, a NUL or an empty path is a one-line {@link IllegalArgumentException}
     * naming {@code what}.
     */
    public static List<String> components(String path, String what) {
        if (path == null || !path.startsWith("/") || path.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("invalid " + what + " '" + path + "': expected an absolute path in the container");
        }
        List<String> names = new ArrayList<>();
        for (String name : path.split("/")) {
            if (name.isEmpty() || name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                throw new IllegalArgumentException("invalid " + what + " '" + path + "': '..' is not allowed");
            }
            names.add(name);
        }
        return names;
    }

    /** The names joined as a path relative to the root ("" for none). */
    public static String join(List<String> names) {
        return String.join("/", names);
    }
}
