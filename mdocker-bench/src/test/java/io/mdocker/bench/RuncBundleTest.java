package io.mdocker.bench;

import io.mdocker.BusyboxRootfs;
import io.mdocker.Container;
import io.mdocker.testing.Fixtures;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The benchmark's runc rows are a fair comparison: a command in runc's generated bundle runs with
 * the same capability sets, no_new_privs and seccomp filter as in an mdocker container with the
 * defaults, and the bundle with the limits holds its memory limit.
 */
class RuncBundleTest {
    /** The benchmark's run root on /run, which these tests' runtimes and runc made (when nothing else uses it). */
    @AfterAll
    static void removeRunRoot() throws Exception {
        Benchmark.removeRunRoot();
        assertThat(Benchmark.RUN_ROOT).as("nothing recorded in it any more").doesNotExist();
    }

    private static final Path OUT = Path.of("target", "bench-test").toAbsolutePath();
    private static final List<String> STATUS = List.of("/bin/grep", "-E",
            "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):", "/proc/self/status");

    @BeforeAll
    static void prerequisites() {
        boolean runc = List.of("/usr/sbin/runc", "/usr/bin/runc", "/sbin/runc").stream().map(Path::of)
                .anyMatch(Files::isExecutable);
        long euid = new com.sun.security.auth.module.UnixSystem().getUid();
        Fixtures.prerequisite(euid == 0 && runc && BusyboxRootfs.findStaticBusybox().isPresent(),
                "the runc bundle test needs root, runc and busybox-static (uid " + euid + ", runc " + runc + ")");
    }

    @Test
    void runcRunsTheCommandWithMdockersCapabilitiesNoNewPrivsAndSeccomp() throws Exception {
        Container spec = Benchmark.baseSpec(OUT);
        External ext = new External(OUT, spec.layers().getFirst(), spec);
        String inMdocker = spec.run(STATUS.toArray(String[]::new)).stdout();
        String inRunc = External.exec(ext.runcRun(ext.runcBundle("runc-status", null, STATUS)));

        assertThat(inMdocker).contains("Seccomp:\t2").contains("NoNewPrivs:\t1").contains("CapEff:\t00000000a80425fb");
        assertThat(inRunc).isEqualTo(inMdocker);
    }

    @Test
    void theLimitsBundleHoldsItsMemoryLimit() throws Exception {
        Container spec = Benchmark.baseSpec(OUT);
        External ext = new External(OUT, spec.layers().getFirst(), spec);
        // dd reads 128 MiB of zeros into one buffer: within the 64 MiB limit it cannot
        List<String> hog = List.of("/bin/dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1");
        assertThatThrownBy(() -> External.exec(ext.runcRun(ext.runcBundle("runc-limits-hog", Limits.DEFAULT, hog))))
                .hasMessageContaining("exited 137");
        assertThat(External.exec(ext.runcRun(ext.runcBundle("runc-hog", null, hog)))).contains("1+0 records out");
    }
}
