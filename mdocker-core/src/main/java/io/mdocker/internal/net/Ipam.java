package io.mdocker.internal.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Address leases of one bridge network, safe across threads and JVMs: a directory with a lock
 * file and one file per leased address, named after the address and holding the state entry of
 * the container that holds it.
 *
 * <pre>
 * &lt;dir&gt;/lock           fcntl-locked (and a JVM monitor) while a lease is taken or given back
 * &lt;dir&gt;/10.200.1.2     "/run/mdocker/containers/&lt;id&gt;\nmdk&lt;id&gt;" (owner's state entry, veth)
 *                        and on a user-defined network a third line: the names it answers to,
 *                        and a fourth: its extra hosts as ADDRESS NAME pairs (none: no line)
 * &lt;dir&gt;.hosts         the network's shared /etc/hosts, made from those names ({@link HostsFile});
 *                        a member with extra hosts has its own copy with them in its state entry
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

    /** {@link #allocate(Path, String, int, String, List)} without names (the default bridge). */
    int allocate(Path owner, String veth, int wanted) {
        return allocate(owner, veth, wanted, null, List.of());
    }

    /** {@link #allocate(Path, String, int, String, List)} without extra hosts. */
    int allocate(Path owner, String veth, int wanted, String names) {
        return allocate(owner, veth, wanted, names, List.of());
    }

    /**
     * Leases {@code wanted} (when not 0) or the lowest free address of the subnet to the
     * container whose state entry is {@code owner}. With {@code names} (a user-defined network:
     * the container's name, hostname and aliases, space-separated) the lease records them and the
     * network's hosts file is rewritten with them, under the same lock; so is the container's own
     * copy when it has {@code extraHosts} ({@link HostsFile#ownFile}).
     */
    int allocate(Path owner, String veth, int wanted, String names, List<ContainerNetwork.HostsEntry> extraHosts) {
        String extra = names == null || extraHosts.isEmpty() ? null : HostsFile.encode(extraHosts);
        return HostLock.with(dir.resolve("lock"), () -> {
            int leased = lease(owner, veth, wanted, names, extra);
            if (names != null) {
                try {
                    HostsFile.rewrite(dir, true);
                } catch (RuntimeException e) {
                    deleteQuietly(leaseFile(leased));
                    throw e;
                }
            }
            return leased;
        });
    }

    /**
     * Takes the names off {@code owner}'s lease of {@code address} and rewrites the hosts file:
     * the container has ended, its address stays leased until its veth pair is gone.
     */
    void forgetNames(int address, Path owner) {
        Path lease = leaseFile(address);
        HostLock.with(dir.resolve("lock"), () -> {
            try {
                String[] lines = Files.readString(lease, StandardCharsets.UTF_8).split("\n");
                if (lines.length > 2 && lines[0].trim().equals(owner.toString())) {
                    Files.writeString(lease, lines[0] + "\n" + lines[1] + "\n", StandardCharsets.UTF_8);
                }
            } catch (NoSuchFileException e) {
                // already released
            } catch (IOException e) {
                throw new UncheckedIOException("updating address lease " + lease + ": " + e.getMessage(), e);
            }
            HostsFile.rewrite(dir, false);
        });
    }

    private static void deleteQuietly(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // the lease is reclaimed as stale later
        }
    }

    private int lease(Path owner, String veth, int wanted, String names, String extra) {
        // Lease files are only named here; their contents are read (and stale ones reclaimed)
        // only when the wanted address is taken or no address is free.
        Set<String> taken = names();
        if (wanted != 0) {
            if (taken.contains(Ipv4.format(wanted)) && held().contains(Ipv4.format(wanted))) {
                throw new IllegalStateException("address " + Ipv4.format(wanted) + " is already leased to another container on "
                        + subnet + " (" + holder(wanted) + ")");
            }
            write(wanted, owner, veth, names, extra);
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
        write(free, owner, veth, names, extra);
        return free;
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

    /**
     * The leases in {@code dir}, by address (sorted): the id of the container each names as its
     * owner (the last part of its state entry's path). A lease given back while it is read is left out.
     */
    static Map<String, String> owners(Path dir) {
        Map<String, String> owners = new java.util.TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path lease : ds) {
                String address = lease.getFileName().toString();
                if (address.equals("lock")) {
                    continue;
                }
                try {
                    String owner = Files.readString(lease, StandardCharsets.UTF_8).split("\n", 2)[0].trim();
                    owners.put(address, Path.of(owner).getFileName().toString());
                } catch (NoSuchFileException e) {
                    // given back meanwhile
                }
            }
        } catch (NoSuchFileException e) {
            return owners;
        } catch (IOException e) {
            throw new UncheckedIOException("reading address leases in " + dir + ": " + e.getMessage(), e);
        }
        return owners;
    }

    /** Gives the lease back if {@code owner} still holds it. */
    void release(int address, Path owner) {
        releaseLease(leaseFile(address), owner);
    }

    /**
     * Removes a lease file if it names {@code owner} (used by recovery, which knows only the file),
     * and rewrites the network's hosts file when the lease named the container there.
     */
    static void releaseLease(Path lease, Path owner) {
        HostLock.with(lease.resolveSibling("lock"), () -> {
            try {
                String[] lines = Files.readString(lease, StandardCharsets.UTF_8).split("\n");
                if (lines[0].trim().equals(owner.toString())) {
                    Files.delete(lease);
                    if (lines.length > 2) {
                        HostsFile.rewrite(lease.getParent(), false);
                    }
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

    /**
     * The containers holding leases, as {@code name (short id)} or the short id, read from their
     * state entries: those whose entry still exists (a closed container's lease waiting for its veth
     * pair to go does not count). The caller holds the lock.
     */
    List<String> users() {
        List<String> users = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path lease : ds) {
                if (lease.getFileName().toString().equals("lock")) {
                    continue;
                }
                String owner;
                try {
                    owner = Files.readString(lease, StandardCharsets.UTF_8).split("\n", 2)[0].trim();
                } catch (NoSuchFileException e) {
                    continue;
                }
                if (owner.isEmpty() || !Files.isDirectory(Path.of(owner))) {
                    continue;
                }
                String id = Path.of(owner).getFileName().toString();
                String shortId = id.substring(0, Math.min(12, id.length()));
                Map<String, String> state = io.mdocker.internal.fs.PropertiesFiles.read(Path.of(owner, "state"));
                String name = state == null ? null : state.get("name");
                users.add(name == null ? shortId : name + " (" + shortId + ")");
            }
        } catch (NoSuchFileException e) {
            return users;
        } catch (IOException e) {
            throw new UncheckedIOException("reading address leases in " + dir + ": " + e.getMessage(), e);
        }
        users.sort(null);
        return users;
    }

    private String holder(int address) {
        try {
            return "held by " + Files.readString(leaseFile(address), StandardCharsets.UTF_8).split("\n", 2)[0].trim();
        } catch (IOException e) {
            return "lease " + leaseFile(address);
        }
    }

    private void write(int address, Path owner, String veth, String names, String extra) {
        try {
            Files.writeString(leaseFile(address), owner + "\n" + veth + "\n" + (names == null ? "" : names + "\n")
                    + (extra == null ? "" : extra + "\n"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("writing address lease " + leaseFile(address) + ": " + e.getMessage(), e);
        }
    }
}
