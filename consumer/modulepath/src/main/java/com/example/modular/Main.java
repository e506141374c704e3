package com.example.modular;

import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.ContainerRuntime;
import io.mdocker.ExecResult;
import io.mdocker.RunningContainer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs a container and execs into another from the module path; exits 0 when both said what
 * they should, 1 otherwise. Argument: a scratch directory (the rootfs and the state roots go there).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]).toAbsolutePath();
        Path rootfs = dir.resolve("rootfs");
        BusyboxRootfs.ensure(rootfs);
        ContainerRuntime runtime = ContainerRuntime.at(dir.resolve("lib"), dir.resolve("run"));
        Container box = Container.builder().rootfs(rootfs).runtime(runtime).hostname("modular").build();

        ExecResult r = box.run("/bin/sh", "-c", "echo hello from $(hostname)");
        check(r.exitCode() == 0 && r.stdout().equals("hello from modular\n"), "run: " + r);

        try (RunningContainer c = box.start("/bin/sleep", "60")) {
            ExecResult e = c.exec("/bin/sh", "-c", "ps | grep -q '[s]leep 60' && echo found; exit 3");
            check(e.exitCode() == 3 && e.stdout().equals("found\n"), "exec: " + e + " " + e.stdout());
        }
        ContainerRuntime.awaitCleanup();
        check(!Files.exists(dir.resolve("run/containers")) || Files.list(dir.resolve("run/containers")).findAny().isEmpty(),
                "a container record was left in " + dir.resolve("run/containers"));
        System.out.println("modular: run and exec from the module path: ok");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("modular: unexpected " + what);
            System.exit(1);
        }
    }
}
