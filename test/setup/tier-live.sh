#!/usr/bin/env bash
# Set-up for the live tier (test/live/): the Debian tools a live run drives (QEMU, busybox-static,
# gdb, cpio, gcc + libc headers), Debian's 6.1 cloud kernel image and its debug symbols
# (extracted into ~/.cache/kernel-lens/live/<version>/: vmlinuz and vmlinux only, never
# installed), the initramfs, and gdb's DWARF index of vmlinux. Everything is cached, so a
# second run only checks and returns.
#
# Not root: nothing is installed and the tier skips (it says why).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/packages.sh"
cd "$(dirname "$0")/../.."

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/kernel-lens

if [ "$(id -u)" -ne 0 ]; then
  echo "live: not root; the live tier will skip" >&2
  exit 0
fi

# --- system packages (only what is missing)
read -ra missing <<<"$(missing_packages qemu-system-x86:qemu-system-x86_64 \
  busybox-static:/bin/busybox gdb:gdb cpio:cpio gcc:gcc libc6-dev:/usr/include/stdio.h)"
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi

# --- the kernel, its symbols and the initramfs: `live --export` fetches and builds what the
# cache lacks (the dbg .deb is 282 MB; only vmlinux is extracted, ~1-2 min once).
started=$(date +%s)
node dist/cli.js live --export "$CACHE/live/export"
echo "live: kernel and initramfs ready in $(($(date +%s) - started)) s"

# --- gdb's DWARF index of vmlinux: ~30-60 s once, then each run loads it in ~1 s.
vmlinux=$(sed -n 's/^file //p' "$CACHE/live/export/kernel-lens.gdb")
index=$(sed -n 's/^set index-cache directory //p' "$CACHE/live/export/kernel-lens.gdb")
marker=$index/.warm-$(basename "$(dirname "$vmlinux")")
if [ ! -f "$marker" ]; then
  started=$(date +%s)
  mkdir -p "$index"
  timeout 600 gdb -batch -nx -ex "set index-cache directory $index" -ex 'set index-cache enabled on' \
    -ex 'ptype struct task_struct' "$vmlinux" >/dev/null
  touch "$marker"
  echo "live: gdb index of vmlinux built in $(($(date +%s) - started)) s"
else
  echo "live: gdb index of vmlinux: cached in $index"
fi
