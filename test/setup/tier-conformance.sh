#!/usr/bin/env bash
# Set-up for the conformance tier (test/conformance/): the Debian tools it drives (tcpdump,
# iproute2 for `ip netns`, nftables, gcc + libc headers) and the scenario programs in
# test/conformance/programs/, compiled into ~/.cache/kernel-lens/conformance/<hash>/, keyed
# by a hash of their sources, so an unchanged tree only checks and returns.
#
# Not root: nothing is installed; the programs are still built if gcc is there, and the
# tests skip with a message (they need root for network namespaces anyway).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/packages.sh"
cd "$(dirname "$0")/../.."

CACHE=${KERNEL_LENS_CACHE:-$HOME/.cache/kernel-lens}
SRC=test/conformance/programs

# --- system packages (only what is missing)
read -ra missing <<<"$(missing_packages tcpdump:tcpdump iproute2:ip nftables:nft gcc:gcc \
  libc6-dev:/usr/include/stdio.h)"
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "conformance: missing Debian packages ${missing[*]}; the tier will skip" >&2
    exit 0
  fi
  apt_install "${missing[@]}"
fi

if ! command -v gcc >/dev/null 2>&1; then
  echo "conformance: no gcc; the tier will skip" >&2
  exit 0
fi

# --- programs, keyed by a hash of their sources (and of this script, which holds the flags)
hash=$(cat "$SRC"/*.c "$0" | sha256sum | cut -c1-16)
dest=$CACHE/conformance/$hash
if [ -x "$dest/kl-actor" ] && [ -x "$dest/kl-link" ] && [ -x "$dest/kl-synflood" ]; then
  echo "conformance programs: cached in $dest"
else
  mkdir -p "$dest.tmp"
  for prog in actor link synflood; do
    gcc -O2 -Wall -Wextra -Werror -o "$dest.tmp/kl-$prog" "$SRC/$prog.c"
  done
  rm -rf "$dest"
  mv "$dest.tmp" "$dest"
  echo "conformance programs: built in $dest"
fi
# The tests find the programs through this pointer (the hash is computed here only).
ln -sfn "$dest" "$CACHE/conformance/current"
