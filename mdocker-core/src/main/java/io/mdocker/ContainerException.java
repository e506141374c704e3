package io.mdocker;

/**
 * The runtime could not do what was asked: a system call failed (the message names the call,
 * its object and errno text, e.g. {@code mount(overlay -> /var/lib/mdocker/containers/…/merged):
 * EINVAL (Invalid argument)}), or the machine cannot run containers. Bad input is reported
 * earlier, as {@link IllegalArgumentException}, before anything is created.
 */
public class ContainerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ContainerException(String message) {
        super(message);
    }

    public ContainerException(String message, Throwable cause) {
        super(message, cause);
    }
}
