package io.mdocker.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code run}'s model is built with picocli's programmatic API (Model), the other commands' from
 * annotations: the options both share are declared twice and must be the same, and every option of
 * {@code run} must reach the field the command reads.
 */
class ProgrammaticModelTest {

    @Test
    void theSharedOptionsAreTheAnnotatedOnes() {
        CommandSpec annotated = CommandSpec.forAnnotatedObject(new Shared()).name("x");
        CommandSpec programmatic = CommandSpec.create().name("x");
        ProcessOptions.addTo(programmatic);
        programmatic.addOption(StateRootOption.option());
        assertThat(programmatic.options()).hasSameSizeAs(annotated.options()).hasSize(5);
        for (CommandLine.Model.OptionSpec a : annotated.options()) {
            CommandLine.Model.OptionSpec p = programmatic.findOption(a.longestName());
            assertThat(p).as(a.longestName()).isNotNull();
            assertThat(p.names()).isEqualTo(a.names());
            assertThat(p.paramLabel()).isEqualTo(a.paramLabel());
            assertThat(p.type()).isEqualTo(a.type());
            assertThat(p.auxiliaryTypes()).isEqualTo(a.auxiliaryTypes());
            assertThat(p.arity()).isEqualTo(a.arity());
            assertThat(p.description()).isEqualTo(a.description());
        }
        assertThat(new CommandLine(programmatic).getUsageMessage()).isEqualTo(new CommandLine(annotated).getUsageMessage());
    }

    /** The two mixins as {@code exec} (and, for the state root, every other command) declare them. */
    static final class Shared {
        @CommandLine.Mixin
        ProcessOptions process = new ProcessOptions();
        @CommandLine.Mixin
        StateRootOption state = new StateRootOption();
    }

    @Test
    void everyOptionOfRunReachesItsField() {
        CommandLine cli = RunCommand.commandLine();
        cli.setStopAtPositional(true);
        cli.parseArgs("--rootfs", "/r", "--entrypoint", "ep", "--pull", "never", "--stop-signal", "INT", "--name", "n",
                "-h", "host", "-e", "A=1", "--env-file", "/e", "-w", "/w", "-u", "1:2", "--health-cmd", "true",
                "--health-interval", "1s", "--health-timeout", "2s", "--health-start-period", "3s", "--health-retries", "4",
                "-l", "k=v", "--label-file", "/l", "-v", "/a:/b", "-d", "--rm", "--no-init", "-i", "-t",
                "--cap-add", "NET_ADMIN,SYS_TIME", "--cap-drop", "ALL", "--privileged", "--userns", "--security-opt", "o",
                "--storage-opt", "size=1m", "--group-add", "7", "--read-only", "--tmpfs", "/t", "--ulimit", "nofile=1:2",
                "-m", "64m", "--shm-size", "1g", "--memory-swap", "128m", "--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus", "0",
                "--cpuset-mems", "0", "--pids-limit", "9", "--cgroup-parent", "cg", "--network", "net",
                "--network-alias", "al", "--add-host", "db:10.0.0.9", "--dns", "10.0.0.53", "--dns-search", "ex.org", "--dns-opt", "ndots:2",
                "-p", "80", "-P", "--bridge", "br", "--bip", "10.0.0.1/24", "--ip", "10.0.0.2",
                "--state-root", "/s", "image", "arg");
        RunCommand r = (RunCommand) cli.getCommandSpec().userObject();
        r.read();
        assertThat(List.of(r.rootfs, r.entrypoint, r.pull, r.stopSignal, r.name, r.hostname))
                .isEqualTo(List.of(Path.of("/r"), "ep", "never", "INT", "n", "host"));
        assertThat(r.process.env).containsExactly("A=1");
        assertThat(r.process.envFiles).containsExactly(Path.of("/e"));
        assertThat(List.of(r.process.workdir, r.process.user)).isEqualTo(List.of("/w", "1:2"));
        assertThat(List.of(r.health.command, r.health.interval, r.health.timeout, r.health.startPeriod))
                .isEqualTo(List.of("true", "1s", "2s", "3s"));
        assertThat(r.health.retries).isEqualTo(4);
        assertThat(r.labels).containsExactly("k=v");
        assertThat(r.labelFiles).containsExactly(Path.of("/l"));
        assertThat(r.volumes).containsExactly("/a:/b");
        assertThat(List.of(r.detach, r.remove, r.noInit, r.interactive, r.tty, r.privileged, r.readOnly, r.publishAll))
                .containsOnly(true);
        assertThat(r.capAdd).containsExactly("NET_ADMIN", "SYS_TIME");
        assertThat(r.capDrop).containsExactly("ALL");
        assertThat(r.userns).isEqualTo("remap");
        assertThat(List.of(r.securityOpts, r.storageOpts, r.tmpfs, r.ulimits, r.networkAliases, r.publish))
                .isEqualTo(List.of(List.of("o"), List.of("size=1m"), List.of("/t"), List.of("nofile=1:2"), List.of("al"), List.of("80")));
        assertThat(r.addHosts).containsExactly("db:10.0.0.9");
        assertThat(List.of(r.dns, r.dnsSearch, r.dnsOptions)).isEqualTo(List.of(List.of("10.0.0.53"), List.of("ex.org"),
                List.of("ndots:2")));
        assertThat(r.groupAdd).containsExactly(7);
        assertThat(List.of(r.memory, r.memorySwap, r.cpusetCpus, r.cpusetMems, r.cgroupParent, r.network, r.bridge,
                r.bridgeAddress, r.ip)).isEqualTo(List.of("64m", "128m", "0", "0", "cg", "net", "br", "10.0.0.1/24", "10.0.0.2"));
        assertThat(r.shmSize).isEqualTo("1g");
        assertThat(r.cpus).isEqualTo(0.5);
        assertThat(List.of(r.cpuShares, r.pidsLimit)).isEqualTo(List.of(512L, 9L));
        assertThat(r.state.stateRoot).isEqualTo(Path.of("/s"));
        assertThat(r.command).containsExactly("image", "arg");
        assertThat(r.health.none).isFalse();
    }

    @Test
    void withNothingGivenRunHasItsDefaults() {
        CommandLine cli = RunCommand.commandLine();
        cli.parseArgs("/bin/true");
        RunCommand r = (RunCommand) cli.getCommandSpec().userObject();
        r.read();
        assertThat(r.pull).isEqualTo("missing");
        assertThat(r.userns).isEqualTo("host");
        assertThat(List.of(r.detach, r.tty, r.health.none)).containsOnly(false);
        assertThat(r.rootfs).isNull();
        assertThat(r.capAdd).isEmpty();
        assertThat(r.process.env).isEmpty();
        assertThat(r.state.stateRoot).isNull();
        assertThat(r.command).containsExactly("/bin/true");
    }
}
