package io.mdocker.internal.run;

import io.mdocker.ContainerException;
import io.mdocker.internal.state.ExecRecord;

/** What an exec needs before it starts: a running container that is not paused, and its record. */
public final class Execs {
    private Execs() {}

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
