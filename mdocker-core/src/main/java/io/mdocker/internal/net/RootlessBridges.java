package io.mdocker.internal.net;

import io.mdocker.internal.process.NetworkHolder;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rootless named networks this JVM holds open, by bridge name: each a {@link NetworkHolder}
 * whose network namespace holds the bridge with the network's address. Made by the first
 * container started on the network, ended by {@code Network.close()} ({@link #close}) or with this
 * JVM (the holder exits at its socket's end of file). Thread-safe.
 */
final class RootlessBridges {
    private RootlessBridges() {}

    /** One open network: its holder, the bridge's address and its index in the holder's namespace. */
    record Held(NetworkHolder holder, Ipv4 gateway, int bridgeIndex) { }

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Map<String, Held> HELD = new HashMap<>(); // guarded by the class

    /**
     * The open network {@code name}, or a new holder with the bridge {@code name} holding
     * {@code gateway}, up.
     *
     * @throws IllegalArgumentException when this JVM holds {@code name} open with another address
     */
    static synchronized Held ensure(String name, Ipv4 gateway) {
        Held h = HELD.get(name);
        if (h != null) {
            if (!h.gateway().equals(gateway)) {
                throw new IllegalArgumentException("rootless network " + name + " is open in this JVM with the address "
                        + h.gateway() + ", not " + gateway + ": close it first, or use another name");
            }
            return h;
        }
        NetworkHolder holder = NetworkHolder.start();
        try (NetlinkSocket s = NetlinkSocket.adopt(holder.ownSocket(), "the holder of network " + name)) {
            byte[] mac = new byte[6];
            RANDOM.nextBytes(mac);
            mac[0] = (byte) ((mac[0] & 0xfe) | 0x02); // unicast, locally administered
            s.execute(Rtnl.createBridge(name, mac));
            Rtnl.Link link = Rtnl.findLink(s, name);
            s.execute(List.of(Rtnl.addAddress(link.index(), name, gateway, 0)));
            h = new Held(holder, gateway, link.index());
        } catch (RuntimeException e) {
            holder.close();
            throw e;
        }
        HELD.put(name, h);
        return h;
    }

    /** The holder of {@code name}, ended (its namespaces go with it); nothing when it is not open. */
    static synchronized void close(String name) {
        Held h = HELD.remove(name);
        if (h != null) {
            h.holder().close();
        }
    }
}
