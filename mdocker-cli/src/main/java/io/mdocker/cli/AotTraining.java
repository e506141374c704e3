package io.mdocker.cli;

import io.mdocker.BusyboxRootfs;
import io.mdocker.ContainerRuntime;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The training run of the JDK's AOT cache (JEP 483, 514, 515), made by the Maven build of this
 * module on JDK 25+: {@code java -XX:AOTCacheOutput=target/mdocker-cli.aot -cp target/mdocker-cli.jar
 * io.mdocker.cli.AotTraining WORK JDKFILE VERSIONFILE}; JDKFILE gets this JVM's java.home, the JDK ./mdocker
 * then uses, and VERSIONFILE what {@code --version} printed, which ./mdocker prints itself. What it does here, the CLI finds loaded, linked and profiled
 * when ./mdocker starts with {@code -XX:AOTCache}: {@code --version}, the help of every command
 * (every command's picocli model), and, as root with a static busybox on the host, one
 * {@code run --network none /bin/true} on a state root and rootfs of its own under WORK (the
 * engine: bindings, seccomp, cgroups, spawn, teardown), then the same of an image imported from that
 * rootfs (the image store). Without root or busybox the cache covers
 * the command line only, and the build says so. Never fails the build: a missing or partial cache
 * only makes ./mdocker slower.
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) {
        Path work = Path.of(args.length > 0 ? args[0] : "target/aot-training").toAbsolutePath();
        io.mdocker.ContainerRuntime.setMonitorPoolSize(0); // as Main.main
        PrintStream out = System.out;
        PrintStream err = System.err;
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        String container;
        java.io.ByteArrayOutputStream version = new java.io.ByteArrayOutputStream();
        System.setErr(quiet);
        try {
            System.setOut(new PrintStream(version, true));
            Main.execute("--version");
            System.setOut(quiet);
            Main.execute("--help");
            for (String c : Main.COMMANDS) {
                Main.execute(c, "--help");
            }
            container = runOne(work);
        } catch (RuntimeException e) {
            container = "failed: " + Main.oneLine(e);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        out.println("mdocker AOT training: --version, help of every command; container run: " + container);
        if (args.length > 2) {
            // What --version printed, for ./mdocker to print without starting a JVM.
            try {
                Files.write(Path.of(args[2]), version.toByteArray());
            } catch (java.io.IOException e) {
                out.println("mdocker AOT training: cannot write " + args[2] + ": " + e.getMessage());
            }
        }
        if (args.length > 1) {
            // The JDK the cache is for, for ./mdocker (which otherwise asks scripts/find-jdk.sh).
            try {
                Files.writeString(Path.of(args[1]), System.getProperty("java.home") + "\n");
            } catch (java.io.IOException e) {
                out.println("mdocker AOT training: cannot write " + args[1] + ": " + e.getMessage());
            }
        }
        // Leave as Main does: what Runtime.exit loads (its logger look-up) is then in the cache too.
        System.exit(0);
    }

    /** The image the training makes from its rootfs (in its own state root). */
    private static final String IMAGE = "mdocker-aot/training:1";

    private static String runOne(Path work) {
        try {
            ContainerRuntime.requireRoot();
        } catch (RuntimeException e) {
            return "none (not root: the cache covers the command line only)";
        }
        if (BusyboxRootfs.findStaticBusybox().isEmpty()) {
            return "none (no static busybox on the host: the cache covers the command line only)";
        }
        try {
            Path rootfs = work.resolve("rootfs");
            Files.createDirectories(work);
            BusyboxRootfs.ensure(rootfs);
            String state = work.resolve("state").toString();
            int status = Main.execute("run", "--network", "none", "--rootfs", rootfs.toString(),
                    "--state-root", state, "/bin/true");
            ContainerRuntime.awaitCleanup();
            if (status != 0) {
                return "run --network none /bin/true exited " + status;
            }
            // The same rootfs as an image, run by its name: the image store's path (its JSON, layers).
            status = Main.execute("import", "--state-root", state, rootfs.toString(), IMAGE);
            if (status == 0) {
                status = Main.execute("run", "--network", "none", "--state-root", state, IMAGE, "/bin/true");
                ContainerRuntime.awaitCleanup();
            }
            return status == 0 ? "run --network none /bin/true, of the rootfs and of an image made from it"
                    : "run --network none /bin/true; import and run of an image exited " + status;
        } catch (Exception e) {
            return "failed: " + Main.oneLine(e);
        }
    }
}
