/**
 * Java bindings for the libc, Linux and libseccomp calls, constants and structs mdocker uses, in
 * jextract's generated shape. Internal to mdocker: exported to mdocker-core only, which wraps
 * them in an errno-carrying facade. The module that makes the downcalls: run with
 * {@code --enable-native-access=io.mdocker.bindings,io.mdocker.core} on the module path
 * ({@code ALL-UNNAMED} on the class path).
 */
module io.mdocker.bindings {
    exports io.mdocker.bindings to io.mdocker.core;
    exports io.mdocker.bindings.seccomp to io.mdocker.core;
}
