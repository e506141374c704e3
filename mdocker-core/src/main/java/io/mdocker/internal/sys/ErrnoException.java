package io.mdocker.internal.sys;

/**
 * A failed system call: the call, the object it acted on, and errno with its name and text, as in
 * {@code memfd_create(mdocker-init): EMFILE (Too many open files)}.
 */
public final class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public ErrnoException(String call, int errno) {
        super(call + ": " + Errno.describe(errno));
        this.call = call;
        this.errno = errno;
    }

    /** The call and its object, e.g. {@code "poll(sync socket)"}. */
    public String call() {
        return call;
    }

    public int errno() {
        return errno;
    }
}
