package io.mdocker.internal;

/**
 * Run in a child JVM by {@link AtExitTest}: registers actions in the stages out of order (one of
 * them throwing, one registering another while the JVM exits), prints a line from each as it
 * runs, and exits with status 3.
 */
public final class AtExitChild {
    private AtExitChild() {}

    public static void main(String[] args) {
        AtExit.register(AtExit.Stage.EVENT_LOOP, () -> System.out.println("event loop"));
        AtExit.register(AtExit.Stage.SHARED, () -> System.out.println("shared"));
        AtExit.register(AtExit.Stage.CONTAINERS, () -> System.out.println("containers 1"));
        AtExit.register(AtExit.Stage.CONTAINERS, () -> {
            System.out.println("containers 2 throws");
            throw new IllegalStateException("thrown at exit");
        });
        AtExit.register(AtExit.Stage.CONTAINERS, () -> System.out.println("registered at exit: "
                + AtExit.register(AtExit.Stage.SHARED, () -> System.out.println("never"))));
        System.out.println("exiting");
        System.exit(3);
    }
}
