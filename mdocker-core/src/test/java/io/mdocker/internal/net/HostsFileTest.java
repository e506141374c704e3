package io.mdocker.internal.net;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A user-defined network's shared hosts file, on a lease directory of its own: made from the
 * leases' names, rewritten in place (the same inode, which containers have bound), entries gone
 * when a container's names are taken off or its lease is given back.
 */
class HostsFileTest {
    private static final Path ROOT = Path.of("target", "hosts-file-test").toAbsolutePath();

    private static Ipam ipam(String name) throws IOException {
        Path dir = ROOT.resolve(name + "-" + System.nanoTime());
        Files.createDirectories(dir);
        Ipv4 gateway = Ipv4.parse("10.201.79.1/24", 32, "test");
        return new Ipam(dir, gateway, gateway.address());
    }

    private static Path owner(String name) throws IOException {
        return Files.createDirectories(ROOT.resolve("owners").resolve(name + "-" + System.nanoTime()));
    }

    private static Object inode(Path f) throws IOException {
        return Files.readAttributes(f, BasicFileAttributes.class).fileKey();
    }

    @Test
    void membersAreListedByAddressAndLeaveInPlace() throws IOException {
        Ipam ipam = ipam("members");
        Path hosts = HostsFile.of(ipam.dir());
        assertThat(hosts.getFileName().toString()).isEqualTo(ipam.dir().getFileName() + ".hosts");
        Path db = owner("db");
        Path web = owner("web");
        int dbAddress = ipam.allocate(db, "mdkdb", 0, HostsFile.names(java.util.List.of("db", "db", "database")));
        Object inode = inode(hosts);
        int webAddress = ipam.allocate(web, "mdkweb", 0, "web 3f2a1b4c5d6e");
        assertThat(Files.readString(hosts)).startsWith(HostsFile.HEADER)
                .endsWith("10.201.79.2\tdb database\n10.201.79.3\tweb 3f2a1b4c5d6e\n");
        assertThat(ipam.users()).hasSize(2);

        ipam.forgetNames(dbAddress, db); // the container ended; its address waits for its veth
        assertThat(ipam.leaseFile(dbAddress)).exists();
        assertThat(Files.readString(hosts)).isEqualTo(HostsFile.HEADER + "10.201.79.3\tweb 3f2a1b4c5d6e\n");
        assertThat(inode(hosts)).isEqualTo(inode);

        ipam.release(webAddress, web);
        assertThat(Files.readString(hosts)).isEqualTo(HostsFile.HEADER);
        assertThat(inode(hosts)).isEqualTo(inode);
    }

    @Test
    void usersAreTheLeaseHoldersWhoseEntriesExist() throws IOException {
        Ipam ipam = ipam("users");
        Path live = owner("0123456789abcdef");
        Files.writeString(live.resolve("state"), "name=db\n");
        Path gone = owner("fedcba9876543210");
        ipam.allocate(live, "mdklive", 0, "db");
        ipam.allocate(gone, "mdkgone", 0, "x");
        Files.delete(gone);
        assertThat(ipam.users()).containsExactly("db (" + live.getFileName().toString().substring(0, 12) + ")");
    }

    @Test
    void theDefaultBridgeHasNoHostsFile() throws IOException {
        Ipam ipam = ipam("default");
        int a = ipam.allocate(owner("a"), "mdka", 0);
        assertThat(HostsFile.of(ipam.dir())).doesNotExist();
        assertThat(Files.readString(ipam.leaseFile(a)).lines().count()).isEqualTo(2);
    }
}
