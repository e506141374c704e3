/**
 * The JUnit Jupiter extension of mdocker: {@code @MdockerTest} classes get sandboxes
 * ({@code @Sandbox} fields and parameters) started before and removed after their tests.
 */
module io.mdocker.junit {
    requires transitive io.mdocker.core;
    requires transitive org.junit.jupiter.api;

    exports io.mdocker.junit;
}
