package io.mdocker.internal.net;

import io.mdocker.bindings.Linux;
import io.mdocker.bindings.ifinfomsg;
import io.mdocker.bindings.pollfd;
import io.mdocker.internal.AtExit;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Gives a container's address back once its veth pair is gone, without making anyone wait for
 * that. The kernel removes the pair by itself when the container's network namespace dies with
 * its last process, in a batch with other dying namespaces; deleting it ourselves would cost an
 * RCU grace period or two, tens of milliseconds on a small VM, on every container's close. So a
 * closed container's veth is handed here: one daemon thread, {@code mdocker-net-reaper}, listens
 * to the kernel's link notifications (RTMGRP_LINK) and runs the release action when the link is
 * deleted, or deletes it itself when the kernel has not done so within {@link #GRACE}. Until
 * then the lease stays taken, so an address is never given to a new container while a veth of
 * the old one (with the same MAC) may still be on the bridge.
 *
 * <p>No polling: the thread sleeps in poll(2) on the notification socket and an eventfd that
 * {@link #submit} signals.
 */
final class LinkReaper {
    private LinkReaper() {}

    static final Duration GRACE = Duration.ofSeconds(5);

    private record Item(String link, Runnable release, long deadline) { }

    private static final ConcurrentLinkedQueue<Item> SUBMITTED = new ConcurrentLinkedQueue<>();
    private static final Object LOCK = new Object();
    private static int wakeFd = -1; // guarded by LOCK; the eventfd, once the thread runs
    private static int outstanding; // guarded by LOCK: submitted and not yet released

    static {
        AtExit.register(AtExit.Stage.SHARED, () -> awaitIdle(Duration.ofSeconds(2)));
    }

    /** Runs {@code release} once the link {@code name} (in this JVM's namespace) no longer exists. */
    static void submit(String name, Runnable release) {
        synchronized (LOCK) {
            if (wakeFd < 0) {
                int fd = Posix.eventfd(0, Linux.EFD_CLOEXEC() | Linux.EFD_NONBLOCK());
                Thread.ofPlatform().daemon().name("mdocker-net-reaper").start(() -> run(fd));
                wakeFd = fd;
            }
            outstanding++;
            SUBMITTED.add(new Item(name, release, System.nanoTime() + GRACE.toNanos()));
            wake(wakeFd);
        }
    }

    /** Waits until every submitted release has run (tests, and the JVM's exit); false on timeout. */
    static boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (LOCK) {
            while (outstanding > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(LOCK, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    private static void wake(int fd) {
        try (Arena a = Arena.ofConfined()) {
            Posix.write(fd, a.allocateFrom(ValueLayout.JAVA_LONG, 1L), 8, "eventfd of mdocker-net-reaper");
        }
    }

    private static void run(int wake) {
        Map<String, Item> pending = new HashMap<>();
        try (NetlinkSocket events = NetlinkSocket.subscribe(Linux.RTMGRP_LINK(), "link notifications");
             NetlinkSocket query = NetlinkSocket.open("host");
             Arena arena = Arena.ofConfined()) {
            MemorySegment fds = pollfd.allocateArray(2, arena);
            MemorySegment counter = arena.allocate(ValueLayout.JAVA_LONG);
            while (true) {
                Item it;
                while ((it = SUBMITTED.poll()) != null) {
                    if (Rtnl.findLink(query, it.link()) == null) {
                        release(it); // already gone (subscribed before this look: no deletion is missed)
                    } else {
                        pending.put(it.link(), it);
                    }
                }
                long now = System.nanoTime();
                long next = Long.MAX_VALUE;
                for (Iterator<Item> i = pending.values().iterator(); i.hasNext(); ) {
                    Item p = i.next();
                    if (p.deadline() - now <= 0) {
                        i.remove();
                        deleteQuietly(query, p.link());
                        release(p);
                    } else {
                        next = Math.min(next, p.deadline());
                    }
                }
                int timeout = next == Long.MAX_VALUE ? -1
                        : (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(next - now) + 1);
                pollfd.fd(pollfd.asSlice(fds, 0), events.fd());
                pollfd.events(pollfd.asSlice(fds, 0), (short) Linux.POLLIN());
                pollfd.fd(pollfd.asSlice(fds, 1), wake);
                pollfd.events(pollfd.asSlice(fds, 1), (short) Linux.POLLIN());
                Posix.poll(fds, 2, timeout);
                if ((pollfd.revents(pollfd.asSlice(fds, 1)) & Linux.POLLIN()) != 0) {
                    Posix.read(wake, counter, 8, "eventfd of mdocker-net-reaper");
                }
                drainEvents(events, query, pending);
            }
        } catch (RuntimeException | Error e) {
            // Without this thread leases would never come back: fail loudly, and let the next
            // submit start a new one (the allocator also frees leases whose veth is gone).
            System.err.println("mdocker: the network reaper stopped: " + e);
            synchronized (LOCK) {
                if (wakeFd == wake) {
                    wakeFd = -1;
                }
            }
            for (Item p : pending.values()) {
                release(p);
            }
            Posix.closeQuietly(wake);
        }
    }

    private static void drainEvents(NetlinkSocket events, NetlinkSocket query, Map<String, Item> pending) {
        while (true) {
            List<NlMessage> messages;
            try {
                messages = events.pending();
            } catch (ErrnoException e) {
                if (e.errno() != Linux.ENOBUFS()) {
                    throw e;
                }
                // Notifications were lost: look at every pending link again.
                for (Iterator<Item> i = pending.values().iterator(); i.hasNext(); ) {
                    Item p = i.next();
                    if (Rtnl.findLink(query, p.link()) == null) {
                        i.remove();
                        release(p);
                    }
                }
                continue;
            }
            if (messages.isEmpty()) {
                return;
            }
            for (NlMessage m : messages) {
                if (m.type() != Linux.RTM_DELLINK() || pending.isEmpty()) {
                    continue;
                }
                String name = NlMessage.string(m.attributes(ifinfomsg.sizeof()).get(Linux.IFLA_IFNAME()));
                Item p = name == null ? null : pending.remove(name);
                if (p != null) {
                    release(p);
                }
            }
        }
    }

    private static void deleteQuietly(NetlinkSocket query, String link) {
        try {
            query.execute(Rtnl.deleteLink(link), Linux.ENODEV());
        } catch (ErrnoException e) {
            System.err.println("mdocker: deleting " + link + ": " + e.getMessage());
        }
    }

    private static void release(Item p) {
        try {
            p.release().run();
        } catch (RuntimeException e) {
            System.err.println("mdocker: releasing the address of " + p.link() + ": " + e.getMessage());
        } finally {
            synchronized (LOCK) {
                outstanding--;
                LOCK.notifyAll();
            }
        }
    }
}
