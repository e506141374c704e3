package io.mdocker;

/** When {@link Container.Builder#image(String)} fetches its image from a registry. */
public enum PullPolicy {
    /** Pull only when the image is not in the store (the default). */
    MISSING,
    /** Pull every time a container is built. */
    ALWAYS,
    /** Never pull: an image not in the store is an error. */
    NEVER
}
