/*
 * mdocker-seccomp.h: the header jextract reads to generate io.mdocker.bindings.seccomp.
 *
 * libseccomp's own <seccomp.h> (Debian: libseccomp-dev), which the runtime calls to compile
 * seccomp profiles into BPF; what ends up in the bindings is chosen by seccomp-includes.txt.
 * The library is loaded at run time as libseccomp.so.2 (Debian: libseccomp2). Regenerate with
 * ./regenerate; AbiProbeTest's seccomp sibling compiles this same file with gcc.
 */
#ifndef MDOCKER_JEXTRACT_SECCOMP_H
#define MDOCKER_JEXTRACT_SECCOMP_H

#include <seccomp.h>

/*
 * SCMP_ACT_ERRNO(x) and SCMP_ACT_TRACE(x) are function-like macros, which jextract skips: their
 * constant part, as object-like macros (the Java side ORs in the 16-bit errno or message).
 */
#define MDK_SCMP_ACT_ERRNO_BASE SCMP_ACT_ERRNO(0)
#define MDK_SCMP_ACT_TRACE_BASE SCMP_ACT_TRACE(0)

#endif /* MDOCKER_JEXTRACT_SECCOMP_H */
