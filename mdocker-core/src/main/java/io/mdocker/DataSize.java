package io.mdocker;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An amount of memory in bytes, with binary units as Docker's {@code --memory} counts them
 * (k = 1024). {@link #parse} reads Docker's notation: {@code 64m}, {@code 1.5g}, {@code 512MiB},
 * {@code 1048576}.
 */
public record DataSize(long bytes) implements Comparable<DataSize> {
    private static final Pattern NOTATION =
            Pattern.compile("(\\d+(?:\\.\\d+)?) ?([kmgtp]?)(i?b?)", Pattern.CASE_INSENSITIVE);

    public DataSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("invalid size " + bytes + " bytes: expected zero or more");
        }
    }

    public static DataSize ofBytes(long bytes) {
        return new DataSize(bytes);
    }

    public static DataSize ofKiB(long kib) {
        return new DataSize(Math.multiplyExact(kib, 1L << 10));
    }

    public static DataSize ofMiB(long mib) {
        return new DataSize(Math.multiplyExact(mib, 1L << 20));
    }

    public static DataSize ofGiB(long gib) {
        return new DataSize(Math.multiplyExact(gib, 1L << 30));
    }

    /**
     * Parses Docker's notation: a number, optionally with a fraction, then an optional unit
     * b, k, m, g, t or p (binary: k = 1024), optionally followed by "b" or "ib", any case.
     */
    public static DataSize parse(String text) {
        Matcher m = NOTATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size '" + text + "': expected a number with an optional unit b, k, m or g, such as 64m");
        }
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            case "p" -> 50;
            default -> 0;
        };
        try {
            BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(2).pow(shift));
            return new DataSize(bytes.setScale(0, RoundingMode.DOWN).longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("invalid size '" + text + "': too large");
        }
    }

    @Override
    public int compareTo(DataSize o) {
        return Long.compare(bytes, o.bytes);
    }

    /** The size in the largest binary unit that keeps it whole, e.g. "64 MiB", "1536 KiB", "100 B". */
    @Override
    public String toString() {
        return format(bytes);
    }

    static String format(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        int u = 0;
        long v = bytes;
        while (v != 0 && v % 1024 == 0 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return v + " " + units[u];
    }
}
