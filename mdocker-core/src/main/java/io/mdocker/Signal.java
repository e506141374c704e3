package io.mdocker;

/** The signals a container can be sent; the numbers are Linux's generic ones (x86_64 and aarch64; checked against the bindings by a test). */
public enum Signal {
    HUP(1),
    INT(2),
    QUIT(3),
    KILL(9),
    USR1(10),
    USR2(12),
    TERM(15),
    CONT(18),
    STOP(19),
    WINCH(28);

    private final int number;

    Signal(int number) {
        this.number = number;
    }

    /** The signal number, as kill(2) takes it. */
    public int number() {
        return number;
    }

    /** The signal named like {@code TERM}, {@code SIGTERM} or {@code 15}. */
    public static Signal parse(String name) {
        String n = name.trim().toUpperCase(java.util.Locale.ROOT);
        if (n.startsWith("SIG")) {
            n = n.substring(3);
        }
        for (Signal s : values()) {
            if (s.name().equals(n) || Integer.toString(s.number).equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown signal '" + name + "': expected one of HUP, INT, QUIT, KILL,"
                + " USR1, USR2, TERM, CONT, STOP, WINCH or its number");
    }
}
