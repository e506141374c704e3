package io.mdocker;

import io.mdocker.SeccompProfile.Action;
import io.mdocker.SeccompProfile.Arg;
import io.mdocker.SeccompProfile.Op;
import io.mdocker.SeccompProfile.Rule;

import java.util.ArrayList;
import java.util.List;

/**
 * Docker's default seccomp profile (moby's profiles/seccomp/default.json at tag v25.0.0),
 * written out as a {@link SeccompProfile}: the same allow-list, the same capability-gated and
 * argument-filtered rules, EPERM for everything else. Rules for other architectures than the
 * ones mdocker runs on (x86_64, aarch64) are kept, so that the profile reads like Docker's.
 * As in Docker 25 (moby#46762) and containerd 2.0, io_uring_setup, io_uring_enter and
 * io_uring_register are not allowed: the operations of a ring bypass seccomp, and io_uring has
 * been a steady source of kernel escapes. DockerProfileTest compares every rule with the list
 * in src/test/resources/docker-25.0.0-seccomp.txt, so that this cannot drift silently.
 */
final class DockerDefaultSeccomp {
    private DockerDefaultSeccomp() {}

    /** errno values (the generic Linux ones; checked against the bindings by a test). */
    static final int EPERM = 1;
    static final int ENOSYS = 38;

    /** Allowed for every container. */
    private static final String ALWAYS_ALLOWED = """
            accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
            clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
            clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
            dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
            epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
            fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl
            fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
            fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv
            futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32
            getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority
            getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage
            getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr
            inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy
            io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit
            ipc kill landlock_add_rule
            landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen
            listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier
            memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2
            mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend
            mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall
            munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
            pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl
            pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev
            pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64
            recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq
            rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend
            rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr
            sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler
            sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr
            sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop
            semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid
            setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid
            setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit
            set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr
            shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn
            socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync
            sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun
            timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime
            timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit
            umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid
            waitpid write writev
            """;

    /** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: clone may create no namespace. */
    private static final long CLONE_NAMESPACE_FLAGS = 0x7E020000L;

    static final SeccompProfile PROFILE = build();

    private static SeccompProfile build() {
        List<Rule> r = new ArrayList<>();
        r.add(Rule.of(Action.allow(), ALWAYS_ALLOWED.trim().split("\\s+")));
        r.add(Rule.of(Action.allow(), "process_vm_readv", "process_vm_writev", "ptrace").sinceKernel("4.8"));
        r.add(Rule.of(Action.allow(), "socket").withArgs(Arg.of(0, Op.NE, 40))); // not AF_VSOCK
        for (long persona : new long[] {0x0, 0x8, 0x20000, 0x20008, 0xffffffffL}) {
            r.add(Rule.of(Action.allow(), "personality").withArgs(Arg.of(0, Op.EQ, persona)));
        }
        r.add(Rule.of(Action.allow(), "sync_file_range2", "swapcontext").onArches("ppc64le"));
        r.add(Rule.of(Action.allow(), "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
                "cacheflush", "set_tls").onArches("arm", "arm64"));
        r.add(Rule.of(Action.allow(), "arch_prctl").onArches("amd64", "x32"));
        r.add(Rule.of(Action.allow(), "modify_ldt").onArches("amd64", "x32", "x86"));
        r.add(Rule.of(Action.allow(), "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr")
                .onArches("s390", "s390x"));
        r.add(Rule.of(Action.allow(), "riscv_flush_icache").onArches("riscv64"));
        r.add(Rule.of(Action.allow(), "open_by_handle_at").ifCapabilities(Capability.DAC_READ_SEARCH));
        r.add(Rule.of(Action.allow(), "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
                "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree", "perf_event_open",
                "quotactl", "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2",
                "unshare").ifCapabilities(Capability.SYS_ADMIN));
        r.add(Rule.of(Action.allow(), "clone").withArgs(new Arg(0, Op.MASKED_EQ, CLONE_NAMESPACE_FLAGS, 0))
                .unlessCapabilities(Capability.SYS_ADMIN).exceptArches("s390", "s390x"));
        r.add(Rule.of(Action.allow(), "clone").withArgs(new Arg(1, Op.MASKED_EQ, CLONE_NAMESPACE_FLAGS, 0))
                .unlessCapabilities(Capability.SYS_ADMIN).onArches("s390", "s390x"));
        // ENOSYS, so that libc falls back to clone, whose flags the filter can see
        r.add(Rule.of(Action.errno(ENOSYS), "clone3").unlessCapabilities(Capability.SYS_ADMIN));
        r.add(Rule.of(Action.allow(), "reboot").ifCapabilities(Capability.SYS_BOOT));
        r.add(Rule.of(Action.allow(), "chroot").ifCapabilities(Capability.SYS_CHROOT));
        r.add(Rule.of(Action.allow(), "delete_module", "init_module", "finit_module").ifCapabilities(Capability.SYS_MODULE));
        r.add(Rule.of(Action.allow(), "acct").ifCapabilities(Capability.SYS_PACCT));
        r.add(Rule.of(Action.allow(), "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev",
                "ptrace").ifCapabilities(Capability.SYS_PTRACE));
        r.add(Rule.of(Action.allow(), "iopl", "ioperm").ifCapabilities(Capability.SYS_RAWIO));
        r.add(Rule.of(Action.allow(), "settimeofday", "stime", "clock_settime", "clock_settime64")
                .ifCapabilities(Capability.SYS_TIME));
        r.add(Rule.of(Action.allow(), "vhangup").ifCapabilities(Capability.SYS_TTY_CONFIG));
        r.add(Rule.of(Action.allow(), "get_mempolicy", "mbind", "set_mempolicy")
                .ifCapabilities(Capability.SYS_NICE));
        r.add(Rule.of(Action.allow(), "syslog").ifCapabilities(Capability.SYSLOG));
        r.add(Rule.of(Action.allow(), "bpf").ifCapabilities(Capability.BPF));
        r.add(Rule.of(Action.allow(), "perf_event_open").ifCapabilities(Capability.PERFMON));
        return new SeccompProfile("docker-default", Action.errno(EPERM), architectures(), r);
    }

    /** Docker's archMap: the native architecture and the ones its kernel also runs. */
    private static List<String> architectures() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
            case "aarch64" -> List.of("SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
            default -> List.of();
        };
    }
}
