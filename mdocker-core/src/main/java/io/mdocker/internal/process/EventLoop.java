package io.mdocker.internal.process;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.pollfd;
import io.mdocker.internal.sys.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The one thread that waits for every container of this JVM: it polls the monitors' pidfds (to
 * reap them the moment they exit) and the captured stdout/stderr pipes (to drain them, so a
 * container never blocks on a full pipe). Threads do not grow with the number of containers.
 *
 * <p>Handlers run on the loop thread and must not block. Registration is thread-safe; an
 * eventfd wakes the loop when the set of descriptors changes.
 */
final class EventLoop {
    /**
     * A watched descriptor's owner while it is watched. Both methods run on the loop thread.
     */
    interface Handler {
        /** {@code fd} is ready; returns false to stop watching it. */
        boolean ready(int fd, short revents, MemorySegment scratch);

        /**
         * Called once after the loop stopped watching {@code fd}, so that a descriptor number the
         * handler closes here can be reused and watched again at once.
         */
        void finished(int fd);
    }

    private static final int SCRATCH_SIZE = 64 * 1024;
    private static final EventLoop INSTANCE = new EventLoop();

    private final Map<Integer, Handler> handlers = new ConcurrentHashMap<>();
    private final Set<Integer> paused = ConcurrentHashMap.newKeySet();
    private final int wakeFd;
    private final MemorySegment wakeValue = Arena.global().allocate(ValueLayout.JAVA_LONG);

    /**
     * Set once the JVM shuts down: from then on the loop waits in Java, not in poll(2), whenever it
     * has nothing to watch. The JVM's exit waits up to 300 ms for every thread in native code to
     * come out of it (HotSpot's VM_Exit), which a reaper blocked in poll() never does: each CLI
     * command paid that third of a second after its work was done.
     */
    private volatile boolean shuttingDown;

    private EventLoop() {
        wakeFd = Posix.eventfd(0, Linux.EFD_CLOEXEC() | Linux.EFD_NONBLOCK());
        Thread thread = Thread.ofPlatform().daemon().name("mdocker-reaper").unstarted(this::loop);
        thread.start();
        Thread hook = Thread.ofPlatform().name("mdocker-reaper-shutdown").unstarted(() -> {
            shuttingDown = true;
            wake();
            // Until the loop is out of poll(); it goes on serving any container other hooks still close.
            long deadline = System.nanoTime() + EXIT_WAIT_NANOS;
            synchronized (this) {
                while (!idleInJava && System.nanoTime() < deadline) {
                    try {
                        wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException e) {
            shuttingDown = true; // first used by a shutdown hook: nothing will run the hook
        }
    }

    private static final long EXIT_WAIT_NANOS = 250_000_000L;
    private boolean idleInJava; // guarded by this

    static EventLoop get() {
        return INSTANCE;
    }

    /** Watches {@code fd} for readability (and hang-up) until the handler returns false. */
    void watch(int fd, Handler handler) {
        if (handlers.putIfAbsent(fd, handler) != null) {
            throw new IllegalStateException("descriptor " + fd + " is already watched");
        }
        if (shuttingDown) {
            synchronized (this) {
                notifyAll();
            }
        }
        wake();
    }

    /**
     * Stops polling a watched {@code fd} until {@link #resume}: its handler keeps it, but is not
     * called (a reader that has fallen behind holds the pipe back). Any thread.
     */
    void pause(int fd) {
        paused.add(fd);
    }

    /** Polls a paused {@code fd} again. Any thread. */
    void resume(int fd) {
        if (paused.remove(fd)) {
            wake();
        }
    }

    /** Number of descriptors watched now, for leak checks. */
    int watched() {
        return handlers.size();
    }

    private void wake() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
            one.set(ValueLayout.JAVA_LONG, 0, 1L);
            Posix.write(wakeFd, one, 8, "eventfd");
        }
    }

    private void loop() {
        Arena arena = Arena.ofConfined();
        MemorySegment scratch = arena.allocate(SCRATCH_SIZE);
        int capacity = 64;
        MemorySegment fds = arena.allocate(pollfd.layout(), capacity);
        List<Integer> order = new ArrayList<>();
        while (true) {
            if (shuttingDown && handlers.isEmpty()) {
                idleUntilWatched();
            }
            order.clear();
            order.addAll(handlers.keySet());
            order.removeAll(paused);
            if (order.size() + 1 > capacity) {
                capacity = Math.max(capacity * 2, order.size() + 1);
                fds = arena.allocate(pollfd.layout(), capacity);
            }
            set(fds, 0, wakeFd);
            for (int i = 0; i < order.size(); i++) {
                set(fds, i + 1, order.get(i));
            }
            int ready = Posix.poll(fds, order.size() + 1, -1);
            if (ready <= 0) {
                continue;
            }
            if (revents(fds, 0) != 0) {
                Posix.read(wakeFd, wakeValue, 8, "eventfd");
            }
            for (int i = 0; i < order.size(); i++) {
                short revents = revents(fds, i + 1);
                if (revents == 0) {
                    continue;
                }
                int fd = order.get(i);
                Handler handler = handlers.get(fd);
                boolean keep;
                try {
                    keep = handler.ready(fd, revents, scratch);
                } catch (RuntimeException | Error e) {
                    // A failing handler must not take the reaper down with it.
                    System.getLogger(EventLoop.class.getName())
                            .log(System.Logger.Level.ERROR, "mdocker reaper handler failed for fd " + fd, e);
                    keep = false;
                }
                if (!keep && handlers.remove(fd, handler)) {
                    paused.remove(fd);
                    try {
                        handler.finished(fd);
                    } catch (RuntimeException | Error e) {
                        System.getLogger(EventLoop.class.getName())
                                .log(System.Logger.Level.ERROR, "mdocker reaper cleanup failed for fd " + fd, e);
                    }
                }
            }
        }
    }

    /** During shutdown, with nothing to watch: waits in Java until a descriptor is watched again. */
    private synchronized void idleUntilWatched() {
        idleInJava = true;
        notifyAll();
        while (handlers.isEmpty()) {
            try {
                wait();
            } catch (InterruptedException e) {
                // nobody interrupts the reaper; it keeps waiting for work
            }
        }
        idleInJava = false;
    }

    private static void set(MemorySegment fds, int index, int fd) {
        MemorySegment entry = fds.asSlice(index * pollfd.sizeof(), pollfd.sizeof());
        pollfd.fd(entry, fd);
        pollfd.events(entry, (short) Linux.POLLIN());
        pollfd.revents(entry, (short) 0);
    }

    private static short revents(MemorySegment fds, int index) {
        return pollfd.revents(fds.asSlice(index * pollfd.sizeof(), pollfd.sizeof()));
    }
}
