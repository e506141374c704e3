package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.ExecResult;
import io.mdocker.internal.state.ExecRecord;

/**
 * Docker's exec, for a container of this JVM and one known by its record alike: the checks
 * before it (a running container that is not paused), the start, and exec()'s run to the end.
 */
public final class Execs {
    private Execs() {}

    /**
     * Starts {@code exec} in {@code target}. A container of this JVM keeps the process, to close
     * it with itself.
     */
    public static ExecSession start(Target target, ExecSpec exec, boolean forResult) {
        Session owner = target instanceof Session s ? s : null;
        ExecSession p = ExecSession.start(target.shortId(), basis(target), exec, forResult,
                owner != null ? owner::unregister : x -> { });
        if (owner != null) {
            try {
                owner.register(p);
            } catch (IllegalStateException e) { // the container was closed meanwhile
                p.close();
                throw e;
            }
        }
        return p;
    }

    /** Docker's {@code exec -d}: starts {@code exec} in {@code target} and leaves its process there; its host pid. */
    public static int startDetached(Target target, ExecSpec exec) {
        return ExecSession.startDetached(target.shortId(), basis(target), exec);
    }

    /** exec(): starts {@code exec} in {@code target}, waits for its end (killing it at its timeout), collects the output. */
    public static ExecResult run(Target target, ExecSpec exec) {
        return ExecSession.run(start(target, exec, true), exec);
    }

    /**
     * The exec record of {@code target}.
     *
     * @throws ContainerException when it does not run or is paused (Docker's refusal)
     */
    public static ExecRecord basis(Target target) {
        ExecRecord record = target.execRecord().orElseThrow(() -> new ContainerException("container "
                + target.shortId() + " is not running: cannot exec into it"));
        if (Pausing.isPaused(target.cgroupDirs())) {
            throw new ContainerException("container " + target.shortId() + " is paused: unpause it before exec");
        }
        return record;
    }
}
