package io.mdocker.internal.sys;

import io.mdocker.bindings.Linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static io.mdocker.bindings.Linux.C_INT;
import static io.mdocker.bindings.Linux.C_LONG;
import static io.mdocker.bindings.Linux.C_POINTER;

/**
 * Project quotas, through the calls that XFS and ext4 both serve: a directory's project id and
 * inherit flag ({@code FS_IOC_FSGETXATTR}/{@code FS_IOC_FSSETXATTR} on {@code struct fsxattr}),
 * and a project's limits and usage ({@code quotactl_fd(2)} with {@code PRJQUOTA} and the generic
 * {@code Q_GETINFO}/{@code Q_GETQUOTA}/{@code Q_SETQUOTA} on {@code struct if_dqblk}, which XFS
 * translates). quotactl_fd (Linux 5.14) takes any descriptor on the filesystem, so no block device
 * has to be found. Constants and layouts are linux/fs.h's and linux/quota.h's for every 64-bit
 * architecture (the numbers in QuotasTest are checked against gcc); glibc has no quotactl_fd
 * wrapper: syscall(2).
 *
 * <p>Thread-safe: stateless apart from the method handles.
 */
public final class Quotas {
    private Quotas() {}

    static final long FS_IOC_FSGETXATTR = 0x801c581fL;
    static final long FS_IOC_FSSETXATTR = 0x401c5820L;
    /** fsx_xflags: new files and directories below take the directory's project id. */
    static final int FS_XFLAG_PROJINHERIT = 0x200;
    static final long FSXATTR_SIZE = 28;
    static final long FSX_XFLAGS = 0;
    static final long FSX_PROJID = 12;

    /** SYS_quotactl_fd: 443 in the generic syscall table every architecture shares since 5.14. */
    static final long SYS_QUOTACTL_FD = 443;
    static final int PRJQUOTA = 2;
    static final long Q_GETINFO = 0x800005;
    static final long Q_GETQUOTA = 0x800007;
    static final long Q_SETQUOTA = 0x800008;
    static final long DQBLK_SIZE = 72;
    static final long DQB_BHARDLIMIT = 0;
    static final long DQB_BSOFTLIMIT = 8;
    static final long DQB_CURSPACE = 16;
    static final long DQB_VALID = 64;
    /** dqb_valid: the block limits are set. */
    static final int QIF_BLIMITS = 1;
    /** Block limits count 1 KiB blocks (QIF_DQBLKSIZE). */
    private static final long QUOTA_BLOCK = 1024;

    /** ioctl(fd, request, pointer). */
    private static final class IoctlPointer {
        static final String SYMBOL = "ioctl";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_INT, C_INT, C_LONG, C_POINTER);
        static final int FIRST_VARIADIC = 2;
        static final MethodHandle H = Posix.link(Linux.ioctl.address(), DESC, Linker.Option.firstVariadicArg(FIRST_VARIADIC));
    }

    /** syscall(SYS_quotactl_fd, fd, cmd, id, addr). */
    private static final class SyscallQuotactlFd {
        static final String SYMBOL = "syscall";
        static final FunctionDescriptor DESC = FunctionDescriptor.of(C_LONG, C_LONG, C_LONG, C_LONG, C_LONG, C_POINTER);
        static final int FIRST_VARIADIC = 1;
        static final MethodHandle H = Posix.link(Linux.syscall.address(), DESC, Linker.Option.firstVariadicArg(FIRST_VARIADIC));
    }

    private static long qcmd(long cmd) {
        return (cmd << 8) | PRJQUOTA;
    }

    /**
     * Whether project quotas are enforced on the filesystem of {@code fd}: Q_GETINFO for PRJQUOTA
     * succeeds; the errno of the refusal otherwise (ESRCH: quotas off, ENOSYS/EOPNOTSUPP/EINVAL:
     * none on this filesystem), 0 when they are.
     */
    public static int projectQuotaErrno(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(64, 8); // struct if_dqinfo is 24 bytes
            Posix.check("quotactl_fd(Q_GETINFO, PRJQUOTA)", st -> (long) SyscallQuotactlFd.H.invokeExact(st,
                    SYS_QUOTACTL_FD, (long) fd, qcmd(Q_GETINFO), 0L, info));
            return 0;
        } catch (ErrnoException e) {
            return e.errno();
        }
    }

    /** Gives directory {@code fd} the project id {@code projectId} and the inherit flag. */
    public static void setProject(int fd, int projectId, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fsx = arena.allocate(FSXATTR_SIZE, 4);
            Posix.check("ioctl(" + what + ", FS_IOC_FSGETXATTR)",
                    st -> (int) IoctlPointer.H.invokeExact(st, fd, FS_IOC_FSGETXATTR, fsx));
            fsx.set(ValueLayout.JAVA_INT, FSX_XFLAGS, fsx.get(ValueLayout.JAVA_INT, FSX_XFLAGS) | FS_XFLAG_PROJINHERIT);
            fsx.set(ValueLayout.JAVA_INT, FSX_PROJID, projectId);
            Posix.check("ioctl(" + what + ", FS_IOC_FSSETXATTR project " + projectId + ")",
                    st -> (int) IoctlPointer.H.invokeExact(st, fd, FS_IOC_FSSETXATTR, fsx));
        }
    }

    /** A project's block usage in bytes and hard limit in bytes (0: none). */
    public record Usage(long bytes, long limitBytes) {
        public boolean unused() {
            return bytes == 0 && limitBytes == 0;
        }
    }

    /**
     * The usage and block limit of project {@code projectId} on the filesystem of {@code fd}; none
     * of either where the filesystem keeps nothing for the project (XFS answers ENOENT then).
     */
    public static Usage usage(int fd, int projectId) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dq = arena.allocate(DQBLK_SIZE, 8);
            long r = Posix.check("quotactl_fd(Q_GETQUOTA, project " + projectId + ")", st -> {
                long v = (long) SyscallQuotactlFd.H.invokeExact(st, SYS_QUOTACTL_FD, (long) fd, qcmd(Q_GETQUOTA),
                        Integer.toUnsignedLong(projectId), dq);
                return v < 0 && Posix.errno(st) == Linux.ENOENT() ? 1 : v;
            });
            if (r == 1) {
                return new Usage(0, 0);
            }
            return new Usage(dq.get(ValueLayout.JAVA_LONG, DQB_CURSPACE),
                    dq.get(ValueLayout.JAVA_LONG, DQB_BHARDLIMIT) * QUOTA_BLOCK);
        }
    }

    /**
     * Sets the block hard limit of project {@code projectId} (soft limit equal) on the filesystem
     * of {@code fd}, rounded up to whole KiB; 0 removes the limit.
     */
    public static void setLimit(int fd, int projectId, long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dq = arena.allocate(DQBLK_SIZE, 8);
            long blocks = (bytes + QUOTA_BLOCK - 1) / QUOTA_BLOCK;
            dq.set(ValueLayout.JAVA_LONG, DQB_BHARDLIMIT, blocks);
            dq.set(ValueLayout.JAVA_LONG, DQB_BSOFTLIMIT, blocks);
            dq.set(ValueLayout.JAVA_INT, DQB_VALID, QIF_BLIMITS);
            Posix.check("quotactl_fd(Q_SETQUOTA, project " + projectId + ", " + bytes + " bytes)",
                    st -> (long) SyscallQuotactlFd.H.invokeExact(st, SYS_QUOTACTL_FD, (long) fd, qcmd(Q_SETQUOTA),
                            Integer.toUnsignedLong(projectId), dq));
        }
    }
}
