package io.mdocker;

/**
 * The window size of a container's or an exec's pseudo-terminal ({@link Container.Builder#ttySize},
 * {@link Exec.Builder#ttySize}, {@link RunningContainer#resizeTty}): rows and columns, 1 to 65535
 * each (what {@code stty size} prints inside, as "rows columns").
 *
 * @param rows    lines, 1 to 65535
 * @param columns characters per line, 1 to 65535
 */
public record TtySize(int rows, int columns) {
    /** The size a terminal gets when none is given: 24 rows of 80 columns (a VT100's, as Docker's). */
    public static final TtySize DEFAULT = new TtySize(24, 80);

    /** Checks both values: a one-line {@link IllegalArgumentException} naming a bad one. */
    public TtySize {
        check("rows", rows);
        check("columns", columns);
    }

    private static void check(String what, int value) {
        if (value < 1 || value > 65535) {
            throw new IllegalArgumentException("invalid tty size: " + what + " " + value + ", expected 1 to 65535");
        }
    }

    @Override
    public String toString() {
        return rows + "x" + columns;
    }
}
