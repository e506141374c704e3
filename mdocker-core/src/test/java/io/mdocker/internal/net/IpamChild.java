package io.mdocker.internal.net;

import java.nio.file.Files;
import java.nio.file.Path;

/** Run in child JVMs by {@link IpamTest}: allocates N addresses in a lease directory, prints them. */
public final class IpamChild {
    private IpamChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Ipv4 gateway = Ipv4.parse(args[1], 32, "gateway");
        int n = Integer.parseInt(args[2]);
        Ipam ipam = new Ipam(dir, gateway, gateway.address());
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Path owner = Files.createDirectories(dir.resolveSibling("owners").resolve(ProcessHandle.current().pid() + "-" + i));
            out.append(Ipv4.format(ipam.allocate(owner, "mdk" + i, 0))).append('\n');
        }
        System.out.print(out);
    }
}
