package io.mdocker.cli;

import io.mdocker.ContainerException;
import io.mdocker.ContainerRuntime;
import io.mdocker.ExecFailedException;
import io.mdocker.internal.process.Prestart;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.io.PrintWriter;
import java.util.List;

/**
 * The {@code mdocker} command line. Exit status as Docker's: the command's own, 125 when mdocker
 * itself fails (one line on stderr), 126 when the command cannot be executed, 127 when it is not
 * found.
 */
public final class Main implements Runnable {
    static final int RUNTIME_ERROR = 125;
    static final String VERSION = "mdocker 0.1.0";

    /** The subcommands, in the order help lists them. */
    static final List<String> COMMANDS = List.of("run", "exec", "ps", "logs", "stop", "kill", "rm", "wait", "inspect",
            "port", "top", "cp", "pause", "unpause", "stats", "gc", "network", "images", "pull", "rmi", "load", "save",
            "import", "image", "tag", "container");

    private CommandSpec spec;

    private Main() {}

    public static void main(String[] args) {
        // A CLI process runs one command and exits: monitors spawned ahead for a next container
        // (the library's pool) would be made for nothing, with CPU the command itself needs.
        // (--version leaves the engine's classes unloaded.)
        if (!isVersion(args)) {
            ContainerRuntime.setMonitorPoolSize(0);
        }
        System.exit(execute(args));
    }

    private static boolean isVersion(String[] args) {
        return args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"));
    }

    /** Runs the CLI and returns its exit status (for tests, without exiting the JVM). */
    public static int execute(String... args) {
        if (isVersion(args)) {
            // What picocli would print, without building its model of the command line (most of the
            // CPU time of a --version).
            System.out.println(VERSION);
            System.out.flush();
            return 0;
        }
        // The native layer's first costs beside picocli's parse (docs/bench/cli.md).
        if (args.length > 0 && (args[0].equals("run") || args[0].equals("exec"))) {
            Prestart.inBackground(Prestart.Needs.CONTAINER);
        } else if (args.length > 0 && COMMANDS.contains(args[0])
                && !List.of(args).contains("--help") && !List.of(args).contains("-h")) {
            Prestart.inBackground(Prestart.Needs.NATIVE_CALLS);
        }
        // The model of mdocker itself and of run is built with picocli's programmatic API (Model: no
        // annotation proxies); the other commands' from their annotations.
        Main main = new Main();
        CommandSpec spec = CommandSpec.wrapWithoutInspection(main).name("mdocker").version(VERSION);
        spec.usageMessage().description("Run commands in Linux containers, without a daemon.");
        // picocli's standard -h and -V, declared here: its mixinStandardHelpOptions reads them from annotations.
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
        main.spec = spec;
        CommandLine cli = new CommandLine(spec);
        // picocli builds the model of every subcommand it is given, by reflection (a tenth of a
        // second for all of them): `mdocker run ...` gets run alone; help, errors and anything
        // else get them all, as before.
        if (args.length > 0 && args[0].equals("health-monitor")) {
            cli.addSubcommand(args[0], new HealthMonitorCommand()); // hidden: run -d starts it
        } else if (args.length > 0 && COMMANDS.contains(args[0])) {
            cli.addSubcommand(args[0], subcommand(args[0]));
        } else {
            for (String name : COMMANDS) {
                cli.addSubcommand(name, subcommand(name));
            }
        }
        // `mdocker run sh -c 'x'`: everything from the command on belongs to the command.
        for (String name : List.of("run", "exec")) {
            CommandLine sub = cli.getSubcommands().get(name);
            if (sub != null) {
                sub.setStopAtPositional(true);
            }
        }
        cli.setParameterExceptionHandler((ex, a) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("mdocker: " + oneLine(String.valueOf(ex.getMessage())) + " (see 'mdocker " + subcommandName(ex.getCommandLine()) + "--help')");
            return RUNTIME_ERROR;
        });
        cli.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println("mdocker: " + oneLine(ex));
            return RUNTIME_ERROR;
        });
        return cli.execute(args);
    }

    private static Object subcommand(String name) {
        return switch (name) {
            case "run" -> RunCommand.commandLine();
            case "exec" -> new ExecCommand();
            case "ps" -> new PsCommand();
            case "logs" -> new LogsCommand();
            case "stop" -> new StopCommand();
            case "kill" -> new KillCommand();
            case "rm" -> new RmCommand();
            case "wait" -> new WaitCommand();
            case "inspect" -> new InspectCommand();
            case "port" -> new PortCommand();
            case "top" -> new TopCommand();
            case "cp" -> new CpCommand();
            case "pause" -> new PauseCommand();
            case "unpause" -> new UnpauseCommand();
            case "stats" -> new StatsCommand();
            case "gc" -> new GcCommand();
            case "network" -> new NetworkCommand();
            case "images" -> new ImagesCommand();
            case "pull" -> new PullCommand();
            case "rmi" -> new RmiCommand();
            case "load" -> new LoadCommand();
            case "save" -> new SaveCommand();
            case "import" -> new ImportCommand();
            case "image" -> new ImageCommand();
            case "tag" -> new TagCommand();
            case "container" -> new ContainerCommand();
            default -> throw new IllegalArgumentException("no subcommand " + name);
        };
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
        return oneLine(e.getMessage() == null ? e.toString() : e.getMessage());
    }

    /**
     * A message as one line of a terminal: newlines become spaces, and every other control byte
     * a user's value may carry (ESC, CR, BEL, C1 controls...) is escaped as {@code \xNN}, so that
     * an error line can neither span lines nor drive the terminal.
     */
    static String oneLine(String m) {
        StringBuilder b = new StringBuilder(m.length());
        for (int i = 0; i < m.length(); i++) {
            char ch = m.charAt(i);
            if (ch == '\n') {
                b.append(' ');
            } else if (Character.isISOControl(ch) || ch == '\u2028' || ch == '\u2029') {
                b.append(ch <= 0xff ? String.format("\\x%02x", (int) ch) : String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "a command is needed: run, exec, ps, logs, stop, kill, rm, wait, inspect, cp, pause, unpause, stats, gc or network");
    }
}
