package io.mdocker.internal.image.registry;

/**
 * A pull that failed: the message is one line naming the image and what failed (the blob, the
 * status and what the registry said). Nothing of a failed blob is left in the store.
 */
public final class RegistryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RegistryException(String message) {
        super(message);
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
