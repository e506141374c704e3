/**
 * mdocker's public API: define a container with {@link io.mdocker.Container#builder()}, then
 * {@link io.mdocker.Container#run run} it to its end or {@link io.mdocker.Container#start start}
 * it and hold the {@link io.mdocker.RunningContainer} handle.
 *
 * <p>Lifecycle: a container's processes, descriptors, writable layer and state record belong to
 * its handle until {@code close()} (which {@code run} calls for you); a JVM shutdown hook closes
 * forgotten handles, and a runtime removes what a SIGKILLed JVM left on its state roots.
 *
 * <p>Threading: definitions are immutable and handles thread-safe. One daemon thread per JVM,
 * {@code mdocker-reaper}, reaps every container and drains captured output; output sinks given
 * with {@link io.mdocker.Stdio#to} are called on it and must not block. Networking adds two
 * daemon threads when first used ({@code mdocker-netns}, {@code mdocker-net-reaper}) and virtual
 * threads for published ports and for an exec's input larger than a pipe takes at once. An exec
 * ({@link io.mdocker.RunningContainer#exec}) is started by an mdocker-init of its own, never by
 * the JVM; its handle, {@link io.mdocker.ExecProcess}, is thread-safe and closed with its container.
 * A warm pool ({@link io.mdocker.ContainerRuntime#pool}) refills on one platform thread of its own
 * ({@code mdocker-pool-N}) while it is not full and for a second after, and runs none once it has
 * been full that long. No type of the Foreign
 * Function &amp; Memory API appears here.
 */
package io.mdocker;
