package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.ExecFailedException;
import io.mdocker.internal.process.Protocol;
import io.mdocker.internal.sys.Errno;

/** An ERROR(step, errno, object) of mdocker-init as the exception a caller gets. */
public final class SetupErrors {
    private SetupErrors() {}

    /** An exec that failed is an {@link ExecFailedException} (127 not found, 126 otherwise), as Docker's. */
    public static ContainerException of(int step, int errno, String object) {
        if (step == Protocol.STEP_EXEC) {
            if (errno == Errno.ENOENT) {
                return new ExecFailedException(object.contains("/")
                        ? "executable file not found in rootfs: " + object
                        : "executable file not found in $PATH: " + object, 127);
            }
            if (errno == Errno.EACCES) {
                return new ExecFailedException("permission denied executing " + object, 126);
            }
            return new ExecFailedException("cannot execute " + object + ": " + Errno.describe(errno), 126);
        }
        if (io.mdocker.internal.sys.Namespaces.rootless() && object.startsWith("mount(overlay ")) {
            return new ContainerException(object + ": " + Errno.describe(errno) + ": the kernel refused overlay in the "
                    + "container's user namespace (rootless); it needs Linux 5.11 or later, layers this user can read, "
                    + "and a lib root on a file system with user xattrs (ext4, xfs, btrfs; tmpfs from Linux 6.6): "
                    + "choose another with ContainerRuntime.at or --state-root, or run as root");
        }
        return new ContainerException(object + ": " + Errno.describe(errno));
    }

    /** {@code e} as a {@link ContainerException} that says what was being done. */
    static ContainerException wrap(String what, Throwable e) {
        if (e instanceof ContainerException ce) {
            return ce;
        }
        return new ContainerException(what + ": " + e.getMessage(), e);
    }
}
