/**
 * mdocker-init: its sealed memfd, its spawning, the protocol spoken with it (the contract is
 * src/main/c/protocol.h) and the one reaper thread that waits for all of them; its helper modes for
 * a rootless JVM: owners ({@code UsernsFiles}) and a named network's holder ({@code NetworkHolder}).
 */
package io.mdocker.internal.process;
