package io.mdocker.internal.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.mdocker.testing.Fixtures;

import static org.assertj.core.api.Assertions.assertThat;

/** Quotas's hand-copied constants and struct offsets against what gcc says for linux/fs.h and linux/quota.h. */
class QuotasTest {
    @TempDir
    Path work;

    @Test
    void constantsAndLayoutsAreTheKernelHeaders() throws Exception {
        Path source = work.resolve("q.c");
        Files.writeString(source, """
                #include <stdio.h>
                #include <stddef.h>
                #include <linux/fs.h>
                #include <linux/quota.h>
                #include <sys/syscall.h>
                int main(void) {
                    printf("%lu %lu %u %zu %zu %zu\\n", (unsigned long) FS_IOC_FSGETXATTR, (unsigned long) FS_IOC_FSSETXATTR,
                           FS_XFLAG_PROJINHERIT, sizeof(struct fsxattr), offsetof(struct fsxattr, fsx_xflags),
                           offsetof(struct fsxattr, fsx_projid));
                    printf("%d %d %d %d %d %zu %zu %zu %zu %zu %d\\n", SYS_quotactl_fd, PRJQUOTA, Q_GETINFO, Q_GETQUOTA,
                           Q_SETQUOTA, sizeof(struct if_dqblk), offsetof(struct if_dqblk, dqb_bhardlimit),
                           offsetof(struct if_dqblk, dqb_bsoftlimit), offsetof(struct if_dqblk, dqb_curspace),
                           offsetof(struct if_dqblk, dqb_valid), QIF_BLIMITS);
                    return 0;
                }
                """);
        Path exe = work.resolve("q");
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-o", exe.toString(), source.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            Fixtures.prerequisite(false, "gcc is not installed: Quotas's constants cannot be checked (apt-get install gcc libc6-dev)");
            return;
        }
        String gccOut = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(gcc.exitValue()).as(gccOut).isZero();
        Process p = new ProcessBuilder(exe.toString()).start();
        String[] lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).split("\n");
        assertThat(p.waitFor()).isZero();
        assertThat(lines[0]).isEqualTo(Quotas.FS_IOC_FSGETXATTR + " " + Quotas.FS_IOC_FSSETXATTR + " "
                + Quotas.FS_XFLAG_PROJINHERIT + " " + Quotas.FSXATTR_SIZE + " " + Quotas.FSX_XFLAGS + " " + Quotas.FSX_PROJID);
        assertThat(lines[1]).isEqualTo(Quotas.SYS_QUOTACTL_FD + " " + Quotas.PRJQUOTA + " " + Quotas.Q_GETINFO + " "
                + Quotas.Q_GETQUOTA + " " + Quotas.Q_SETQUOTA + " " + Quotas.DQBLK_SIZE + " " + Quotas.DQB_BHARDLIMIT + " "
                + Quotas.DQB_BSOFTLIMIT + " " + Quotas.DQB_CURSPACE + " " + Quotas.DQB_VALID + " " + Quotas.QIF_BLIMITS);
    }
}
