/**
 * Container networking: rtnetlink over the Panama bindings ({@code NetlinkSocket},
 * {@code NlRequest}, {@code Rtnl}: links, veth pairs, bridges, addresses, routes; no {@code ip}
 * processes), the address allocator ({@code Ipam}, file-locked under the run root), NAT and
 * forwarding rules ({@code Nat}, the one place the {@code iptables} command runs), published
 * ports ({@code PortProxy}, an in-JVM TCP proxy), and {@code ContainerNetwork}, the
 * {@link io.mdocker.internal.HostResource} that puts them together per container. Rootless, a
 * named network's bridge is in its holder's namespace ({@code RootlessBridges}, one
 * {@link io.mdocker.internal.process.NetworkHolder} per open network), configured over netlink
 * sockets the holder opens.
 *
 * <p>Threads: {@code mdocker-netns} (one platform thread) opens netlink sockets inside
 * containers' network namespaces and does nothing else; {@code mdocker-net-reaper} (one platform
 * thread, asleep in poll(2)) gives addresses back once the kernel has removed a container's veth
 * pair; published ports are served by virtual threads. Everything else runs on the caller's
 * thread; the classes are thread-safe unless their documentation says otherwise.
 */
package io.mdocker.internal.net;
