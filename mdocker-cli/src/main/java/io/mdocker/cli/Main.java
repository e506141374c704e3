package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.ExecFailedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code mdocker} command line. Exit status as Docker's: the command's own, 125 when mdocker
 * itself fails (one line on stderr), 126 when the command cannot be executed, 127 when it is not
 * found.
 */
@Command(name = "mdocker", mixinStandardHelpOptions = true, version = "mdocker 0.1.0",
        description = "Run commands in Linux containers, without a daemon.",
        subcommands = {RunCommand.class, ExecCommand.class, PsCommand.class, LogsCommand.class, StopCommand.class,
                KillCommand.class, RmCommand.class, WaitCommand.class, InspectCommand.class, CpCommand.class,
                PauseCommand.class, UnpauseCommand.class, StatsCommand.class, GcCommand.class,
                NetworkCommand.class})
public final class Main implements Runnable {
    static final int RUNTIME_ERROR = 125;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns its exit status (for tests, without exiting the JVM). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // `mdocker run sh -c 'x'`: everything from the command on belongs to the command.
        cli.getSubcommands().get("run").setStopAtPositional(true);
        cli.getSubcommands().get("exec").setStopAtPositional(true);
        cli.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("mdocker: " + ex.getMessage() + " (see 'mdocker " + subcommandName(ex.getCommandLine()) + "--help')");
            return RUNTIME_ERROR;
        });
        cli.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("mdocker: " + oneLine(ex));
            return RUNTIME_ERROR;
        });
        return cli.execute(args);
    }

    private static String subcommandName(CommandLine c) {
        return c.getParent() == null ? "" : c.getCommandName() + " ";
    }

    /**
     * A failure of run or exec as Docker reports it: one line on stderr; the status is the
     * command's 126 or 127 when it could not be executed, else 125.
     */
    static int failed(ContainerException e) {
        System.err.println("mdocker: " + oneLine(e));
        return e instanceof ExecFailedException f ? f.exitCode() : RUNTIME_ERROR;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        return m.replace('\n', ' ');
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this),
                "a command is needed: run, exec, ps, logs, stop, kill, rm, wait, inspect, cp, pause, unpause, stats, gc or network");
    }
}
