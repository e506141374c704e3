package io.mdocker.internal.net;

import io.mdocker.internal.process.NetworkHolder;
import io.mdocker.internal.sys.RandomBytes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rootless named networks this JVM holds open, by bridge name: each a {@link NetworkHolder}
 * whose network namespace holds the bridge with the network's address, routes, masquerades the
 * bridge's subnet (an nft rule in that namespace) and reaches the outside through pasta, which
 * the holder started there from the host's namespaces and ends with itself. Made by the first
 * container started on the network, ended by {@code Network.close()} ({@link #close}) or with this
 * JVM (the holder exits at its socket's end of file). Thread-safe.
 *
 * <p>A network's leases and hosts file are under the run root's {@code net/}, as for root; the
 * JVM that holds it open claims it with an fcntl lock on {@code net/NAME.holder}, so that another
 * process of the user cannot open a second holder for the same leases (refused in one line), and
 * recovery knows a dead JVM's network from a live one's: the lock went with the process.
 */
final class RootlessBridges {
    private RootlessBridges() {}

    /** One open network: its holder, the bridge's address and its index in the holder's namespace. */
    record Held(NetworkHolder holder, Ipv4 gateway, int bridgeIndex, FileChannel claim, Path netRoot) { }

    private static final Map<String, Held> HELD = new HashMap<>(); // guarded by the class

    /**
     * The open network {@code name}, or a new holder with the bridge {@code name} holding
     * {@code gateway}, up.
     *
     * @throws IllegalArgumentException when this JVM holds {@code name} open with another address
     */
    static synchronized Held ensure(String name, Ipv4 gateway, Path netRoot) {
        Held h = HELD.get(name);
        if (h != null) {
            if (!h.gateway().equals(gateway)) {
                throw new IllegalArgumentException("rootless network " + name + " is open in this JVM with the address "
                        + h.gateway() + ", not " + gateway + ": close it first, or use another name");
            }
            return h;
        }
        String pasta = Pasta.binary().toString();
        String nft = AntiSpoofing.find().orElseThrow(() -> new IllegalArgumentException("rootless network " + name
                + " needs nft to masquerade its containers' outbound traffic (apt-get install nftables)"));
        FileChannel claim = claim(name, netRoot);
        NetworkHolder holder;
        try {
            holder = NetworkHolder.start();
        } catch (RuntimeException e) {
            closeQuietly(claim);
            throw e;
        }
        try (NetlinkSocket s = NetlinkSocket.adopt(holder.ownSocket(), "the holder of network " + name)) {
            byte[] mac = new byte[6];
            RandomBytes.fill(mac);
            mac[0] = (byte) ((mac[0] & 0xfe) | 0x02); // unicast, locally administered
            s.execute(Rtnl.createBridge(name, mac));
            Rtnl.Link link = Rtnl.findLink(s, name);
            s.execute(List.of(Rtnl.addAddress(link.index(), name, gateway, 0)));
            // outbound: masqueraded to pasta's tap address, routed through pasta
            // and never to the subnet of another of this JVM's networks (whose containers would otherwise be
            // sought beyond the host): those are refused, as Docker's isolation between bridges does
            StringBuilder others = new StringBuilder();
            for (Held other : HELD.values()) {
                others.append(others.isEmpty() ? "" : ", ").append(other.gateway().network());
            }
            holder.run(List.of(nft, "add table ip mdocker; add chain ip mdocker postrouting { type nat hook postrouting "
                    + "priority srcnat ; } ; add rule ip mdocker postrouting ip saddr " + gateway.network()
                    + " oifname != \"" + name + "\" masquerade ; add set ip mdocker isolated { type ipv4_addr ; flags "
                    + "interval ; } ; add chain ip mdocker forward { type filter hook forward priority filter ; } ; "
                    + "add rule ip mdocker forward ip daddr @isolated reject with icmp type admin-prohibited"
                    + (others.isEmpty() ? "" : " ; add element ip mdocker isolated { " + others + " }")));
            for (Held other : HELD.values()) {
                other.holder().run(List.of(nft, "add element ip mdocker isolated { " + gateway.network() + " }"));
            }
            Path ns = holder.namespaces();
            holder.startPasta(List.of(pasta, "--config-net", "--quiet", "--no-map-gw", "-t", "none", "-u", "none",
                    "-T", "none", "-U", "none", "--dns-forward", Pasta.DNS, "--userns", ns.resolve("user").toString(),
                    "--netns", ns.resolve("net").toString()));
            h = new Held(holder, gateway, link.index(), claim, netRoot);
        } catch (RuntimeException e) {
            holder.close();
            closeQuietly(claim);
            throw e;
        }
        HELD.put(name, h);
        return h;
    }

    /** Where the open network {@code name} keeps its leases ({@code <run root>/net}), if this JVM holds it. */
    static synchronized java.util.Optional<Path> netRoot(String name) {
        return java.util.Optional.ofNullable(HELD.get(name)).map(Held::netRoot);
    }

    /** The bridge address of the open network {@code name}, if this JVM holds it. */
    static synchronized java.util.Optional<Ipv4> gateway(String name) {
        return java.util.Optional.ofNullable(HELD.get(name)).map(Held::gateway);
    }

    /** The subnets of the networks this JVM holds open. */
    static synchronized List<Ipv4> subnets() {
        return HELD.values().stream().map(h -> h.gateway().network()).toList();
    }

    /** The holder of {@code name}, ended (its namespaces go with it); nothing when it is not open. */
    static synchronized void close(String name) {
        Held h = HELD.remove(name);
        if (h != null) {
            h.holder().close();
            closeQuietly(h.claim());
            AntiSpoofing.find().ifPresent(nft -> {
                for (Held other : HELD.values()) { // its subnet is free for another network again
                    try {
                        other.holder().run(List.of(nft, "delete element ip mdocker isolated { " + h.gateway().network() + " }"));
                    } catch (RuntimeException e) {
                        // a holder that cannot answer is on its way out
                    }
                }
            });
        }
    }

    /** The claim file of network {@code name}. */
    static Path claimFile(Path netRoot, String name) {
        return netRoot.resolve(name + ".holder");
    }

    /** An fcntl lock on {@code net/NAME.holder}, with this JVM's pid in it, or a one-line refusal. */
    private static FileChannel claim(String name, Path netRoot) {
        Path file = claimFile(netRoot, name);
        try {
            Files.createDirectories(netRoot);
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            if (lock == null) {
                String pid = Files.readString(file, StandardCharsets.US_ASCII).strip();
                ch.close();
                throw new IllegalArgumentException("rootless network " + name + " is held open by another process of "
                        + "this user (pid " + pid + ", " + file + "): a rootless named network belongs to the JVM that "
                        + "opened it; use another name");
            }
            ch.truncate(0).write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
                    .getBytes(StandardCharsets.US_ASCII)), 0);
            return ch;
        } catch (IOException e) {
            throw new UncheckedIOException("claiming rootless network " + name + " (" + file + "): " + e.getMessage(), e);
        }
    }

    /**
     * Whether network {@code name} under {@code netRoot} is held by no process (not by this JVM,
     * and its claim file, if any, unlocked), running {@code removal} while it makes sure, and
     * deleting the claim file after it: recovery's removal of a dead JVM's network.
     */
    static synchronized boolean removeIfUnheld(Path netRoot, String name, Runnable removal) {
        if (HELD.containsKey(name)) {
            return false; // never a second descriptor of our own claim: closing it would drop the lock
        }
        Path file = claimFile(netRoot, name);
        if (!Files.exists(file)) {
            removal.run();
            return true;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE); FileLock lock = ch.tryLock()) {
            if (lock == null) {
                return false;
            }
            removal.run();
            Files.deleteIfExists(file);
            return true;
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("checking the claim " + file + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing drops the lock whatever it reports
        }
    }
}
