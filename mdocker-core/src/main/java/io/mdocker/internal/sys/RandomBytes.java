package io.mdocker.internal.sys;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;

/**
 * Random bytes for container ids and MAC addresses, from the kernel's generator (/dev/urandom)
 * read directly: a {@link SecureRandom} reads the same device, but its first construction sets up
 * java.security's providers, which costs a one-shot command line ~20 ms even from the AOT cache
 * (docs/bench/cli.md). Where the device cannot be read, a {@link SecureRandom} made then.
 */
public final class RandomBytes {
    private RandomBytes() {
    }

    /** Fills {@code bytes}. */
    public static void fill(byte[] bytes) {
        try (InputStream in = new FileInputStream("/dev/urandom")) {
            if (in.readNBytes(bytes, 0, bytes.length) == bytes.length) {
                return;
            }
        } catch (IOException e) {
            // no /dev/urandom here: the JDK's generator below
        }
        Fallback.RANDOM.nextBytes(bytes);
    }

    private static final class Fallback {
        static final SecureRandom RANDOM = new SecureRandom();
    }
}
