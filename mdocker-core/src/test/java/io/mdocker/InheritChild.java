package io.mdocker;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Run in a child JVM (whose stdio a test chose: a directory, a file, a pipe) by {@link EscapeTest}:
 * starts a container with {@link Container.Builder#inheritIO()}, as the CLI does, waits for it
 * and exits with its status, or prints the start's error on stderr and exits 125.
 * Arguments: ROOTFS LIB RUN COMMAND...
 */
public final class InheritChild {
    private InheritChild() {}

    /** The command line of such a child JVM. */
    static List<String> command(Path rootfs, ContainerRuntime rt, String... command) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), InheritChild.class.getName(), rootfs.toString(),
                rt.libRoot().toString(), rt.runRoot().toString()));
        cmd.addAll(List.of(command));
        return cmd;
    }

    public static void main(String[] args) {
        ContainerRuntime rt = ContainerRuntime.at(Path.of(args[1]), Path.of(args[2]));
        String[] command = List.of(args).subList(3, args.length).toArray(String[]::new);
        int code;
        try (RunningContainer c = Container.builder().rootfs(Path.of(args[0])).runtime(rt).inheritIO().start(command)) {
            code = c.waitFor();
        } catch (ContainerException e) {
            System.err.println("error: " + e.getMessage());
            code = 125;
        }
        System.exit(code);
    }
}
