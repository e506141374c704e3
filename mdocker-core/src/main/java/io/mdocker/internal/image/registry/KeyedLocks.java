package io.mdocker.internal.image.registry;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per key (a blob's path) for this JVM's threads, removed when no thread holds or waits
 * for it. A file lock alone cannot serve: the JVM holds file locks for the whole process, and a
 * second thread's {@code FileChannel.lock} on the same file fails instead of waiting.
 */
final class KeyedLocks<K> {
    private record Entry(ReentrantLock lock, int users) {}

    /** A held lock; closing releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    private final ConcurrentHashMap<K, Entry> locks = new ConcurrentHashMap<>();

    /** Takes the key's lock (interruptibly); the returned handle releases it. */
    Held lock(K key) throws InterruptedException {
        Entry e = locks.compute(key, (k, old) -> old == null ? new Entry(new ReentrantLock(), 1) : new Entry(old.lock(), old.users() + 1));
        ReentrantLock lock = e.lock();
        try {
            lock.lockInterruptibly();
        } catch (InterruptedException ie) {
            release(key);
            throw ie;
        }
        return () -> {
            lock.unlock();
            release(key);
        };
    }

    /** Takes the key's lock if no thread holds it; empty otherwise. */
    java.util.Optional<Held> tryLock(K key) {
        Entry e = locks.compute(key, (k, old) -> old == null ? new Entry(new ReentrantLock(), 1) : new Entry(old.lock(), old.users() + 1));
        ReentrantLock lock = e.lock();
        if (!lock.tryLock()) {
            release(key);
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(() -> {
            lock.unlock();
            release(key);
        });
    }

    private void release(K key) {
        locks.computeIfPresent(key, (k, old) -> old.users() == 1 ? null : new Entry(old.lock(), old.users() - 1));
    }

    /** How many keys have a holder or a waiter (for tests). */
    int size() {
        return locks.size();
    }
}
