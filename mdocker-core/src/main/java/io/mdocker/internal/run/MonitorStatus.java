package io.mdocker.internal.run;

import io.mdocker.internal.process.InitProcess;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** How a monitor ended, in words, for the errors of a start or an exec. */
final class MonitorStatus {
    private MonitorStatus() {}

    /** " (exit status N)" or " (killed by signal N)" once the monitor has been reaped; "" when it was not in time. */
    static String text(InitProcess init) {
        try {
            int status = init.monitorStatus().get(Session.KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            int sig = status & 0x7f;
            return " (" + (sig == 0 ? "exit status " + ((status >> 8) & 0xff) : "killed by signal " + sig) + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (ExecutionException | TimeoutException e) {
            return "";
        }
    }
}
