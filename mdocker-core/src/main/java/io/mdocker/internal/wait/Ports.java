package io.mdocker.internal.wait;

final class Ports {
    private Ports() {}

    static int check(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid container port " + port + ": expected 1 to 65535");
        }
        return port;
    }
}
