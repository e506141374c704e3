package io.mdocker.internal.image.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * An image platform as an index names it: {@code os/architecture[/variant]}, in Go's names
 * ({@code amd64}, {@code arm64}, {@code arm}/{@code v7}). {@link #matches} follows containerd's
 * normalisation: a variant left out is the architecture's default ({@code arm64} is {@code v8},
 * {@code amd64} is {@code v1}).
 */
public record Platform(String os, String architecture, Optional<String> variant) {

    public Platform {
        if (os.isEmpty() || architecture.isEmpty()) {
            throw new IllegalArgumentException("platform " + os + "/" + architecture + ": expected OS/ARCH[/VARIANT]");
        }
    }

    /** Parses {@code os/arch[/variant]}. */
    public static Platform parse(String s) {
        String[] parts = s.split("/", -1);
        if (parts.length < 2 || parts.length > 3 || parts[0].isEmpty() || parts[1].isEmpty()
                || (parts.length == 3 && parts[2].isEmpty())) {
            throw new IllegalArgumentException("platform " + s + ": expected OS/ARCH[/VARIANT], e.g. linux/arm64/v8");
        }
        return new Platform(parts[0], parts[1], parts.length == 3 ? Optional.of(parts[2]) : Optional.empty());
    }

    /** Linux on the architecture this JVM runs on (and, for 32-bit arm, the variant the CPU reports). */
    public static Platform host() {
        String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (arch) {
            case "amd64", "x86_64" -> new Platform("linux", "amd64", Optional.empty());
            case "aarch64", "arm64" -> new Platform("linux", "arm64", Optional.of("v8"));
            case "arm" -> new Platform("linux", "arm", Optional.of(armVariant()));
            case "x86", "i386", "i686" -> new Platform("linux", "386", Optional.empty());
            case "ppc64le" -> new Platform("linux", "ppc64le", Optional.empty());
            case "s390x" -> new Platform("linux", "s390x", Optional.empty());
            case "riscv64" -> new Platform("linux", "riscv64", Optional.empty());
            default -> new Platform("linux", arch, Optional.empty());
        };
    }

    private static String armVariant() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("CPU architecture")) {
                    String v = line.substring(line.indexOf(':') + 1).trim();
                    return v.startsWith("8") ? "v8" : v.startsWith("6") ? "v6" : v.startsWith("5") ? "v5" : "v7";
                }
            }
        } catch (IOException e) {
            // no cpuinfo: the common case
        }
        return "v7";
    }

    /** Whether an index entry's platform serves this one (same OS, architecture and normalised variant). */
    public boolean matches(Platform offered) {
        return os.equals(offered.os) && architecture.equals(offered.architecture)
                && normalisedVariant().equals(offered.normalisedVariant());
    }

    private String normalisedVariant() {
        String v = variant.orElse("");
        return switch (architecture) {
            case "arm64" -> v.isEmpty() ? "v8" : v;
            case "amd64" -> v.isEmpty() ? "v1" : v;
            case "arm" -> v.isEmpty() ? "v7" : v;
            default -> v;
        };
    }

    @Override
    public String toString() {
        return os + "/" + architecture + variant.map(v -> "/" + v).orElse("");
    }
}
