package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.ContainerRuntime;
import io.mdocker.DetachedContainer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * A verb on containers named by id (full, or a unique prefix), as Docker's {@code stop}, {@code kill},
 * {@code rm} and {@code wait}: each id in turn, and a line printed when done (the id as given, or
 * what the verb says); a failure is one line naming it on stderr, the others still go on, and the
 * status is then 1.
 */
abstract class ContainerVerb implements Callable<Integer> {
    static final int FAILED = 1;
    /** How every command that takes containers describes its ID parameter. */
    static final String ID_DESCRIPTION = "Container id, a unique prefix of one, or the container's name.";

    @Mixin
    StateRootOption state = new StateRootOption();

    @Parameters(arity = "1..*", paramLabel = "ID", description = ContainerVerb.ID_DESCRIPTION)
    List<String> ids = new ArrayList<>();

    /** Does the verb to one container; returns the line to print, or null for the id as given. */
    abstract String act(DetachedContainer c);

    @Override
    public Integer call() {
        ContainerRuntime.requireRoot();
        ContainerRuntime rt = state.runtime();
        int status = 0;
        for (String id : ids) {
            try {
                String line = act(rt.attach(id));
                System.out.println(line != null ? line : id);
            } catch (ContainerException | IllegalArgumentException e) {
                status = report(e);
            }
        }
        return status;
    }

    /** One line on stderr for a container that could not be acted on; returns {@link #FAILED}. */
    static int report(RuntimeException e) {
        System.err.println("mdocker: " + Main.oneLine(e));
        return FAILED;
    }
}
