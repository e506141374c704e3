package io.mdocker.examples;

import io.mdocker.Network;
import io.mdocker.Wait;
import io.mdocker.junit.SandboxContainer;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The server of the JUnit example: busybox httpd serving a directory copied in at {@code /www},
 * on a bridge network, its port 80 published on a free port of 127.0.0.1, ready once
 * {@code GET /index.html} answers 200.
 */
public final class WebServer {
    private WebServer() {}

    /** The server's definition; every start gets its own address and host port. */
    public static SandboxContainer sandbox(Network network, Path site) {
        return SandboxContainer.of(ExampleSetup.container()
                        .network(network)
                        .publish("127.0.0.1", 0, 80)
                        .copyIn(site, "/www")
                        .command("httpd", "-f", "-v", "-p", "80", "-h", "/www")
                        .build())
                .waitingFor(Wait.forHttp(80, "/index.html").withTimeout(Duration.ofSeconds(20)));
    }
}
