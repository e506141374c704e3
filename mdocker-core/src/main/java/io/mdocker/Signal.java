package io.mdocker;

import io.mdocker.bindings.Linux;

/** The signals a container can be sent; the numbers are this platform's. */
public enum Signal {
    HUP(Linux.SIGHUP()),
    INT(Linux.SIGINT()),
    QUIT(Linux.SIGQUIT()),
    KILL(Linux.SIGKILL()),
    USR1(Linux.SIGUSR1()),
    USR2(Linux.SIGUSR2()),
    TERM(Linux.SIGTERM()),
    CONT(Linux.SIGCONT()),
    STOP(Linux.SIGSTOP()),
    WINCH(Linux.SIGWINCH());

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
