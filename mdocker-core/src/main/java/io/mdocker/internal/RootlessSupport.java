package io.mdocker.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What stands in the way of rootless containers (a JVM that is not root), read from the kernel's
 * settings under a {@code /proc/sys} tree (a parameter, so that fake trees can test it): each
 * reason one line naming the setting and the fix. Used by the start path and the JUnit extension.
 */
public final class RootlessSupport {
    private RootlessSupport() {}

    /** Why rootless containers cannot run where {@code procSys} is /proc/sys; empty when nothing known prevents it. */
    public static Optional<String> unavailable(Path procSys) {
        if ("0".equals(read(procSys.resolve("kernel/unprivileged_userns_clone")))) {
            return Optional.of("unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0): "
                    + "as root, sysctl -w kernel.unprivileged_userns_clone=1, or run as root");
        }
        if ("0".equals(read(procSys.resolve("user/max_user_namespaces")))) {
            return Optional.of("user namespaces are disabled (user.max_user_namespaces=0): as root, "
                    + "sysctl -w user.max_user_namespaces=15000, or run as root");
        }
        if ("1".equals(read(procSys.resolve("kernel/apparmor_restrict_unprivileged_userns")))) {
            return Optional.of("AppArmor restricts unprivileged user namespaces "
                    + "(kernel.apparmor_restrict_unprivileged_userns=1): give the java binary an AppArmor profile with "
                    + "'userns,' (as Ubuntu's for bwrap), or as root sysctl -w kernel.apparmor_restrict_unprivileged_userns=0");
        }
        String release = read(procSys.resolve("kernel/osrelease"));
        if (release != null && !atLeast(release, 5, 11)) {
            return Optional.of("overlay in a user namespace needs Linux 5.11 or later (userxattr), this kernel is "
                    + release + ": run as root");
        }
        return Optional.empty();
    }

    static boolean atLeast(String release, int major, int minor) {
        Matcher m = Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
        if (!m.find()) {
            return true; // unknown: the kernel will say
        }
        int a = Integer.parseInt(m.group(1));
        int b = Integer.parseInt(m.group(2));
        return a > major || (a == major && b >= minor);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return null;
        }
    }
}
