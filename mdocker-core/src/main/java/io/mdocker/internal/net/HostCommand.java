package io.mdocker.internal.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a host tool (iptables, nft) to its end: its exit code and its output, stderr included. */
final class HostCommand {
    private HostCommand() {}

    record Result(int exitCode, String output) { }

    /** Runs {@code cmd} with {@code input} on its stdin (null: /dev/null); at most 30 s. */
    static Result run(List<String> cmd, String input) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            if (input == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            }
            Process p = pb.start();
            if (input != null) {
                try (var out = p.getOutputStream()) {
                    out.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out;
            try (var in = p.getInputStream()) { // closed now, not when the JDK notices the exit
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish within 30 s");
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new UncheckedIOException("running " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", cmd), e);
        }
    }
}
