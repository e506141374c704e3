package io.mdocker.internal.cgroup;

/**
 * A cgroup file system operation failed: the message names the operation, the path, the value
 * written where there was one, and the system's reason, as in
 * {@code writing "33554432" to /sys/fs/cgroup/mdocker/ab12/memory.max: Invalid argument}.
 */
public class CgroupException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CgroupException(String message) {
        super(message);
    }

    public CgroupException(String message, Throwable cause) {
        super(message, cause);
    }
}
