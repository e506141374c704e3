package io.mdocker.examples;

import io.mdocker.Network;

/**
 * The examples' test bridge (never mdocker0): made on first use; a class that uses it carries
 * {@code @TestBridge(name = ExampleNet.BRIDGE, address = ExampleNet.BRIDGE_ADDRESS)}, which removes
 * it and its rules afterwards.
 */
final class ExampleNet {
    private ExampleNet() {}

    static final String BRIDGE = "mdt7";
    static final String BRIDGE_ADDRESS = "10.201.7.1/24";

    static Network bridge() {
        return Network.bridge(BRIDGE, BRIDGE_ADDRESS);
    }
}
