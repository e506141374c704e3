package io.mdocker.internal.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Address leases of one bridge network, safe across threads and JVMs: a directory with a lock
 * file and one file per leased address, named after the address and holding the state entry of
 * the container that holds it.
 *
 * <pre>
 * &lt;dir&gt;/lock           fcntl-locked (and a JVM monitor) while a lease is taken or given back
 * &lt;dir&gt;/10.200.1.2     "/run/mdocker/containers/&lt;id&gt;\nmdk&lt;id&gt;" (owner's state entry, veth)
 * </pre>
 *
 * A lease is normally given back once its container's veth pair is gone ({@link LinkReaper}).
 * One that nobody gave back (a JVM that died) is free when its owner entry no longer exists and
 * its veth is gone too: the address is never handed out while the old pair may still be on the
 * bridge.
 */
final class Ipam {
    private final Path dir;
    private final Ipv4 subnet;
    private final int gateway;

    Ipam(Path dir, Ipv4 subnet, int gateway) {
        this.dir = dir;
        this.subnet = subnet.network();
        this.gateway = gateway;
    }

    Path dir() {
        return dir;
    }

    /** The lease file of an address. */
    Path leaseFile(int address) {
        return dir.resolve(Ipv4.format(address));
    }

    /**
     * Leases {@code wanted} (when not 0) or the lowest free address of the subnet to the
     * container whose state entry is {@code owner}.
     */
    int allocate(Path owner, String veth, int wanted) {
        return HostLock.with(dir.resolve("lock"), () -> {
            // Lease files are only named here; their contents are read (and stale ones reclaimed)
            // only when the wanted address is taken or no address is free.
            Set<String> taken = names();
            if (wanted != 0) {
                if (taken.contains(Ipv4.format(wanted)) && held().contains(Ipv4.format(wanted))) {
                    throw new IllegalStateException("address " + Ipv4.format(wanted) + " is already leased to another container on "
                            + subnet + " (" + holder(wanted) + ")");
                }
                write(wanted, owner, veth);
                return wanted;
            }
            int free = lowestFree(taken);
            if (free == 0) {
                taken = held();
                free = lowestFree(taken);
            }
            if (free == 0) {
                throw new IllegalStateException("no free address left in " + subnet + ": " + taken.size()
                        + " are leased (leases in " + dir + "; 'mdocker gc' removes those of dead containers)");
            }
            write(free, owner, veth);
            return free;
        });
    }

    private int lowestFree(Set<String> taken) {
        long first = (subnet.address() + 1) & 0xffffffffL;
        long last = (subnet.broadcast() - 1) & 0xffffffffL;
        for (long a = first; a <= last; a++) {
            int address = (int) a;
            if (address != gateway && !taken.contains(Ipv4.format(address))) {
                return address;
            }
        }
        return 0;
    }

    /** The names of the lease files. */
    private Set<String> names() {
        Set<String> names = new HashSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path lease : ds) {
                names.add(lease.getFileName().toString());
            }
        } catch (NoSuchFileException e) {
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException("reading address leases in " + dir + ": " + e.getMessage(), e);
        }
        names.remove("lock");
        return names;
    }

    /** Gives the lease back if {@code owner} still holds it. */
    void release(int address, Path owner) {
        releaseLease(leaseFile(address), owner);
    }

    /** Removes a lease file if it names {@code owner} (used by recovery, which knows only the file). */
    static void releaseLease(Path lease, Path owner) {
        HostLock.with(lease.resolveSibling("lock"), () -> {
            try {
                String holder = Files.readString(lease, StandardCharsets.UTF_8).split("\n", 2)[0].trim();
                if (holder.equals(owner.toString())) {
                    Files.delete(lease);
                }
            } catch (NoSuchFileException e) {
                // already released
            } catch (IOException e) {
                throw new UncheckedIOException("releasing address lease " + lease + ": " + e.getMessage(), e);
            }
        });
    }

    /** Addresses held: by a container whose entry exists, or whose veth still exists; the other leases are deleted. */
    private Set<String> held() {
        Set<String> taken = new HashSet<>();
        NetlinkSocket links = null;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path lease : ds) {
                String name = lease.getFileName().toString();
                if (name.equals("lock")) {
                    continue;
                }
                String[] lines;
                try {
                    lines = Files.readString(lease, StandardCharsets.UTF_8).split("\n");
                } catch (NoSuchFileException e) {
                    continue;
                }
                String owner = lines[0].trim();
                String veth = lines.length > 1 ? lines[1].trim() : "";
                boolean held = !owner.isEmpty() && Files.exists(Path.of(owner));
                if (!held && !veth.isEmpty()) {
                    if (links == null) {
                        links = NetlinkSocket.open("host");
                    }
                    held = Rtnl.findLink(links, veth) != null;
                }
                if (held) {
                    taken.add(name);
                } else {
                    Files.deleteIfExists(lease); // its container and its veth are gone
                }
            }
        } catch (NoSuchFileException e) {
            return taken;
        } catch (IOException e) {
            throw new UncheckedIOException("reading address leases in " + dir + ": " + e.getMessage(), e);
        } finally {
            if (links != null) {
                links.close();
            }
        }
        return taken;
    }

    private String holder(int address) {
        try {
            return "held by " + Files.readString(leaseFile(address), StandardCharsets.UTF_8).split("\n", 2)[0].trim();
        } catch (IOException e) {
            return "lease " + leaseFile(address);
        }
    }

    private void write(int address, Path owner, String veth) {
        try {
            Files.writeString(leaseFile(address), owner + "\n" + veth + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing address lease " + leaseFile(address) + ": " + e.getMessage(), e);
        }
    }
}
