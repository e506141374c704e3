/** A container's writable layer and mount point directories under the lib root. */
package io.mdocker.internal.fs;
