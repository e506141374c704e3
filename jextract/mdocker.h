/*
 * mdocker.h: the one header jextract reads to generate io.mdocker.bindings.
 *
 * It only gathers the system headers; what ends up in the bindings is chosen by
 * includes.txt. Regenerate with ./regenerate; AbiProbeTest compiles this same file
 * with gcc and checks every constant, struct size and field offset against the
 * committed Java code.
 */
#ifndef MDOCKER_JEXTRACT_H
#define MDOCKER_JEXTRACT_H

/* memfd_create, pipe2, POSIX_SPAWN_SETSID, addclosefrom_np, F_ADD_SEALS, strerror*_np, setns */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <spawn.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <unistd.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <string.h>
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <linux/capability.h>
/* openat2 through syscall(2): copying into and out of running containers */
#include <sys/syscall.h>
#include <linux/openat2.h>
/* networking: rtnetlink (links, addresses, routes) and the interface flags */
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/veth.h>
/* nftables over nfnetlink (the bridges' anti-spoofing set elements) */
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
/* pseudo-terminals: window size, the CLI's raw mode */
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/uio.h>
/* image layers: device nodes and whiteouts, extended attributes */
#include <sys/stat.h>
#include <sys/xattr.h>

#endif /* MDOCKER_JEXTRACT_H */
