package io.mdocker.cli;

import io.mdocker.ContainerRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code mdocker gc}: removes what containers of dead JVMs left behind. */
@Command(name = "gc", mixinStandardHelpOptions = true,
        description = "Remove what containers of dead mdocker processes left behind (processes, directories, records); "
                + "running detached containers are left alone, exited ones lose their cgroups and network (mdocker rm removes them).")
final class GcCommand implements Callable<Integer> {
    @Mixin
    StateRootOption state = new StateRootOption();

    @Override
    public Integer call() {
        ContainerRuntime rt = state.runtime();
        List<String> removed = rt.gc();
        for (String id : removed) {
            System.out.println(id.length() > 12 ? id.substring(0, 12) : id);
        }
        System.err.println("mdocker: removed " + removed.size() + " leftover container(s) from " + rt.runRoot());
        return 0;
    }
}
