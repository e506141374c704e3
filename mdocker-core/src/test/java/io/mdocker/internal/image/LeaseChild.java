package io.mdocker.internal.image;

import io.mdocker.internal.image.registry.Lease;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link ImageLeaseTest}: takes a lease in the image store {@code images}
 * (its first argument), adds the digests given after it one by one, prints {@code held}, and
 * holds the lease until its standard input ends.
 */
public final class LeaseChild {
    private LeaseChild() {}

    public static void main(String[] args) throws Exception {
        Path images = Path.of(args[0]);
        try (Lease lease = Lease.take(images.resolve("leases"), images.resolve("index.lock"))) {
            for (int i = 1; i < args.length; i++) {
                lease.protect(args[i]);
            }
            System.out.println("held");
            System.out.flush();
            System.in.readAllBytes();
        }
    }
}
