package io.mdocker.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The CLI run in the tests' own JVM, as they call it. */
public final class Cli {
    private Cli() {}

    /** What a command returned and printed. */
    public record Out(int status, String stdout, String stderr) {}

    /** {@code Main.execute(args)} with System.out and System.err captured. */
    public static Out captured(List<String> args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int status = Main.execute(args.toArray(String[]::new));
            return new Out(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /**
     * {@code run --rootfs MainTest.ROOTFS --state-root MainTest.STATE --network none ARGS}; its
     * status. (--network none: the CLI's default bridge would be made on the host and left, as
     * Docker's is.)
     */
    static int run(String... args) {
        List<String> all = new ArrayList<>(List.of("run", "--rootfs", MainTest.ROOTFS.toString(), "--state-root",
                MainTest.STATE.toString(), "--network", "none"));
        all.addAll(List.of(args));
        return Main.execute(all.toArray(String[]::new));
    }
}
