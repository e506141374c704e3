package io.mdocker.testing;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test class whose containers use a test-only bridge (never mdocker0): {@link TestBridgeExtension}
 * remembers {@code /proc/sys/net/ipv4/ip_forward} before the class's first test and, after the
 * class's last {@code @AfterAll} method, waits for the veth pairs of closed containers to go,
 * removes the bridge and its NAT rules (and the rules of the veth networks named), checks that
 * neither the link nor a rule naming its subnet is left, and restores ip_forward as it was.
 *
 * <p>Each class names its own bridge and subnet (they differ so that classes never share one):
 * <pre>{@code
 * @TestBridge(name = "mdt5", address = "10.201.5.1/24")
 * class NetworkCliTest { ... }
 * }</pre>
 * Put it before {@code @MdockerTest} on a class that has one, so that the bridge is removed after
 * the extension's class-level sandboxes are closed.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@ExtendWith(TestBridgeExtension.class)
public @interface TestBridge {
    /** The bridge's name, e.g. {@code mdt5} (at most 15 bytes). */
    String name();

    /** The bridge's address with its subnet's prefix length, e.g. {@code 10.201.5.1/24}. */
    String address();

    /**
     * Veth networks whose NAT rules are removed too: the container address with {@code /32}, or the
     * subnet ({@code 10.201.8.0/30}).
     */
    String[] vethRules() default {};
}
