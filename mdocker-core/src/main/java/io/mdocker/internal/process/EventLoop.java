package io.mdocker.internal.process;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.epoll_data;
import io.mdocker.bindings.epoll_event;
import io.mdocker.internal.AtExit;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * The one thread that waits for every container of this JVM: it waits on the monitors' pidfds (to
 * reap them the moment they exit) and the captured stdout/stderr pipes (to drain them, so a
 * container never blocks on a full pipe). Threads do not grow with the number of containers, and
 * neither does the cost of an event: the descriptors are in an epoll interest list, added once
 * when watched and removed when done, so a wake-up costs the same with 1,000 idle detached
 * containers watched as with none (poll(2) over every descriptor, rebuilt at each wake-up, made
 * each container's start slower as more of them ran).
 *
 * <p>Handlers run on the loop thread and must not block. Registration is thread-safe: other
 * threads record the change and wake the loop (an eventfd), and only the loop thread changes the
 * interest list, so a descriptor is never added or removed there after its handler has closed it.
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
    /** Events taken from the kernel per epoll_wait; more ready ones come with the next call. */
    private static final int MAX_EVENTS = 64;
    private static final EventLoop INSTANCE = new EventLoop();

    private final Map<Integer, Handler> handlers = new ConcurrentHashMap<>();
    private final Set<Integer> paused = ConcurrentHashMap.newKeySet();
    /** Descriptors watched, paused or resumed since the loop last looked (any thread adds). */
    private final Queue<Integer> changed = new ConcurrentLinkedQueue<>();
    /** The descriptors in the epoll interest list (the loop thread's alone). */
    private final Set<Integer> registered = new HashSet<>();
    private final int wakeFd;
    private final int epollFd;
    private final MemorySegment wakeValue = Arena.global().allocate(ValueLayout.JAVA_LONG);
    private final MemorySegment control = Arena.global().allocate(epoll_event.layout());

    /**
     * Set once the JVM shuts down: from then on the loop waits in Java, not in poll(2), whenever it
     * has nothing to watch. The JVM's exit waits up to 300 ms for every thread in native code to
     * come out of it (HotSpot's VM_Exit), which a reaper blocked in poll() never does: each CLI
     * command paid that third of a second after its work was done.
     */
    private volatile boolean shuttingDown;

    private EventLoop() {
        wakeFd = Posix.eventfd(0, Linux.EFD_CLOEXEC() | Linux.EFD_NONBLOCK());
        epollFd = Posix.epollCreate1(Linux.EPOLL_CLOEXEC());
        add(wakeFd);
        Thread thread = Thread.ofPlatform().daemon().name("mdocker-reaper").unstarted(this::loop);
        thread.start();
        Runnable atExit = () -> {
            shuttingDown = true;
            wake();
            // Until the loop is out of poll(); it has served the containers the earlier stages closed.
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
        };
        if (!AtExit.register(AtExit.Stage.EVENT_LOOP, atExit)) {
            shuttingDown = true; // first used at exit: nothing will run the action
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
        changed.add(fd);
        if (shuttingDown) {
            synchronized (this) {
                notifyAll();
            }
        }
        wake();
    }

    /**
     * Stops polling a watched {@code fd} until {@link #resume}: its handler keeps it, but is not
     * called (a reader that has fallen behind holds the pipe back). Any thread. The loop takes it
     * out of the interest list when it next finds it ready, or sooner.
     */
    void pause(int fd) {
        if (paused.add(fd)) {
            changed.add(fd);
        }
    }

    /** Polls a paused {@code fd} again. Any thread. */
    void resume(int fd) {
        if (paused.remove(fd)) {
            changed.add(fd);
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
        MemorySegment events = epoll_event.allocateArray(MAX_EVENTS, arena);
        while (true) {
            if (shuttingDown && handlers.isEmpty()) {
                idleUntilWatched();
            }
            Integer next;
            while ((next = changed.poll()) != null) {
                sync(next);
            }
            int ready = Posix.epollWait(epollFd, events, MAX_EVENTS, -1);
            for (int i = 0; i < ready; i++) {
                MemorySegment event = epoll_event.asSlice(events, i);
                int fd = epoll_data.fd(epoll_event.data(event));
                if (fd == wakeFd) {
                    Posix.read(wakeFd, wakeValue, 8, "eventfd");
                    continue;
                }
                Handler handler = handlers.get(fd);
                if (handler == null || paused.contains(fd)) {
                    sync(fd); // paused meanwhile: out of the interest list until resumed
                    continue;
                }
                boolean keep;
                try {
                    keep = handler.ready(fd, (short) epoll_event.events(event), scratch);
                } catch (RuntimeException | Error e) {
                    // A failing handler must not take the reaper down with it.
                    System.getLogger(EventLoop.class.getName())
                            .log(System.Logger.Level.ERROR, "mdocker reaper handler failed for fd " + fd, e);
                    keep = false;
                }
                if (!keep) {
                    finish(fd, handler);
                }
            }
        }
    }

    /** Brings {@code fd}'s place in the interest list in line with its handler and pause. */
    private void sync(int fd) {
        boolean wanted = handlers.containsKey(fd) && !paused.contains(fd);
        if (wanted && !registered.contains(fd)) {
            try {
                add(fd);
                registered.add(fd);
            } catch (ErrnoException e) { // not a descriptor epoll can wait for: its handler hears so
                System.getLogger(EventLoop.class.getName())
                        .log(System.Logger.Level.ERROR, "mdocker reaper cannot watch fd " + fd, e);
                Handler handler = handlers.get(fd);
                if (handler != null) {
                    finish(fd, handler);
                }
            }
        } else if (!wanted && registered.remove(fd)) {
            remove(fd);
        }
    }

    /** Stops watching {@code fd} (out of the interest list first), then tells its handler. */
    private void finish(int fd, Handler handler) {
        if (!handlers.remove(fd, handler)) {
            return;
        }
        paused.remove(fd);
        if (registered.remove(fd)) {
            remove(fd);
        }
        try {
            handler.finished(fd);
        } catch (RuntimeException | Error e) {
            System.getLogger(EventLoop.class.getName())
                    .log(System.Logger.Level.ERROR, "mdocker reaper cleanup failed for fd " + fd, e);
        }
    }

    private void add(int fd) {
        epoll_event.events(control, Linux.EPOLLIN());
        epoll_data.fd(epoll_event.data(control), fd);
        Posix.epollCtl(epollFd, Linux.EPOLL_CTL_ADD(), fd, control);
    }

    private void remove(int fd) {
        try {
            Posix.epollCtl(epollFd, Linux.EPOLL_CTL_DEL(), fd, MemorySegment.NULL);
        } catch (ErrnoException e) {
            // already gone from the list: nothing to remove
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

}
