/**
 * mdocker-init: its sealed memfd, its spawning, the protocol spoken with it (the contract is
 * src/main/c/protocol.h) and the one reaper thread that waits for all of them.
 */
package io.mdocker.internal.process;
