package io.mdocker.internal.net;

import io.mdocker.bindings.Linux;
import io.mdocker.internal.sys.ErrnoException;
import io.mdocker.internal.sys.Posix;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Opens NETLINK_ROUTE sockets inside a container's network namespace. A socket stays bound to
 * the namespace it was created in, so one thread enters the namespace (setns with a pidfd of the
 * container's pid 1), creates the socket and returns home; the caller then talks to the kernel
 * through that socket from its own thread, in its own namespace.
 *
 * <p>Why a dedicated thread: setns changes the calling thread only, and the JVM's threads are
 * not ours to move (a virtual thread may change carriers between two calls; a pool thread would
 * run unrelated code in the wrong namespace if the way back failed). This platform thread runs
 * nothing but these three calls; if it ever cannot return to its home namespace it ends itself,
 * and the next request starts a fresh thread. Requests from many containers are served in turn;
 * each takes microseconds.
 */
final class NetnsSockets {
    private NetnsSockets() {}

    private record Request(int pid, CompletableFuture<Integer> result) { }

    private static final Object LOCK = new Object();
    private static LinkedBlockingQueue<Request> queue; // guarded by LOCK; null when no thread runs

    /**
     * Asks for a socket in the namespace of {@code pid} without waiting, so the caller can do
     * other work meanwhile; {@link #await} it, or {@link #discard} it.
     */
    static CompletableFuture<Integer> request(int pid) {
        Request r = new Request(pid, new CompletableFuture<>());
        synchronized (LOCK) {
            if (queue == null) {
                queue = new LinkedBlockingQueue<>();
                LinkedBlockingQueue<Request> q = queue;
                Thread.ofPlatform().daemon().name("mdocker-netns").start(() -> serve(q));
            }
            queue.add(r);
        }
        return r.result();
    }

    /** Closes the socket of a request nobody will use. */
    static void discard(CompletableFuture<Integer> socket) {
        socket.thenAccept(Posix::closeQuietly);
    }

    /** The socket of a request; waits for it (uninterruptibly: a queued request always completes). */
    static int await(CompletableFuture<Integer> socket) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return socket.get();
                } catch (InterruptedException e) {
                    interrupted = true; // the request is already queued: wait for its descriptor, not leak it
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void serve(LinkedBlockingQueue<Request> q) {
        int home;
        try {
            home = Posix.open("/proc/thread-self/ns/net", Linux.O_RDONLY() | Linux.O_CLOEXEC());
        } catch (RuntimeException e) {
            retire(q, e);
            return;
        }
        try {
            while (true) {
                Request r = q.take();
                int pidfd = -1;
                int socket = -1;
                try {
                    pidfd = Posix.pidfdOpen(r.pid());
                    Posix.setns(pidfd, Linux.CLONE_NEWNET(), "network namespace of pid " + r.pid());
                    try {
                        socket = Posix.socket(Linux.AF_NETLINK(), Linux.SOCK_RAW() | Linux.SOCK_CLOEXEC(),
                                Linux.NETLINK_ROUTE(), "AF_NETLINK in the network namespace of pid " + r.pid());
                    } finally {
                        goHome(home);
                    }
                    r.result().complete(socket);
                    socket = -1;
                } catch (HomeLost e) {
                    Posix.closeQuietly(socket);
                    r.result().completeExceptionally(e.getCause());
                    retire(q, e.getCause());
                    return; // this thread is in a foreign namespace: it must never run anything again
                } catch (RuntimeException e) {
                    r.result().completeExceptionally(e);
                } finally {
                    Posix.closeQuietly(pidfd);
                }
            }
        } catch (InterruptedException e) {
            retire(q, new IllegalStateException("the mdocker-netns thread was interrupted"));
        } finally {
            Posix.closeQuietly(home);
        }
    }

    private static final class HomeLost extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HomeLost(ErrnoException cause) {
            super(cause);
        }
    }

    private static void goHome(int home) {
        try {
            Posix.setns(home, Linux.CLONE_NEWNET(), "back to the JVM's network namespace");
        } catch (ErrnoException e) {
            throw new HomeLost(e);
        }
    }

    /** Ends this thread's service: later requests start a new thread; queued ones fail. */
    private static void retire(LinkedBlockingQueue<Request> q, Throwable why) {
        synchronized (LOCK) {
            if (queue == q) {
                queue = null;
            }
        }
        Request r;
        while ((r = q.poll()) != null) {
            r.result().completeExceptionally(why instanceof RuntimeException re ? re : new IllegalStateException(why));
        }
    }
}
