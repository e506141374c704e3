/**
 * The wait strategies behind {@link io.mdocker.Wait}: a log line (woken by the log follower), a
 * listening TCP port, an HTTP status, a command's success (polled with a growing pause). Each
 * is immutable and may serve many containers at once; a wait blocks its caller only, and ends
 * early when the container exits.
 */
package io.mdocker.internal.wait;
