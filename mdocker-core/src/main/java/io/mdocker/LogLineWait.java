package io.mdocker;


import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Ready once {@code times} lines of stdout or stderr have matched {@code pattern} (anywhere in
 * the line), counting the lines the container wrote before the wait began. Woken by the log
 * follower: no polling of the output.
 */
final class LogLineWait extends WaitBase {
    private static final long EXIT_CHECK_MILLIS = 50;

    private final Pattern pattern;
    private final int times;

    LogLineWait(String regex, int times, Duration timeout) {
        super(timeout);
        try {
            this.pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid log pattern '" + regex + "': " + e.getDescription());
        }
        if (times < 1) {
            throw new IllegalArgumentException("invalid count " + times + " of log lines: expected at least 1");
        }
        this.times = times;
    }

    @Override
    public void waitUntilReady(ContainerHandle c) {
        AtomicInteger seen = new AtomicInteger();
        CountDownLatch matched = new CountDownLatch(times);
        long deadline = System.nanoTime() + timeout().toNanos();
        try (LogSubscription ignored = c.followLogs(line -> {
            if (pattern.matcher(line.text()).find()) {
                seen.incrementAndGet();
                matched.countDown();
            }
        })) {
            while (true) {
                boolean running = c.isRunning();
                long left = deadline - System.nanoTime();
                if (matched.await(Math.min(EXIT_CHECK_MILLIS * 1_000_000, Math.max(left, 0)), TimeUnit.NANOSECONDS)) {
                    return;
                }
                if (!running && matched.getCount() > 0) {
                    throw exited(c, null);
                }
                if (deadline - System.nanoTime() <= 0) {
                    throw timedOut(c, new IllegalStateException(seen.get() + " of " + times + " lines matched"));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("interrupted while waiting for " + description(), e);
        }
    }

    @Override
    public WaitStrategy withTimeout(Duration timeout) {
        return new LogLineWait(pattern.pattern(), times, timeout);
    }

    @Override
    public String description() {
        return (times == 1 ? "a log line" : times + " log lines") + " matching '" + pattern.pattern() + "'";
    }
}
