package io.mdocker.internal.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one {@code /etc/hosts} of a user-defined bridge network, bound read-only into every member
 * container: the usual localhost lines, then one line per member, {@code ADDRESS NAME HOSTNAME
 * ALIAS...}, so that members find each other by name, hostname and alias.
 *
 * <p>It sits beside the network's lease directory ({@code <run root>/net/mdt50.hosts} beside
 * {@code net/mdt50/}) and is made from the lease files, whose third line holds the member's names
 * ({@link Ipam}): whoever takes, gives back or strips a lease rewrites it, under the lease
 * directory's lock, so every process on the network sees one file. A member with extra hosts
 * (Docker's {@code --add-host}, the lease's fourth line) is bound its own copy instead,
 * {@link #ownFile} in its state entry: the same lines with its extra ones after the localhost
 * lines, rewritten with the shared file for as long as its lease names it. A file is rewritten in
 * place, never replaced: each container's {@code /etc/hosts} is a bind mount of this inode, and a
 * renamed new file would not reach it. One write covers the old length (a shorter content is
 * padded with newlines), then the file is truncated: a reader meanwhile sees the new lines and
 * some blank ones, never the tail of an old line.
 */
final class HostsFile {
    private HostsFile() {}

    static final String HEADER = """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            fe00::0\tip6-localnet
            ff00::0\tip6-mcastprefix
            ff02::1\tip6-allnodes
            ff02::2\tip6-allrouters
            """;

    /** The hosts file of the network whose lease directory is {@code leaseDir}. */
    static Path of(Path leaseDir) {
        return leaseDir.resolveSibling(leaseDir.getFileName() + ".hosts");
    }

    /**
     * Rewrites the hosts file of {@code leaseDir} from its leases; the caller holds the lease
     * directory's lock. Creates the file when {@code create}, else leaves a missing one missing
     * (a network without one, or one being removed).
     */
    static void rewrite(Path leaseDir, boolean create) {
        Path file = of(leaseDir);
        if (!create && !Files.exists(file)) {
            return;
        }
        Map<Path, String> own = new java.util.LinkedHashMap<>();
        String members = members(leaseDir, own);
        writeInPlace(file, HEADER + members);
        own.forEach((entry, extra) -> {
            try {
                writeInPlace(ownFile(entry), HEADER + extra + members);
            } catch (UncheckedIOException e) {
                if (!(e.getCause() instanceof NoSuchFileException)) {
                    throw e;
                }
                // its state entry is gone (its container ended), and the file with it
            }
        });
    }

    /** The copy of a member with extra hosts, in its state entry {@code entryDir}. */
    static Path ownFile(Path entryDir) {
        return entryDir.resolve("hosts");
    }

    /** A lease's fourth line: the extra hosts as {@code ADDRESS NAME} pairs, space-separated. */
    static String encode(List<ContainerNetwork.HostsEntry> extraHosts) {
        StringBuilder b = new StringBuilder();
        for (ContainerNetwork.HostsEntry h : extraHosts) {
            b.append(b.isEmpty() ? "" : " ").append(h.address()).append(' ').append(h.name());
        }
        return b.toString();
    }

    /** The hosts lines of a lease's fourth line. */
    private static String decode(String line) {
        String[] f = line.trim().split(" ");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i + 1 < f.length; i += 2) {
            b.append(f[i]).append('\t').append(f[i + 1]).append('\n');
        }
        return b.toString();
    }

    /**
     * The member lines: leases whose third line names the holder, in address order; {@code own}
     * gets the state entry and extra hosts' lines of each member that has them.
     */
    private static String members(Path leaseDir, Map<Path, String> own) {
        Map<Long, String> lines = new TreeMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(leaseDir)) {
            for (Path lease : ds) {
                String address = lease.getFileName().toString();
                if (address.equals("lock")) {
                    continue;
                }
                List<String> fields;
                try {
                    fields = Arrays.asList(Files.readString(lease, StandardCharsets.UTF_8).split("\n"));
                } catch (NoSuchFileException e) {
                    continue;
                }
                if (fields.size() > 2 && !fields.get(2).isBlank()) {
                    long key;
                    try {
                        key = Integer.toUnsignedLong(Ipv4.parseAddress(address, address, "lease"));
                    } catch (IllegalArgumentException e) {
                        continue; // not a lease
                    }
                    lines.put(key, address + "\t" + fields.get(2).trim() + "\n");
                    if (fields.size() > 3 && !fields.get(3).isBlank() && !fields.get(0).isBlank()) {
                        own.put(Path.of(fields.get(0).trim()), decode(fields.get(3)));
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException("reading address leases in " + leaseDir + ": " + e.getMessage(), e);
        }
        return String.join("", lines.values());
    }

    /** The member line's names: the container's name (if any), hostname, then aliases, each once. */
    static String names(List<String> names) {
        List<String> once = new ArrayList<>();
        for (String n : names) {
            if (!once.contains(n)) {
                once.add(n);
            }
        }
        return String.join(" ", once);
    }

    private static void writeInPlace(Path file, String content) {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            int length = (int) Math.max(ch.size(), bytes.length);
            ByteBuffer buf = ByteBuffer.allocate(length);
            buf.put(bytes);
            while (buf.hasRemaining()) {
                buf.put((byte) '\n');
            }
            buf.flip();
            while (buf.hasRemaining()) {
                ch.write(buf, buf.position());
            }
            ch.truncate(bytes.length);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file + ": " + e.getMessage(), e);
        }
    }
}
