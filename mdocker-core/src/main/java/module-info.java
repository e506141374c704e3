/**
 * mdocker: Linux containers started in-process by a JVM. The API is the package
 * {@code io.mdocker}; everything under {@code io.mdocker.internal} is the runtime's own, reachable
 * only by mdocker's sibling modules. Its restricted calls are made by io.mdocker.bindings, the
 * one module that needs native access: {@code --enable-native-access=io.mdocker.bindings} on the
 * module path, {@code --enable-native-access=ALL-UNNAMED} on the class path.
 */
module io.mdocker.core {
    requires io.mdocker.bindings;
    requires java.net.http;
    requires com.github.luben.zstd_jni;
    requires com.fasterxml.jackson.databind;

    exports io.mdocker;
    exports io.mdocker.internal to io.mdocker.junit;
}
