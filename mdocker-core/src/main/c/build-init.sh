#!/bin/sh
# Builds mdocker-init: build-init.sh OUTPUT WORK_DIR [EXTRA_CFLAGS...]  (WORK_DIR: outside the jar)
# Linked statically with musl (musl-tools): a 70 KB binary, against 720 KB with static glibc. Every
# monitor and pid 1 maps its text, so that size is most of a helper's memory (issue 6: helper RSS
# per idle container). musl's headers carry no kernel headers: linux/, asm/ and asm-generic/ come
# from the host's linux-libc-dev through a directory of links, searched after musl's own.
set -eu
out=$1
inc=$2/musl-kernel-headers
shift 2
if ! command -v musl-gcc >/dev/null; then
  echo "build-init.sh: musl-gcc is not installed (mdocker-init is linked with musl): apt-get install musl-tools" >&2
  exit 1
fi
arch=$(gcc -print-multiarch)
mkdir -p "$inc"
ln -sfn /usr/include/linux "$inc/linux"
ln -sfn "/usr/include/$arch/asm" "$inc/asm"
ln -sfn /usr/include/asm-generic "$inc/asm-generic"
mkdir -p "$(dirname "$out")"
# The published-port proxy (init.c's section mdk_proxy, run only by the monitors of containers with
# published ports) is linked as a segment of its own, far from the rest: on a read fault the kernel
# maps the neighbouring cached pages of the same mapping too (fault-around, 64 KiB), so code in the
# main text segment counts in every idle helper's RSS whether it runs or not. The pseudo-terminal code
# (section mdk_tty, run only for containers and execs with a terminal) gets a segment of its own too.
# No unwind tables (-fno-asynchronous-unwind-tables): C without exceptions never reads .eh_frame, and
# its ~3 KiB sat in the read-only segment that every helper maps.
exec musl-gcc -std=gnu11 -static -O2 -s -fno-asynchronous-unwind-tables -Wall -Wextra -Werror -idirafter "$inc" \
  -Wl,--section-start=mdk_proxy=0x1000000 -Wl,--section-start=mdk_tty=0x1100000 "$@" -o "$out" "$(dirname "$0")/init.c"
