/**
 * A container's writable layer and mount point directories under the lib root, and copies into
 * and out of a container's root ({@link io.mdocker.internal.fs.ContainerFiles}: openat2 with
 * RESOLVE_IN_ROOT, never following a link out of it).
 */
package io.mdocker.internal.fs;
