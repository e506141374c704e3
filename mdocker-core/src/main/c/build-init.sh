#!/bin/sh
# Builds mdocker-init: build-init.sh OUTPUT WORK_DIR [EXTRA_CFLAGS...]  (WORK_DIR: outside the jar)
# Linked statically with musl (musl-tools): an 80 KB binary, against 720 KB with static glibc. Every
# monitor and pid 1 maps its text, so that size is most of a helper's memory (helper RSS per idle
# container). musl's headers carry no kernel headers: linux/, asm/ and asm-generic/ come from the
# host's linux-libc-dev through a directory of links, searched after musl's own.
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
src=$(dirname "$0")
# The published-port proxy (proxy.c, section mdk_proxy, run only by the monitors of containers with
# published ports) is linked as a segment of its own, far from the rest: on a read fault the kernel
# maps the neighbouring cached pages of the same mapping too (fault-around, 64 KiB), so code in the
# main text segment counts in every idle helper's RSS whether it runs or not. The pseudo-terminal code
# (tty.c, section mdk_tty, run only for containers and execs with a terminal) gets a segment of its
# own too, and so does owners mode (owners.c, section mdk_owners, a rootless image store's helper, with network
# mode, netholder.c, the holder of a rootless named network). No unwind tables (-fno-asynchronous-unwind-tables): C without exceptions never reads
# .eh_frame, whose ~3 KiB would sit in the read-only segment that every helper maps.
# All sources in one invocation with -flto: the compiler sees the program whole, as if it were one
# file, so calls between files inline as calls within one do (without it the text is ~1.2 KB larger).
exec musl-gcc -std=gnu11 -static -O2 -flto -s -fno-asynchronous-unwind-tables -Wall -Wextra -Werror -idirafter "$inc" \
  -Wl,--section-start=mdk_proxy=0x1000000 -Wl,--section-start=mdk_tty=0x1100000 -Wl,--section-start=mdk_owners=0x1200000 "$@" -o "$out" \
  "$src/main.c" "$src/msg.c" "$src/config.c" "$src/mounts.c" "$src/devices.c" "$src/identity.c" \
  "$src/pid1.c" "$src/monitor.c" "$src/join.c" "$src/proxy.c" "$src/tty.c" "$src/userns.c" "$src/owners.c" "$src/netholder.c" "$src/idmap.c"
