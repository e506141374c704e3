/**
 * Java bindings for the libc, Linux and libseccomp calls, constants and structs mdocker uses, in
 * jextract's generated shape, and {@code io.mdocker.bindings.link}, the two restricted operations
 * core's errno-carrying facade needs besides. Internal to mdocker: exported to mdocker-core only.
 * Every restricted call of mdocker is made here, so this is the one module that needs native
 * access: {@code --enable-native-access=io.mdocker.bindings} on the module path
 * ({@code --enable-native-access=ALL-UNNAMED} on the class path).
 */
module io.mdocker.bindings {
    exports io.mdocker.bindings to io.mdocker.core;
    exports io.mdocker.bindings.seccomp to io.mdocker.core;
    exports io.mdocker.bindings.link to io.mdocker.core;
}
